import { createDb, typeParsers } from '@ep/db';
import { httpResource } from '@ep/http';
import { createLifecycle } from '@ep/lifecycle';
import { createLogger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import pg from 'pg';
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

const app = await buildServer({ db, keysDb, copyPool }, logger);

lifecycle.add(
  { name: 'telemetry', stop: () => telemetry.shutdown() },
  {
    name: 'database',
    stop: async () => void (await Promise.all([db.destroy(), keysDb.destroy(), copyPool.end()])),
  },
  httpResource(app, { port: config.PORT }),
);
await lifecycle.start();
logger.info({ port: config.PORT }, 'query-api listening');
