import { createLogger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import { loadNotifierConfig } from './config.js';
import { createNotifier } from './notifier.js';

// Composition root: config → clients → lifecycle start; SIGTERM/SIGINT → stop.
const config = loadNotifierConfig();
const logger = createLogger({ name: 'notifier', level: config.LOG_LEVEL });
try {
  const telemetry = await startTelemetry({
    serviceName: 'notifier',
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const notifier = await createNotifier(config, { logger, telemetry });
  notifier.lifecycle.installSignalHandlers();
  await notifier.lifecycle.start();
  logger.info(
    { port: config.PORT, exchange: config.EP_AMQP_EXCHANGE, prefix: config.EP_NATS_PREFIX },
    'notifier started',
  );
} catch (err) {
  logger.fatal({ err }, 'notifier could not start');
  process.exit(1);
}
