import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { runChecks, type ReadinessCheck } from './readiness.js';

export interface OpsOptions {
  /**
   * What /readyz checks. The array is read on every probe, so checks for clients created after
   * the server (a NATS connection, say) can be pushed onto it later.
   */
  checks?: ReadinessCheck[];
  /**
   * Per-check limit in ms (default 1000). Keep it below the readiness probe's timeoutSeconds so
   * the probe gets a 503 naming the dependency rather than a timeout.
   */
  checkTimeoutMs?: number;
  /**
   * Where /metrics reads from; pass one to add service metrics to the same scrape. A fresh
   * Registry per server otherwise (prom-client's global one would clash between test servers).
   */
  registry?: Registry;
}

// Route label for requests no route matched: the raw URL would make one series per probe of a
// scanner, so they all share one label value.
const UNMATCHED = '(unmatched)';

const checkResult = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() });

type Labels = 'method' | 'route' | 'status_code';

/**
 * The request metrics on `registry`. Servers sharing one registry (a service's tests build
 * several apps) share the metrics too, since registering a name twice on a registry throws.
 */
function httpMetrics(registry: Registry) {
  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests =
    (registry.getSingleMetric('http_requests_total') as Counter<Labels> | undefined) ??
    new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('http_request_duration_seconds') as Histogram<Labels> | undefined) ??
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request received to response sent, by method, route pattern and status code.',
      labelNames,
      registers: [registry],
    });
  return { requests, duration };
}

async function ops(fastify: FastifyInstance, options: OpsOptions): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const checks = options.checks ?? [];
  const checkTimeoutMs = options.checkTimeoutMs ?? 1_000;
  const registry = options.registry ?? new Registry();
  // Process metrics (CPU, memory, event-loop lag, GC) are read on scrape; registering them twice
  // on one registry would throw, so a registry that has them already keeps them.
  if (!registry.getSingleMetric('process_cpu_seconds_total')) collectDefaultMetrics({ register: registry });
  const metrics = httpMetrics(registry);

  // Added by a plugin with fastify-plugin, this hook sees every route of the server.
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED,
      status_code: String(reply.statusCode),
    };
    metrics.requests.inc(labels);
    metrics.duration.observe(labels, reply.elapsedTime / 1_000);
  });

  // Probes and scrapes arrive every few seconds: their request lines would drown the useful ones.
  const quiet = { logLevel: 'warn' as const };

  app.get(
    '/healthz',
    {
      ...quiet,
      schema: {
        operationId: 'healthz',
        tags: ['ops'],
        security: [],
        summary: 'Liveness: the process is running',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      ...quiet,
      schema: {
        operationId: 'readyz',
        tags: ['ops'],
        security: [],
        summary: 'Readiness: every dependency answers',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.array(checkResult) }),
          503: z.object({
            status: z.literal('not ready'),
            message: z.string(),
            checks: z.array(checkResult),
          }),
        },
      },
    },
    async (request, reply) => {
      const results = await runChecks(checks, checkTimeoutMs);
      const failing = results.filter((r) => !r.ok);
      if (failing.length === 0) return reply.code(200).send({ status: 'ready', checks: results });
      const message = `not ready: ${failing.map((r) => `${r.name} (${r.error})`).join(', ')}`;
      request.log.warn({ failing }, message);
      return reply.code(503).send({ status: 'not ready', message, checks: results });
    },
  );

  app.get(
    '/metrics',
    {
      ...quiet,
      schema: {
        operationId: 'metrics',
        tags: ['ops'],
        security: [],
        summary: 'Prometheus metrics',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text exposition format') },
      },
    },
    async (_request, reply) => {
      // With an explicit non-JSON content type fastify sends the string as it is.
      return reply.type(registry.contentType).send(await registry.metrics());
    },
  );
}

/**
 * GET /healthz (alive), GET /readyz (dependencies answer; 503 naming the ones that do not) and
 * GET /metrics (Prometheus text: process metrics plus request count and duration by route
 * pattern). createHttpServer registers it; register it yourself only on a bare fastify instance.
 */
export const opsPlugin = fp(ops, { name: '@ep/http-ops', fastify: '5.x' });
