import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import { sql } from 'kysely';
import { queryTestEnv, series, type QueryTestEnv } from './support.js';

// Keys, scopes and site binding; browsing; uploads; test stands; admin; /docs/json; /metrics.

let env: QueryTestEnv;
const keys = { read: '', bound: '', uploadOnly: '', revoked: '' };
let northPoint = 0;
let southPoint = 0;

beforeAll(async () => {
  env = await queryTestEnv('qapi');
  await env.addSite('north', 'America/Chicago');
  await env.addSite('south', 'Europe/London');
  keys.read = await env.addKey('dash', ['read']);
  keys.bound = await env.addKey('south-only', ['read'], 'south');
  keys.uploadOnly = await env.addKey('uploader', ['upload:siemens']);
  keys.revoked = await env.addKey('old', ['read']);
  const samples = series('2018-01-01T00:00:00Z', '2018-01-01T03:00:00Z', 3_600_000, () => 2);
  const pts = (node: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      node,
      device: `D${i % 2}`,
      parameter: `P${i}`,
      name: `${node}.D${i % 2}.P${i}`,
      unit: i % 2 ? 'kW' : '°C',
      samples,
    }));
  await env.store({
    v: 1,
    batchId: 'qapi-1',
    source: 'siemens',
    site: 'north',
    producedAt: '2026-01-01T00:00:00Z',
    points: pts('BOILER', 5),
  });
  await env.store({
    v: 1,
    batchId: 'qapi-2',
    source: 'alc',
    site: 'south',
    producedAt: '2026-01-01T00:00:00Z',
    points: pts('LIBRARY', 2),
  });
  const rows = await env.db
    .selectFrom('points')
    .innerJoin('sites', 'sites.id', 'points.site_id')
    .select(['points.id', 'sites.key'])
    .orderBy('points.id')
    .execute();
  northPoint = rows.find((r) => r.key === 'north')!.id;
  southPoint = rows.find((r) => r.key === 'south')!.id;
  // Upload records belong to upload-ingest, which the store only adds counts to; they are
  // written here as upload-ingest writes them.
  const siteId = async (key: string) =>
    (await env.db.selectFrom('sites').select('id').where('key', '=', key).executeTakeFirstOrThrow()).id;
  const north = await siteId('north');
  const south = await siteId('south');
  for (let i = 0; i < 5; i++) {
    // The key named "uploader" (upload:siemens) sent up-1 (siemens) and up-3 (alc).
    await sql`INSERT INTO uploads (id, kind, sha256, size, site_id, status, raw, received_at, samples, errors, uploader)
              VALUES (${`up-${i}`}, ${i === 3 ? 'alc' : 'siemens'}, ${`sha${i}`}, 10, ${i < 4 ? north : south}, ${i === 2 ? 'failed' : 'stored'}, '\\x00',
                      '2026-01-01T00:00:00Z', ${i * 10}, ${JSON.stringify(i === 2 ? [{ line: 7, reason: 'bad date' }] : [])}::jsonb,
                      ${i === 1 || i === 3 ? 'uploader' : null})`.execute(env.db);
  }
  const revoked = await env.call('GET', '/api/v1/admin/keys', env.adminKey);
  const old = revoked.json.items.find((k: { name: string }) => k.name === 'old');
  expect((await env.call('DELETE', `/api/v1/admin/keys/${old.id}`, env.adminKey)).status).toBe(200);
  // Test stand messages arrive through the store's teststand consumer, as in production.
  const event = (id: string, kind: 'status' | 'data', extra: object) => ({
    v: 1 as const,
    eventId: id,
    stand: 'rig1',
    module: 'm1',
    kind,
    direction: 'inbound' as const,
    topic: 'rig1/m1/Inbound',
    receivedAt: '2026-01-01T00:00:00Z',
    raw: '{}',
    valid: true,
    ...extra,
  });
  await env.publishTeststand(event('ts-1', 'status', { statusCode: 600, msgType: 'status' }));
  await env.publishTeststand(
    event('ts-2', 'data', { msgType: 'data', data: { t: [0, 1, 2], temp: [20.5, 21, null] } }),
  );
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

