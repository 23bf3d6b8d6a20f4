import { afterEach, describe, expect, it } from '@jest/globals';
import { createHttpServer, type HttpServer } from '@ep/http';
import { silentLogger } from '@ep/logger';
import { z } from 'zod';
import { authPlugin, generateApiKey, type Principal, type StoredApiKey } from './index.js';

describe('the auth hook: each route declares its access, one hook checks it', () => {
  let app: HttpServer;
  afterEach(async () => {
    await app?.close();
  });

  const reader = generateApiKey();
  const uploader = generateApiKey();
  const keys: Record<string, StoredApiKey> = {
    [reader.prefix]: {
      id: 1,
      name: 'dash',
      hash: reader.hash,
      scopes: ['read'],
      site: null,
      revokedAt: null,
    },
    [uploader.prefix]: {
      id: 2,
      name: 'scheduler',
      hash: uploader.hash,
      scopes: ['upload:siemens'],
      site: 'carleton',
      revokedAt: null,
    },
  };

  async function server(seen: Principal[] = []) {
    app = await createHttpServer({ logger: silentLogger(), name: 'test', docs: { title: 'test' } });
    await app.register(authPlugin, {
      findKey: async (prefix) => keys[prefix],
      onAuthenticated: (principal) => seen.push(principal),
    });
    await app.register(async (api) => {
      api.get('/open', { config: { access: 'public' }, schema: { tags: ['t'] } }, async () => ({ ok: true }));
      api.get('/read', { config: { access: 'read' }, schema: { tags: ['t'] } }, async (request) => ({
        who: request.principal!.name,
      }));
      api.post(
        '/either',
        {
          config: { access: ['read', 'upload:siemens'] },
          schema: { body: z.object({ n: z.number() }) },
        },
        async (request) => ({ who: request.principal!.name }),
      );
    });
    return seen;
  }

  it('lets a public route through and refuses a scoped one without a key (401) or the scope (403)', async () => {
    const seen = await server();
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    const none = await app.inject({ url: '/read' });
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toMatch(/missing Authorization header/);
    const wrong = await app.inject({ url: '/read', headers: { authorization: `Bearer ${uploader.secret}` } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().message).toBe('API key "scheduler" lacks scope read');
    const ok = await app.inject({ url: '/read', headers: { authorization: `Bearer ${reader.secret}` } });
    expect(ok.json()).toEqual({ who: 'dash' });
    expect(seen.map((p) => p.name)).toEqual(['dash']);
  });

  it('accepts any one of a list of scopes, and checks the key before the body', async () => {
    await server();
    const noKey = await app.inject({ method: 'POST', url: '/either', payload: { n: 'not a number' } });
    expect(noKey.statusCode).toBe(401);
    const up = await app.inject({
      method: 'POST',
      url: '/either',
      headers: { authorization: `Bearer ${uploader.secret}` },
      payload: { n: 1 },
    });
    expect(up.json()).toEqual({ who: 'scheduler' });
  });

  it('documents scoped routes with the bearer scheme and public ones without', async () => {
    await server();
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/read'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/either'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/open'].get.security).toEqual([]);
  });

  it('refuses to start with a route that declares no access', async () => {
    app = await createHttpServer({ logger: silentLogger(), name: 'test', docs: false });
    await app.register(authPlugin, { findKey: async () => undefined });
    await expect(
      app.register(async (api) => {
        api.get('/forgotten', async () => ({}));
      }),
    ).rejects.toThrow(/GET \/forgotten declares no access/);
  });
});
