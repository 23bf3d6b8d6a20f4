import { httpResource } from '@ep/http';
import { createLifecycle } from '@ep/lifecycle';
import { createLogger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import { readConfig } from './config.js';
import { buildService } from './service.js';

// Composition root: config → clients → app → start; SIGTERM/SIGINT → stop.
const config = readConfig();
const logger = createLogger({ name: 'upload-ingest', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ logger });
lifecycle.installSignalHandlers();
const telemetry = await startTelemetry({
  serviceName: 'upload-ingest',
  endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
lifecycle.add({ name: 'telemetry', stop: () => telemetry.shutdown() });

const { app, resources } = await buildService({
  databaseUrl: config.DATABASE_URL,
  natsUrl: config.NATS_URL,
  prefix: config.EP_NATS_PREFIX,
  logger,
  maxBytes: config.UPLOAD_MAX_BYTES,
  samplesPerBatch: config.SAMPLES_PER_BATCH,
  publishConcurrency: config.PUBLISH_CONCURRENCY,
  staleSeconds: config.UPLOAD_STALE_SECONDS,
  tmpDir: config.UPLOAD_TMP_DIR,
});

// Stopped in reverse: HTTP first (requests in flight finish), then the connections they use.
lifecycle.add(...resources, httpResource(app, { port: config.PORT }));
await lifecycle.start();
logger.info({ port: config.PORT, prefix: config.EP_NATS_PREFIX }, 'upload-ingest started');
