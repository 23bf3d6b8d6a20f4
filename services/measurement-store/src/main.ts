import { httpResource } from '@ep/http';
import { createLifecycle } from '@ep/lifecycle';
import { createLogger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import { buildApp } from './app.js';
import { readConfig } from './config.js';
import { buildStore } from './store.js';

// Composition root: config → clients → app → start; SIGTERM/SIGINT → stop.
const config = readConfig();
const logger = createLogger({ name: 'measurement-store', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ logger });
lifecycle.installSignalHandlers();
const telemetry = await startTelemetry({
  serviceName: 'measurement-store',
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
// Added first, so stopped last: the spans of the final writes are flushed.
lifecycle.add({ name: 'telemetry', stop: () => telemetry.shutdown() });

const store = await buildStore({
  databaseUrl: config.DATABASE_URL,
  natsUrl: config.NATS_URL,
  prefix: config.EP_NATS_PREFIX,
  logger,
  ackWaitMs: config.STORE_ACK_WAIT_MS,
  limits: {
    maxMessages: config.STORE_BATCH_MESSAGES,
    maxSamples: config.STORE_BATCH_SAMPLES,
    maxWaitMs: config.STORE_BATCH_WAIT_MS,
    maxWrites: config.STORE_WRITES,
  },
});
const app = await buildApp({ logger, registry: store.registry, checks: store.checks });

// Started in order, stopped in reverse: HTTP stops last so /readyz answers while loops drain.
lifecycle.add(httpResource(app, { port: config.PORT }), ...store.resources);
await lifecycle.start();
logger.info({ port: config.PORT, prefix: config.EP_NATS_PREFIX }, 'measurement-store started');
