import { createDb, typeParsers } from '@ep/db';
import { httpResource } from '@ep/http';
import { createLifecycle } from '@ep/lifecycle';
import { createLogger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import pg from 'pg';
import { connectNats } from '@ep/nats';
import { natsCommandRequester } from './adapters/teststand-commander.js';
import { buildServer } from './app.js';
import { readConfig } from './config.js';
import type { Database } from '@ep/schema';

const config = readConfig();
const logger = createLogger({ name: 'query-api', level: config.LOG_LEVEL });
const telemetry = await startTelemetry({
  serviceName: 'query-api',
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const lifecycle = createLifecycle({ logger });
lifecycle.installSignalHandlers();

const readUrl = config.DATABASE_READ_URL ?? config.DATABASE_URL;
const max = config.DATABASE_POOL_SIZE;
const db = createDb<Database>({ url: readUrl, logger, max, applicationName: 'query-api' });
const keysDb = createDb<Database>({
  url: config.DATABASE_URL,
  logger,
  max,
  applicationName: 'query-api-keys',
});
const copyPool = new pg.Pool({
  connectionString: readUrl,
  max,
  application_name: 'query-api-csv',
  types: typeParsers,
});
copyPool.on('error', (err) => logger.warn({ err }, 'idle CSV connection failed'));

// Test-stand commands go to the teststand-handler over NATS; the read API does not need it.
const nc = await connectNats({ url: config.NATS_URL, name: 'query-api', logger });
const app = await buildServer(
  {
    db,
    keysDb,
    copyPool,
    teststandCommands: {
      requestCommand: natsCommandRequester(
        nc,
        config.EP_NATS_PREFIX,
        config.EP_TESTSTAND_COMMAND_REQUEST_TIMEOUT_MS,
      ),
      replyWindowMs: config.EP_TESTSTAND_REPLY_WINDOW_MS,
    },
  },
  logger,
);

lifecycle.add(
  { name: 'telemetry', stop: () => telemetry.shutdown() },
  { name: 'nats', stop: () => nc.drain() },
  {
    name: 'database',
    stop: async () => void (await Promise.all([db.destroy(), keysDb.destroy(), copyPool.end()])),
  },
  httpResource(app, { port: config.PORT }),
);
await lifecycle.start();
logger.info({ port: config.PORT }, 'query-api listening');
