import { formatUtc } from '@ep/contracts';
import { narrowTo, type Database, type Vendor } from '@ep/schema';
import type { Kysely } from 'kysely';

type Tables = Pick<Database, 'gateways' | 'gateway_status' | 'sites'>;
const narrow = narrowTo<Tables>();

/** A gateway's poll status as every replica and the API show it (times as ISO strings). */
export interface GatewayStatus {
  name: string;
  site: string;
  vendor: Vendor;
  url: string;
  intervalSeconds: number;
  backfillDays: number;
  /** The poller replica holding the gateway's lease. */
  owner: string | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  /** How far the newest sample stored lags behind the last successful poll, in seconds. */
  lagSeconds: number | null;
  /** kind: auth_refused, unreachable, bad_answer, no_secret, refused. */
  lastError: { kind: string | null; message: string; at: string | null } | null;
  backfill: Record<string, unknown> | null;
}

const iso = (d: Date | null) => (d ? formatUtc(d) : null);

/** Every gateway (or one site's) with the status its poller last wrote, by name. */
export async function listGatewayStatus<DB extends Tables>(
  db: Kysely<DB>,
  filter: { site?: string } = {},
): Promise<GatewayStatus[]> {
  let q = narrow(db)
    .selectFrom('gateways as g')
    .innerJoin('sites as s', 's.id', 'g.site_id')
    .leftJoin('gateway_status as st', 'st.gateway_id', 'g.id')
    .select([
      'g.name',
      's.key as site',
      'g.vendor',
      'g.base_url',
      'g.interval_seconds',
      'g.backfill_days',
      'st.owner',
      'st.last_poll_at',
      'st.last_success_at',
      'st.last_data_at',
      'st.last_error',
      'st.last_error_kind',
      'st.last_error_at',
      'st.backfill',
    ])
    .orderBy('g.name');
  if (filter.site !== undefined) q = q.where('s.key', '=', filter.site);
  return (await q.execute()).map((r) => ({
    name: r.name,
    site: r.site,
    vendor: r.vendor,
    url: r.base_url,
    intervalSeconds: r.interval_seconds,
    backfillDays: r.backfill_days,
    owner: r.owner,
    lastPollAt: iso(r.last_poll_at),
    lastSuccessAt: iso(r.last_success_at),
    lagSeconds:
      r.last_success_at && r.last_data_at
        ? Math.max(0, (r.last_success_at.getTime() - r.last_data_at.getTime()) / 1000)
        : null,
    lastError: r.last_error
      ? { kind: r.last_error_kind, message: r.last_error, at: iso(r.last_error_at) }
      : null,
    backfill: r.backfill,
  }));
}