describe('API keys', () => {
  it('refuses a missing, unknown or revoked key with 401, and a key without read with 403', async () => {
    expect((await env.get('/api/v1/sites')).status).toBe(401);
    expect(
      (await env.get('/api/v1/sites', 'ep_aaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).json.message,
    ).toBe('unknown API key');
    expect((await env.get('/api/v1/sites', keys.revoked)).json.message).toBe('API key has been revoked');
    const noRead = await env.get('/api/v1/sites', keys.uploadOnly);
    expect(noRead.status).toBe(403);
    expect(noRead.json.message).toMatch(/lacks scope read/);
  });

  it('keeps the admin routes for admin keys', async () => {
    const r = await env.get('/api/v1/admin/keys', keys.read);
    expect(r.status).toBe(403);
    expect(r.json.message).toMatch(/lacks scope admin/);
  });

  it('shows a key bound to a site only that site, answering 404 for the others', async () => {
    const sites = await env.get('/api/v1/sites', keys.bound);
    expect(sites.json.items.map((s: { key: string }) => s.key)).toEqual(['south']);
    expect((await env.get('/api/v1/sites/north', keys.bound)).status).toBe(404);
    expect((await env.get('/api/v1/sites/south', keys.bound)).json.timezone).toBe('Europe/London');
    const points = await env.get('/api/v1/points', keys.bound);
    expect(points.json.items.map((p: { site: string }) => p.site)).toEqual(['south', 'south']);
    expect((await env.get('/api/v1/points?site=north', keys.bound)).status).toBe(404);
    for (const path of [
      `/api/v1/points/${northPoint}`,
      `/api/v1/points/${northPoint}/latest`,
      `/api/v1/points/${northPoint}/samples?from=2018-01-01&to=2018-01-02`,
      `/api/v1/points/${northPoint}/aggregate?from=2018-01-01&to=2018-01-02&interval=1h`,
      `/api/v1/series?points=${southPoint},${northPoint}&from=2018-01-01&to=2018-01-02&interval=1h`,
      `/api/v1/latest?points=${northPoint}`,
      '/api/v1/uploads/up-0',
      '/api/data/north/device/D0',
    ]) {
      const r = await env.get(path, keys.bound);
      expect([path, r.status]).toEqual([path, 404]);
    }
    expect((await env.get(`/api/v1/points/${southPoint}/latest`, keys.bound)).json.value).toBe(2);
    expect((await env.get('/api/v1/teststands', keys.bound)).status).toBe(403);
  });

  it('records when a key was last used', async () => {
    expect((await env.get('/api/v1/sites', keys.read)).status).toBe(200);
    // The update runs after the answer, so it is awaited here rather than assumed.
    const list = await waitFor(async () => {
      const r = await env.get('/api/v1/admin/keys', env.adminKey);
      return r.json.items.find((k: { name: string; lastUsedAt: string | null }) => k.name === 'dash')
        .lastUsedAt
        ? r
        : undefined;
    });
    expect(JSON.stringify(list.json)).not.toContain(keys.read);
    expect(list.json.items.find((k: { name: string }) => k.name === 'old').revokedAt).not.toBeNull();
  });
});

describe('browsing', () => {
  it('filters points, searches them and pages through them without gaps or repeats', async () => {
    const kw = await env.get('/api/v1/points?site=north&unit=kW', keys.read);
    expect(kw.json.items.map((p: { parameter: string }) => p.parameter)).toEqual(['P1', 'P3']);
    const device = await env.get('/api/v1/points?device=D0&node=BOILER', keys.read);
    expect(device.json.items.map((p: { parameter: string }) => p.parameter)).toEqual(['P0', 'P2', 'P4']);
    const search = await env.get('/api/v1/points?q=library.d1', keys.read);
    expect(search.json.items.map((p: { name: string }) => p.name)).toEqual(['LIBRARY.D1.P1']);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { json: { items: { id: number }[]; nextCursor: string | null } } = await env.get(
        `/api/v1/points?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        keys.read,
      );
      seen.push(...r.json.items.map((p) => p.id));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(7);
  });

  it('answers one point with its metadata, extent and last value', async () => {
    const r = await env.get(`/api/v1/points/${northPoint}`, keys.read);
    expect(r.json).toMatchObject({
      id: northPoint,
      site: 'north',
      source: 'siemens',
      node: 'BOILER',
      device: 'D0',
      parameter: 'P0',
      unit: '°C',
      firstTs: '2018-01-01T00:00:00Z',
      lastTs: '2018-01-01T02:00:00Z',
      lastValue: 2,
      lastQuality: 0,
      meta: {},
    });
    expect((await env.get('/api/v1/points/abc', keys.read)).status).toBe(400);
    expect((await env.get('/api/v1/points/424242', keys.read)).status).toBe(404);
  });

  it('answers a site as a tree of nodes, devices and parameters with point ids and last values', async () => {
    const r = await env.get('/api/v1/sites/north/tree', keys.read);
    expect(r.status).toBe(200);
    expect(r.json.site).toBe('north');
    expect(r.json.timezone).toBe('America/Chicago');
    expect(r.json.nodes.map((n: { node: string }) => n.node)).toEqual(['BOILER']);
    const [d0, d1] = r.json.nodes[0].devices;
    expect(d0.device).toBe('D0');
    expect(d0.parameters.map((p: { parameter: string }) => p.parameter)).toEqual(['P0', 'P2', 'P4']);
    expect(d1.parameters.map((p: { parameter: string }) => p.parameter)).toEqual(['P1', 'P3']);
    expect(d1.parameters[0]).toEqual({
      parameter: 'P1',
      point: expect.any(Number),
      name: 'BOILER.D1.P1',
      unit: 'kW',
      kind: null,
      lastTs: '2018-01-01T02:00:00Z',
      lastValue: 2,
      lastQuality: 0,
    });
    const point = await env.get(`/api/v1/points/${d1.parameters[0].point}`, keys.read);
    expect(point.json.name).toBe('BOILER.D1.P1');
    // A key bound to another site, or an unknown site: 404 alike.
    expect((await env.get('/api/v1/sites/north/tree', keys.bound)).status).toBe(404);
    expect((await env.get('/api/v1/sites/nowhere/tree', keys.read)).status).toBe(404);
  });

  it('lists uploads newest first with their counts and errors, paging on (time, id)', async () => {
    const first = await env.get('/api/v1/uploads?limit=2&site=north', keys.read);
    expect(first.json.items.map((u: { id: string }) => u.id)).toEqual(['up-3', 'up-2']);
    const second = await env.get(
      `/api/v1/uploads?limit=2&site=north&cursor=${first.json.nextCursor}`,
      keys.read,
    );
    expect(second.json.items.map((u: { id: string }) => u.id)).toEqual(['up-1', 'up-0']);
    expect(second.json.nextCursor).toBeNull();
    const failed = await env.get('/api/v1/uploads/up-2', keys.read);
    expect(failed.json).toMatchObject({
      id: 'up-2',
      status: 'failed',
      site: 'north',
      counts: { samples: 20 },
      errors: [{ line: 7, reason: 'bad date' }],
    });
    expect(
      (await env.get('/api/v1/uploads', keys.bound)).json.items.map((u: { id: string }) => u.id),
    ).toEqual(['up-4']);
    expect((await env.get('/api/v1/uploads/nope', keys.read)).status).toBe(404);
  });

  it('lets a key that may only upload read the reports of its own uploads of its kinds', async () => {
    const own = await env.get('/api/v1/uploads', keys.uploadOnly);
    expect(own.status).toBe(200);
    expect(own.json.items.map((u: { id: string }) => u.id)).toEqual(['up-1']);
    const report = await env.get('/api/v1/uploads/up-1', keys.uploadOnly);
    expect(report.status).toBe(200);
    expect(report.json).toMatchObject({ id: 'up-1', uploader: 'uploader', status: 'stored' });
    // Someone else's upload, or its own of a kind it may no longer upload: as if it did not exist.
    expect((await env.get('/api/v1/uploads/up-0', keys.uploadOnly)).status).toBe(404);
    expect((await env.get('/api/v1/uploads/up-3', keys.uploadOnly)).status).toBe(404);
  });

  it('refuses an unknown status filter with 400 naming the statuses', async () => {
    const bogus = await env.get('/api/v1/uploads?status=bogus', keys.read);
    expect(bogus.status).toBe(400);
    expect(bogus.json.message).toContain('querystring.status');
    for (const status of ['received', 'parsing', 'publishing', 'published', 'stored', 'failed'])
      expect(bogus.json.message).toContain(status);
    const failed = await env.get('/api/v1/uploads?status=failed', keys.read);
    expect(failed.json.items.map((u: { id: string }) => u.id)).toEqual(['up-2']);
  });
});

describe('test stands', () => {
  it('lists stands and their messages, filtered by type', async () => {
    const stands = await env.get('/api/v1/teststands', keys.read);
    expect(stands.json.items).toEqual([
      expect.objectContaining({ stand: 'rig1', module: 'm1', powerCode: 600 }),
    ]);
    const data = await env.get('/api/v1/teststands/rig1/messages?type=data', keys.read);
    expect(data.json.items.map((m: { eventId: string }) => m.eventId)).toEqual(['ts-2']);
    const all = await env.get('/api/v1/teststands/rig1/messages?limit=1', keys.read);
    expect(all.json.items).toHaveLength(1);
    const rest = await env.get(
      `/api/v1/teststands/rig1/messages?limit=1&cursor=${all.json.nextCursor}`,
      keys.read,
    );
    expect([...all.json.items, ...rest.json.items].map((m: { eventId: string }) => m.eventId)).toEqual([
      'ts-1',
      'ts-2',
    ]);
    expect(rest.json.nextCursor).toBeNull();
    expect((await env.get('/api/v1/teststands/nope/messages', keys.read)).status).toBe(404);
  });

  it('gives a data package as CSV, one column per data key', async () => {
    const list = await env.get('/api/v1/teststands/rig1/messages?type=data', keys.read);
    const id = list.json.items[0].id;
    const csv = await env.get(`/api/v1/teststands/rig1/messages/${id}?format=csv`, keys.read);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="rig1-${id}.csv"`);
    expect(csv.text).toBe('t,temp\r\n0,20.5\r\n1,21\r\n2,\r\n');
    expect((await env.get(`/api/v1/teststands/rig1/messages/${id}`, keys.read)).json.data).toEqual({
      t: [0, 1, 2],
      temp: [20.5, 21, null],
    });
    expect((await env.get(`/api/v1/teststands/rig2/messages/${id}`, keys.read)).status).toBe(404);
  });
});

describe('test stand liveness', () => {
  // teststand-handler's liveness events, in the shape it publishes them (adapters/liveness.ts),
  // through the store's teststand consumer.
  const liveness = (stand: string, kind: 'online' | 'offline', revision: number, receivedAt: string) =>
    env.publishTeststand({
      v: 1,
      eventId: `liveness:${Buffer.from(stand).toString('base64url')}:${kind}:${revision}@mbx0`,
      stand,
      module: '',
      kind,
      direction: 'platform',
      topic: '',
      receivedAt,
      raw: '',
      valid: true,
      errors: [],
    });
  const stand = async (name: string) =>
    (await env.get('/api/v1/teststands', keys.read)).json.items.filter(
      (t: { stand: string }) => t.stand === name,
    );

  it('flags each stand online or offline by the handler’s latest liveness event', async () => {
    // rig1's messages came without the handler's liveness: unknown, not guessed.
    expect(await stand('rig1')).toEqual([
      expect.objectContaining({ stand: 'rig1', online: null, livenessChangedAt: null }),
    ]);
    const t0 = '2026-02-01T10:00:00Z';
    await env.publishTeststand({
      v: 1,
      eventId: 'rig5-status-1',
      stand: 'rig5',
      module: 'pump',
      kind: 'status',
      direction: 'inbound',
      topic: 'rig5/pump/Inbound',
      receivedAt: t0,
      raw: '{}',
      valid: true,
      msgType: 'status',
      statusCode: 200,
    });
    await liveness('rig5', 'online', 3, t0);
    const [on] = await stand('rig5');
    expect(on).toMatchObject({ module: 'pump', online: true, lastSeen: t0 });
    expect(Date.parse(on.livenessChangedAt)).not.toBeNaN();
    // Heard once, then silent: the offline event carries the same time as the online one.
    await liveness('rig5', 'offline', 9, t0);
    expect(await stand('rig5')).toEqual([
      expect.objectContaining({ module: 'pump', online: false, lastSeen: t0 }),
    ]);
    const history = await env.get('/api/v1/teststands/rig5/messages?kind=offline', keys.read);
    expect(history.json.items.map((m: { eventId: string }) => m.eventId)).toEqual([
      `liveness:${Buffer.from('rig5').toString('base64url')}:offline:9@mbx0`,
    ]);
    // Heard again.
    const t1 = '2026-02-01T10:05:00Z';
    await liveness('rig5', 'online', 12, t1);
    expect(await stand('rig5')).toEqual([expect.objectContaining({ module: 'pump', online: true })]);
  });
});

describe('admin', () => {
  it('creates a key whose secret is shown once and works, binding it to a known site only', async () => {
    const created = await env.call('POST', '/api/v1/admin/keys', env.adminKey, {
      name: 'script',
      scopes: 'read,upload:alc',
      site: 'north',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: 'script',
      scopes: ['read', 'upload:alc'],
      site: 'north',
      revokedAt: null,
    });
    expect((await env.get('/api/v1/sites', created.json.secret)).json.items).toHaveLength(1);
    const stored = await env.db
      .selectFrom('api_keys')
      .select('hash')
      .where('id', '=', created.json.id)
      .executeTakeFirstOrThrow();
    expect(stored.hash).not.toContain(created.json.secret);
    const badScope = await env.call('POST', '/api/v1/admin/keys', env.adminKey, {
      name: 'x',
      scopes: ['write'],
    });
    expect(badScope.status).toBe(400);
    expect(badScope.json.message).toMatch(/^scopes: unknown scope write; allowed: read, upload:siemens/);
    const badSite = await env.call('POST', '/api/v1/admin/keys', env.adminKey, {
      name: 'x',
      scopes: ['read'],
      site: 'atlantis',
    });
    expect(badSite.json.message).toMatch(/^site: unknown site atlantis/);
    expect((await env.call('DELETE', '/api/v1/admin/keys/99999', env.adminKey)).status).toBe(404);
  });

  it('creates and renames sites, validating the time zone, and refuses to re-zone a site with data', async () => {
    const created = await env.call('PUT', '/api/v1/admin/sites/east', env.adminKey, {
      timezone: 'america/new_york',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ key: 'east', name: 'east', timezone: 'America/New_York' });
    const renamed = await env.call('PUT', '/api/v1/admin/sites/east', env.adminKey, {
      name: 'East campus',
      timezone: 'America/Chicago',
    });
    expect(renamed.status).toBe(200);
    expect((await env.get('/api/v1/admin/sites/east', env.adminKey)).json).toMatchObject({
      name: 'East campus',
      timezone: 'America/Chicago',
    });
    const badZone = await env.call('PUT', '/api/v1/admin/sites/east', env.adminKey, {
      timezone: 'Central Time',
    });
    expect(badZone.status).toBe(400);
    expect(badZone.json.message).toMatch(/^timezone: unknown time zone "Central Time"/);
    const badKey = await env.call('PUT', '/api/v1/admin/sites/East%20Campus', env.adminKey, {
      timezone: 'UTC',
    });
    expect(badKey.json.message).toMatch(/^key: /);
    expect(
      (await env.call('PUT', '/api/v1/admin/sites/north', env.adminKey, { timezone: 'UTC' })).status,
    ).toBe(409);
    expect((await env.get('/api/v1/admin/sites/nowhere', env.adminKey)).status).toBe(404);
  });
});

describe('operations', () => {
  it('publishes an OpenAPI 3 document with every route and its response schemas', async () => {
    const r = await env.get('/docs/json');
    expect(r.status).toBe(200);
    const doc = r.json;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = [
      'get /api/v1/sites',
      'get /api/v1/sites/{site}',
      'get /api/v1/sites/{site}/tree',
      'get /api/v1/points',
      'get /api/v1/points/{id}',
      'get /api/v1/points/{id}/latest',
      'get /api/v1/latest',
      'get /api/v1/points/{id}/samples',
      'get /api/v1/points/{id}/aggregate',
      'get /api/v1/series',
      'get /api/v1/uploads',
      'get /api/v1/uploads/{id}',
      'get /api/v1/teststands',
      'get /api/v1/teststands/{stand}/messages',
      'get /api/v1/teststands/{stand}/messages/{id}',
      'get /api/v1/teststands/{stand}/messages/{id}/export',
      'post /api/v1/teststands/{stand}/commands',
      'get /api/v1/teststands/{stand}/commands/{id}',
      'post /api/v1/admin/keys',
      'get /api/v1/admin/keys',
      'delete /api/v1/admin/keys/{id}',
      'get /api/v1/admin/sites',
      'get /api/v1/admin/sites/{key}',
      'put /api/v1/admin/sites/{key}',
      'get /api/v1/gateways',
      'get /api/v1/sites/{site}/setpoint-events',
      'get /api/v1/points/{id}/setpoint-events',
      'get /api/v1/points/{id}/setpoint-writes',
      'post /api/v1/points/{id}/setpoint',
      'get /api/v1/admin/gateways',
      'put /api/v1/admin/gateways/{name}',
      'delete /api/v1/admin/gateways/{name}',
      'patch /api/v1/points/{id}',
      'get /api/v1/points/{id}/edits',
      'post /api/v1/admin/points/metadata',
      'get /api/data/{site}/device/{deviceId}',
      'get /healthz',
      'get /readyz',
      'get /metrics',
    ];
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...routes].sort());
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path][method];
      const ok = op.responses['200'] ?? op.responses['201'];
      expect([
        route,
        Object.values(ok.content ?? {}).every((c) => (c as { schema?: unknown }).schema !== undefined),
      ]).toEqual([route, true]);
      expect([route, Object.keys(ok.content ?? {}).length > 0]).toEqual([route, true]);
    }
    expect(
      doc.paths['/api/v1/points/{id}/aggregate'].get.parameters.map((p: { name: string }) => p.name),
    ).toEqual(expect.arrayContaining(['id', 'from', 'to', 'interval', 'fn', 'tz']));
  });

  it('serves health, readiness and per-route request metrics', async () => {
    expect((await env.get('/healthz')).json).toEqual({ status: 'ok' });
    expect((await env.get('/readyz')).json.status).toBe('ready');
    const metrics = await env.get('/metrics');
    expect(metrics.text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/points\/:id",status_code="200"\} \d+/,
    );
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/sites"/);
  });
});
