import { listGatewayStatus } from '@ep/gateways';
import type { HttpServer } from '@ep/http';
import type { Kysely } from 'kysely';
import type { GatewayDatabase } from '../db/schema.js';

/** Per-gateway status as every replica sees it (from the database, as the API shows it), plus what this replica holds. */
export function registerStatusRoute(
  app: HttpServer,
  options: { db: Kysely<GatewayDatabase>; replicaId: string; held: () => string[] },
): void {
  app.get('/status', async () => ({
    replica: options.replicaId,
    held: options.held(),
    gateways: await listGatewayStatus(options.db),
  }));
}
