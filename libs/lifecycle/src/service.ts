import { createLogger, type Logger } from '@ep/logger';
import { startTelemetry } from '@ep/telemetry';
import { createLifecycle, type Lifecycle } from './index.js';

/**
 * What every service's factory returns: one lifecycle holding everything it started (clients,
 * consume loops, the HTTP server with /healthz, /readyz, /metrics), in start order.
 * `main.ts` only runs it; tests call the factory themselves and stop the lifecycle.
 */
export interface Service {
  lifecycle: Lifecycle;
}

/** What a factory gets besides its config: shared by every service, so tests can pass their own. */
export interface ServiceDeps {
  logger: Logger;
  /** Stopped last, so the spans of the final work are flushed. */
  telemetry?: { shutdown(): Promise<void> };
  /** For tests: the lifecycle's exit (process.exit otherwise). */
  exit?: (code: number) => void;
}

/** The part of every service's config that running it needs (libs/config's shared variables). */
export interface RunnableConfig {
  LOG_LEVEL: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}

export interface ServiceSpec<C extends RunnableConfig, S extends Service> {
  /** The service's folder name = package = image = chart component; also service.name of spans. */
  name: string;
  /** Its config loader (`src/config.ts`), which exits naming every bad variable. */
  config: () => C;
  /** Its factory: builds everything, starts nothing. */
  create: (config: C, deps: ServiceDeps) => Promise<S>;
}

/** A new lifecycle for a factory, with the deps' logger and exit, and telemetry stopped last. */
export function serviceLifecycle(deps: ServiceDeps): Lifecycle {
  const lifecycle = createLifecycle({ logger: deps.logger, ...(deps.exit ? { exit: deps.exit } : {}) });
  const { telemetry } = deps;
  if (telemetry) lifecycle.add({ name: 'telemetry', stop: () => telemetry.shutdown() });
  return lifecycle;
}

/**
 * The whole of every `main.ts`: config → logger → telemetry → factory → signals → start.
 * A failure to build or start is logged as fatal and exits 1 (the pod restarts with backoff).
 */
export async function runService<C extends RunnableConfig, S extends Service>(
  spec: ServiceSpec<C, S>,
): Promise<S> {
  const config = spec.config();
  const logger = createLogger({ name: spec.name, level: config.LOG_LEVEL });
  try {
    const telemetry = await startTelemetry({
      serviceName: spec.name,
      endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    });
    const service = await spec.create(config, { logger, telemetry });
    service.lifecycle.installSignalHandlers();
    await service.lifecycle.start();
    logger.info(`${spec.name} started`);
    return service;
  } catch (err) {
    logger.fatal({ err }, `${spec.name} could not start`);
    process.exit(1);
  }
}
