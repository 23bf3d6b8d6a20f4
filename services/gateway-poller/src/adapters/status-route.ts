import type { HttpServer } from '@ep/http';
import type { Kysely } from 'kysely';
import { listStatus } from '../db/gateways.repo.js';
import type { GatewayDatabase } from '../db/schema.js';

/** Per-gateway status as every replica sees it (from the database), plus what this replica holds. */
export function gatewayStatusView(row: Awaited<ReturnType<typeof listStatus>>[number]) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    name: row.name,
    site: row.site,
    vendor: row.vendor,
    intervalSeconds: row.intervalSeconds,
    owner: row.owner,
    lastPollAt: iso(row.lastPollAt),
    lastSuccessAt: iso(row.lastSuccessAt),
    // How far the newest sample stored lags behind the last successful poll, in seconds.
    lagSeconds:
      row.lastSuccessAt && row.lastDataAt
        ? Math.max(0, (row.lastSuccessAt.getTime() - row.lastDataAt.getTime()) / 1000)
        : null,
    lastError: row.lastError
      ? { kind: row.lastErrorKind, message: row.lastError, at: iso(row.lastErrorAt) }
      : null,
    backfill: row.backfill,
  };
}

export function registerStatusRoute(
  app: HttpServer,
  options: { db: Kysely<GatewayDatabase>; replicaId: string; held: () => string[] },
): void {
  app.get('/status', async () => ({
    replica: options.replicaId,
    held: options.held(),
    gateways: (await listStatus(options.db)).map(gatewayStatusView),
  }));
}
