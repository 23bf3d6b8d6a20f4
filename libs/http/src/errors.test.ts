import { afterEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { createHttpServer, HttpError, type HttpServer } from './index.js';
import { capturingLogger } from './test-support.js';

describe('error handling', () => {
  let app: HttpServer;
  afterEach(async () => {
    await app.close();
  });

  async function server(bodyLimit?: number) {
    const { logger, lines } = capturingLogger();
    app = await createHttpServer({ logger, name: 'test', docs: false, bodyLimit });
    app.put(
      '/sites/:key',
      {
        schema: {
          params: z.object({ key: z.string().regex(/^[a-z0-9-]+$/) }),
          querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
          body: z.object({ name: z.string().min(1), timezone: z.string().min(1) }),
          response: { 200: z.object({ key: z.string() }) },
        },
      },
      async (request) => {
        if (request.params.key === 'taken') throw new HttpError(409, 'site "taken" exists');
        if (request.params.key === 'bad-zone') {
          throw new HttpError(422, 'unknown time zone', [
            { field: 'body.timezone', message: 'not an IANA zone' },
          ]);
        }
        if (request.params.key === 'boom') throw new Error('relation "sites" does not exist');
        // Breaks the 200 schema: a bug on our side, not the caller's.
        if (request.params.key === 'bad-response') return { key: 42 } as unknown as { key: string };
        return { key: request.params.key };
      },
    );
    return lines;
  }

  it('answers 400 naming every invalid body field', async () => {
    await server();
    const res = await app.inject({ method: 'PUT', url: '/sites/carleton', payload: { name: '' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error).toBe('Bad Request');
    expect(body.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'body.name',
      'body.timezone',
    ]);
    expect(body.message).toContain('body.name');
    expect(body.message).toContain('body.timezone');
  });

  it('names the bad query parameter and path parameter', async () => {
    await server();
    const query = await app.inject({
      method: 'PUT',
      url: '/sites/carleton?dryRun=maybe',
      payload: { name: 'Carleton', timezone: 'America/Chicago' },
    });
    expect(query.statusCode).toBe(400);
    expect(query.json().details).toEqual([{ field: 'querystring.dryRun', message: expect.any(String) }]);
    const params = await app.inject({
      method: 'PUT',
      url: '/sites/Not%20OK',
      payload: { name: 'x', timezone: 'UTC' },
    });
    expect(params.statusCode).toBe(400);
    expect(params.json().details[0].field).toBe('params.key');
  });

  it("passes an HttpError's 4xx status, message and details to the client", async () => {
    await server();
    const conflict = await app.inject({
      method: 'PUT',
      url: '/sites/taken',
      payload: { name: 'x', timezone: 'UTC' },
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'Conflict', message: 'site "taken" exists' });
    const invalid = await app.inject({
      method: 'PUT',
      url: '/sites/bad-zone',
      payload: { name: 'x', timezone: 'Mars' },
    });
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json().details).toEqual([{ field: 'body.timezone', message: 'not an IANA zone' }]);
  });

  it("passes fastify's own 4xx errors through (body too large, unsupported media type)", async () => {
    await server(64);
    const large = await app.inject({
      method: 'PUT',
      url: '/sites/carleton',
      payload: { name: 'x'.repeat(100), timezone: 'UTC' },
    });
    expect(large.statusCode).toBe(413);
    expect(large.json().message).toMatch(/too large/i);
    const xml = await app.inject({
      method: 'PUT',
      url: '/sites/carleton',
      headers: { 'content-type': 'application/xml' },
      payload: '<site/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().message).toContain('application/xml');
  });

  it('hides an unexpected error behind a generic 500 and logs its cause', async () => {
    const lines = await server();
    const res = await app.inject({
      method: 'PUT',
      url: '/sites/boom',
      payload: { name: 'x', timezone: 'UTC' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: 'Internal Server Error',
      message: 'Internal Server Error',
      requestId: res.headers['x-request-id'],
    });
    expect(res.body).not.toContain('relation');
    const logged = lines.find((l) => l['msg'] === 'request failed');
    expect(logged?.['level']).toBe(50);
    expect((logged?.['err'] as { message: string }).message).toBe('relation "sites" does not exist');
    expect(logged?.['reqId']).toBe(res.headers['x-request-id']);
  });

  it('treats a response that breaks its own schema as a 500, not as the caller’s fault', async () => {
    const lines = await server();
    const res = await app.inject({
      method: 'PUT',
      url: '/sites/bad-response',
      payload: { name: 'x', timezone: 'UTC' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe('Internal Server Error');
    expect(lines.some((l) => l['msg'] === 'request failed')).toBe(true);
  });

  it('answers unknown routes with 404 naming the method and path', async () => {
    await server();
    const res = await app.inject({ method: 'DELETE', url: '/nowhere/1?x=2' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'Not Found', message: 'no route for DELETE /nowhere/1' });
  });

  it("keeps a caller's x-request-id and makes one up otherwise", async () => {
    await server();
    const given = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'lb-7f3a' },
    });
    expect(given.headers['x-request-id']).toBe('lb-7f3a');
    const made = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\twith tab' },
    });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
