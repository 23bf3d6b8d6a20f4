import { afterEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { z } from 'zod';
import { createHttpServer, httpResource, type HttpServer, type ReadinessCheck } from './index.js';
import { capturingLogger } from './test-support.js';

const ok = (name: string): ReadinessCheck => ({ name, check: async () => undefined });
const failing = (name: string, message: string): ReadinessCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});

describe('ops routes', () => {
  let app: HttpServer;
  afterEach(async () => {
    await app.close();
  });

  async function server(checks: ReadinessCheck[] = [], registry?: Registry) {
    const { logger, lines } = capturingLogger();
    app = await createHttpServer({
      logger,
      name: 'test',
      docs: false,
      ops: { checks, checkTimeoutMs: 50, registry },
    });
    app.get(
      '/items/:id',
      { schema: { params: z.object({ id: z.coerce.number().int() }) } },
      async (request) => ({ id: request.params.id }),
    );
    return lines;
  }

  it('/healthz answers 200 while the process lives', async () => {
    await server([failing('postgres', 'down')]);
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 with every check when all pass', async () => {
    await server([ok('postgres'), ok('nats')]);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'postgres', ok: true },
        { name: 'nats', ok: true },
      ],
    });
  });

  it('/readyz answers 503 naming the failing and the hanging checks', async () => {
    const lines = await server([
      ok('postgres'),
      failing('nats', 'connection refused'),
      { name: 'amqp', check: () => new Promise<void>(() => undefined) },
    ]);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.status).toBe('not ready');
    expect(body.message).toContain('nats (connection refused)');
    expect(body.message).toContain('amqp (no answer within 50 ms)');
    expect(body.message).not.toContain('postgres');
    expect(body.checks.find((c: { name: string }) => c.name === 'postgres')).toEqual({
      name: 'postgres',
      ok: true,
    });
    expect(lines.some((l) => l['level'] === 40 && String(l['msg']).startsWith('not ready'))).toBe(true);
  });

  it('/readyz never shows credentials found in an error', async () => {
    await server([failing('amqp', 'cannot reach amqp://guest:hunter2@rabbit:5672')]);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.body).not.toContain('hunter2');
  });

  it('reads checks added after the server was created', async () => {
    const checks: ReadinessCheck[] = [];
    await server(checks);
    checks.push(failing('late', 'not yet'));
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  });

  it('/metrics counts requests by route pattern, not by raw URL', async () => {
    await server();
    await app.inject({ method: 'GET', url: '/items/1' });
    await app.inject({ method: 'GET', url: '/items/2' });
    await app.inject({ method: 'GET', url: '/items/x' });
    await app.inject({ method: 'GET', url: '/wp-login.php' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status_code="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="/items/:id",status_code="400"} 1');
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status_code="404"} 1');
    expect(text).toContain(
      'http_request_duration_seconds_count{method="GET",route="/items/:id",status_code="200"} 2',
    );
    expect(text).not.toContain('/items/1');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('/metrics also serves metrics a service adds to its own registry', async () => {
    const registry = new Registry();
    const batches = new Counter({ name: 'ep_batches_total', help: 'batches', registers: [registry] });
    await server([], registry);
    batches.inc(3);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('ep_batches_total 3');
    expect(res.body).toContain('http_requests_total');
  });

  it('lets two servers share one registry', async () => {
    const registry = new Registry();
    await server([], registry);
    const first = app;
    await server([], registry);
    await first.inject({ method: 'GET', url: '/items/1' });
    await app.inject({ method: 'GET', url: '/items/2' });
    await first.close();
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toContain('http_requests_total{method="GET",route="/items/:id",status_code="200"} 2');
  });

  it('httpResource listens on start and closes on stop', async () => {
    await server();
    const resource = httpResource(app, { port: 0, host: '127.0.0.1' });
    await resource.start();
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
    const res = await fetch(`http://127.0.0.1:${address.port}/healthz`);
    expect(res.status).toBe(200);
    await resource.stop();
    expect(app.server.listening).toBe(false);
  });
});
