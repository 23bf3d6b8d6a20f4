import { narrowTo, type Database, type Vendor } from '@ep/schema';
import type { Kysely } from 'kysely';

type Tables = Pick<Database, 'gateways' | 'sites'>;
const narrow = narrowTo<Tables>();

/** A gateway as a person configures it. Its secret is never here: it is a file the poller reads. */
export interface GatewayConfig {
  name: string;
  site: string;
  vendor: Vendor;
  url: string;
  intervalSeconds: number;
  backfillDays: number;
}

/** Why a gateway was not added: `unknown_site` (the caller says 404) or a clash (409). */
export class GatewayConfigError extends Error {
  constructor(
    readonly reason: 'unknown_site' | 'name_taken' | 'site_vendor_taken',
    message: string,
  ) {
    super(message);
  }
}

export const GATEWAY_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export async function listGatewayConfigs<DB extends Tables>(db: Kysely<DB>): Promise<GatewayConfig[]> {
  const rows = await narrow(db)
    .selectFrom('gateways as g')
    .innerJoin('sites as s', 's.id', 'g.site_id')
    .select(['g.name', 's.key as site', 'g.vendor', 'g.base_url', 'g.interval_seconds', 'g.backfill_days'])
    .orderBy('g.name')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    site: r.site,
    vendor: r.vendor,
    url: r.base_url,
    intervalSeconds: r.interval_seconds,
    backfillDays: r.backfill_days,
  }));
}

/**
 * Adds a gateway: its site must exist, its name must be new, and a site has one gateway per vendor
 * (two would poll the same nodes into the same points). The unique indexes hold the same rules
 * against a race; this check gives the person words for them.
 */
export async function addGateway<DB extends Tables>(
  db: Kysely<DB>,
  g: GatewayConfig,
): Promise<GatewayConfig> {
  const site = await narrow(db).selectFrom('sites').select('id').where('key', '=', g.site).executeTakeFirst();
  if (!site) throw new GatewayConfigError('unknown_site', `unknown site "${g.site}"`);
  const clash = await narrow(db)
    .selectFrom('gateways')
    .select('name')
    .where((eb) =>
      eb.or([eb('name', '=', g.name), eb.and([eb('site_id', '=', site.id), eb('vendor', '=', g.vendor)])]),
    )
    .executeTakeFirst();
  if (clash?.name === g.name)
    throw new GatewayConfigError('name_taken', `gateway "${g.name}" exists already`);
  if (clash)
    throw new GatewayConfigError(
      'site_vendor_taken',
      `site ${g.site} has a ${g.vendor} gateway already ("${clash.name}"); one per site and vendor`,
    );
  await narrow(db)
    .insertInto('gateways')
    .values({
      name: g.name,
      site_id: site.id,
      vendor: g.vendor,
      base_url: g.url,
      interval_seconds: g.intervalSeconds,
      backfill_days: g.backfillDays,
    })
    .execute();
  return g;
}

/** Stops polling a gateway; its stored data and cursors stay. False when there was none. */
export async function removeGateway<DB extends Tables>(db: Kysely<DB>, name: string): Promise<boolean> {
  const removed = await narrow(db).deleteFrom('gateways').where('name', '=', name).executeTakeFirst();
  return Number(removed.numDeletedRows) > 0;
}
