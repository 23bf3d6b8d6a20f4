import { createHttpServer, type HttpServer, type ReadinessCheck } from '@ep/http';
import type { Logger } from '@ep/logger';
import type { Registry } from 'prom-client';

/**
 * The store serves no API of its own: its HTTP server is /healthz, /readyz (PostgreSQL and
 * NATS) and /metrics (the store's and its consume loops' metrics).
 */
export async function buildApp(deps: {
  logger: Logger;
  registry: Registry;
  checks: ReadinessCheck[];
}): Promise<HttpServer> {
  return createHttpServer({
    logger: deps.logger,
    name: 'measurement-store',
    docs: false,
    ops: { checks: deps.checks, registry: deps.registry },
  });
}
