import { createDb, createPool, pingDb } from '@ep/db';
import { createHttpServer, httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import { connectNats } from '@ep/nats';
import { queryApi, type AppDeps } from './app.js';
import { natsSetpointControl } from './routes/gateways.js';
import { natsCommandRequester } from './routes/teststand-commander.js';
import type { QueryApiConfig } from './config.js';
import { explorerRoutes } from './routes/explorer.js';
import type { Database } from '@ep/schema';

export interface QueryApi extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  deps: AppDeps;
}

const DESCRIPTION = `Read API of EP: sites, points, raw samples, aggregates, uploads, test stands.

Every /api/v1 route needs \`Authorization: Bearer <api key>\` ("Authorize" above): scope \`read\` for reads, \`admin\` for /api/v1/admin; a key with an upload scope may read the reports of its own uploads.
A key bound to a site sees only that site; anything else answers 404, as if it did not exist.`;

const TAGS = [
  { name: 'browse', description: 'Sites and points: the hierarchy site → node → device → parameter' },
  { name: 'latest', description: 'Last values of points' },
  { name: 'samples', description: 'Raw samples as JSON pages or streamed CSV' },
  { name: 'aggregates', description: 'Buckets on a local calendar, from rollups when they answer exactly' },
  { name: 'uploads', description: 'Reports of uploaded files (the POST is upload-ingest’s)' },
  { name: 'teststands', description: 'Test stands, modules and their messages' },
  { name: 'admin', description: 'API keys, sites and gateways (scope admin)' },
  { name: 'gateways', description: 'Heating gateways: status, set-point changes and writes (scope control)' },
  { name: 'legacy', description: 'Endpoints of the old platform kept for existing links' },
];

/**
 * The query API: read pools (a replica in production), the key pool (primary), the COPY pool
 * for CSV streams, and the HTTP server with the API, /docs and ops routes. Builds everything and
 * starts nothing: the lifecycle listens on start and closes the server, then the pools, on stop.
 */
export async function createQueryApi(config: QueryApiConfig, deps: ServiceDeps): Promise<QueryApi> {
  const { logger } = deps;
  const lifecycle = serviceLifecycle(deps);
  const readUrl = config.DATABASE_READ_URL ?? config.DATABASE_URL;
  const max = config.DATABASE_POOL_SIZE;
  const db = createDb<Database>({ url: readUrl, logger, max, applicationName: 'query-api' });
  const keysDb = createDb<Database>({
    url: config.DATABASE_URL,
    logger,
    max,
    applicationName: 'query-api-keys',
  });
  const copyPool = createPool({ url: readUrl, logger, max, applicationName: 'query-api-csv', label: 'CSV' });
  lifecycle.add({
    name: 'database',
    stop: async () => void (await Promise.all([db.destroy(), keysDb.destroy(), copyPool.end()])),
  });

  // One NATS connection carries test-stand commands (request/reply to the teststand-handler) and
  // set-point writes (request/reply to gateway-poller); reads do not need it.
  const nc = await connectNats({ url: config.NATS_URL, name: 'query-api', logger });
  lifecycle.add({ name: 'nats', stop: () => nc.drain() });
  const appDeps: AppDeps = {
    db,
    keysDb,
    copyPool,
    control: natsSetpointControl(nc, config.EP_NATS_PREFIX),
    teststandCommands: {
      requestCommand: natsCommandRequester(
        nc,
        config.EP_NATS_PREFIX,
        config.EP_TESTSTAND_COMMAND_REQUEST_TIMEOUT_MS,
      ),
      replyWindowMs: config.EP_TESTSTAND_REPLY_WINDOW_MS,
    },
  };
  const server = await createHttpServer({
    logger,
    name: 'query-api',
    docs: { title: 'EP query API', description: DESCRIPTION, tags: TAGS },
    ops: {
      checks: [
        { name: 'database', check: () => pingDb(db) },
        { name: 'database (keys)', check: () => pingDb(keysDb) },
      ],
    },
  });
  await server.register(queryApi(appDeps));
  await server.register(explorerRoutes, { dir: config.EXPLORER_DIR, uploadUrl: config.UPLOAD_INGEST_URL });
  lifecycle.add(httpResource(server, { port: config.PORT }));
  return { lifecycle, server, deps: appDeps };
}
