import { sql, type Kysely } from 'kysely';
import type { SetpointChange } from '../domain/points.js';
import type { GatewayDatabase, Vendor } from './schema.js';

type Db = Kysely<GatewayDatabase>;

/** A configured gateway, as the poller needs it. */
export interface GatewayConfig {
  id: number;
  name: string;
  siteId: number;
  site: string;
  vendor: Vendor;
  baseUrl: string;
  intervalSeconds: number;
  backfillDays: number;
}

export async function listGateways(db: Db): Promise<GatewayConfig[]> {
  const rows = await db
    .selectFrom('gateways as g')
    .innerJoin('sites as s', 's.id', 'g.site_id')
    .select([
      'g.id',
      'g.name',
      'g.site_id',
      's.key as site',
      'g.vendor',
      'g.base_url',
      'g.interval_seconds',
      'g.backfill_days',
    ])
    .orderBy('g.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    siteId: r.site_id,
    site: r.site,
    vendor: r.vendor,
    baseUrl: r.base_url,
    intervalSeconds: r.interval_seconds,
    backfillDays: r.backfill_days,
  }));
}

/** Every cursor of a gateway (poll_state rows of its site and vendor), by device key. */
export async function loadCursors(db: Db, gw: GatewayConfig): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db
    .selectFrom('poll_state')
    .select(['device', 'cursor'])
    .where('site_id', '=', gw.siteId)
    .where('source', '=', gw.vendor)
    .execute();
  return new Map(rows.map((r) => [r.device, r.cursor as Record<string, unknown>]));
}

export async function saveCursors(
  db: Db,
  gw: GatewayConfig,
  cursors: Iterable<[device: string, cursor: object]>,
): Promise<void> {
  const values = [...cursors].map(([device, cursor]) => ({
    site_id: gw.siteId,
    source: gw.vendor,
    device,
    cursor: JSON.stringify(cursor),
  }));
  if (values.length === 0) return;
  await db
    .insertInto('poll_state')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['site_id', 'source', 'device']).doUpdateSet({
        cursor: (eb) => eb.ref('excluded.cursor'),
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

export interface StatusPatch {
  owner?: string | null;
  lastPollAt?: Date;
  lastSuccessAt?: Date;
  lastDataAt?: Date;
  /** null clears the last error (a poll succeeded). */
  error?: { kind: string; message: string; at: Date } | null;
  backfill?: Record<string, unknown> | null;
}

export async function updateStatus(db: Db, gatewayId: number, patch: StatusPatch): Promise<void> {
  const set: Record<string, unknown> = {};
  if (patch.owner !== undefined) set['owner'] = patch.owner;
  if (patch.lastPollAt) set['last_poll_at'] = patch.lastPollAt;
  if (patch.lastSuccessAt) set['last_success_at'] = patch.lastSuccessAt;
  if (patch.lastDataAt) set['last_data_at'] = patch.lastDataAt;
  if (patch.error !== undefined) {
    set['last_error'] = patch.error?.message ?? null;
    set['last_error_kind'] = patch.error?.kind ?? null;
    if (patch.error) set['last_error_at'] = patch.error.at;
  }
  if (patch.backfill !== undefined)
    set['backfill'] = patch.backfill === null ? null : JSON.stringify(patch.backfill);
  await db
    .insertInto('gateway_status')
    .values({ gateway_id: gatewayId, ...set })
    .onConflict((oc) =>
      oc.column('gateway_id').doUpdateSet({
        ...set,
        // last_data_at only moves forward: a backfill of old days must not make the lag look smaller.
        ...(patch.lastDataAt
          ? { last_data_at: sql`greatest(gateway_status.last_data_at, excluded.last_data_at)` }
          : {}),
        updated_at: sql`now()`,
      }),
    )
    .execute();
}

/** The deterministic id of a set-point change: the same change read twice is stored once. */
export function setpointEventId(gw: GatewayConfig, e: SetpointChange): string {
  return `${gw.vendor}:${gw.site}:${e.node}.${e.device}.${e.parameter}:${new Date(e.ts).toISOString()}`;
}
