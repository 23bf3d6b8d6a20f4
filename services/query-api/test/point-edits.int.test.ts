import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateApiKey } from '@ep/auth';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import type { TestDatabase } from '@ep/testkit';
import type { Kysely } from 'kysely';
import { parseQueryApiConfig } from '../src/config.js';
import { createQueryApi, type QueryApi } from '../src/query-api.js';

// Issue 13, describing points over real HTTP against real PostgreSQL: PATCH /points/{id} (admin),
// its history, and the metadata CSV. That an upload keeps the edit is measurement-store's
// test/point-edits.int.test.ts (through NATS and the store).

let testDb: TestDatabase;
let db: Kysely<Database>;
let api: QueryApi;
let base = '';
const keys = { admin: '', read: '' };
const ids = { kwh: 0, fan: 0 };

async function call(method: string, path: string, key: string, body?: unknown, type = 'application/json') {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': type } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

beforeAll(async () => {
  testDb = await createMigratedTestDatabase('qpedits');
  db = createDb<Database>({ url: testDb.url, max: 3 });
  for (const [name, scopes] of [
    ['ops', ['admin']],
    ['dash', ['read']],
  ] as const) {
    const k = generateApiKey();
    await db
      .insertInto('api_keys')
      .values({ name, prefix: k.prefix, hash: k.hash, scopes: [...scopes], site_id: null })
      .execute();
    keys[name === 'ops' ? 'admin' : 'read'] = k.secret;
  }
  const site = await db
    .insertInto('sites')
    .values({ key: 'carleton', name: 'Carleton', timezone: 'America/Chicago' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const point = (name: string, kind: string) =>
    db
      .insertInto('points')
      .values({
        site_id: site.id,
        source: 'siemens',
        node: name.split('.')[0]!,
        device: name.split('.')[1]!,
        parameter: name.split('.')[2]!,
        name,
        unit: null,
        kind,
        states: null,
        description: null,
        interval_seconds: 300,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  ids.kwh = (await point('CMC.328.KWH', 'sampled')).id;
  ids.fan = (await point('AHU1.SF.STATUS', 'sampled')).id;
  api = await createQueryApi(
    parseQueryApiConfig({ DATABASE_URL: testDb.url, DATABASE_POOL_SIZE: '2', PORT: '0' }),
    { logger: silentLogger() },
  );
  await api.lifecycle.start();
  const address = api.server.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await api?.lifecycle.stop();
  await db?.destroy();
  await testDb?.drop();
});

describe('PATCH /api/v1/points/{id}', () => {
  it('sets unit, kind, interval, display name, description and states, records who and when, lists the edits', async () => {
    const r = await call('PATCH', `/api/v1/points/${ids.kwh}`, keys.admin, {
      unit: 'kWh',
      kind: 'counter',
      intervalSeconds: 900,
      displayName: 'Main meter',
      description: 'CMC building main electricity meter',
    });
    expect(r.status).toBe(200);
    expect(r.json.point).toMatchObject({
      id: ids.kwh,
      unit: 'kWh',
      kind: 'counter',
      intervalSeconds: 900,
      displayName: 'Main meter',
      description: 'CMC building main electricity meter',
      edited: ['description', 'display_name', 'interval_seconds', 'kind', 'unit'],
    });
    expect(r.json.edits.map((e: { field: string }) => e.field)).toEqual([
      'unit',
      'description',
      'display_name',
      'kind',
      'interval_seconds',
    ]);
    const states = await call('PATCH', `/api/v1/points/${ids.fan}`, keys.admin, {
      kind: 'state',
      states: { '0': 'OFF', '1': 'ON' },
    });
    expect(states.json.point).toMatchObject({ kind: 'state', states: { '0': 'OFF', '1': 'ON' } });

    const edits = await call('GET', `/api/v1/points/${ids.kwh}/edits`, keys.admin);
    expect(edits.status).toBe(200);
    expect(edits.json.items[0]).toMatchObject({
      field: 'unit',
      old: null,
      new: 'kWh',
      by: expect.stringMatching(/^key:ops#\d+$/),
    });
    expect(edits.json.items.find((e: { field: string }) => e.field === 'interval_seconds')).toMatchObject({
      old: 300,
      new: 900,
    });
    expect(Date.now() - Date.parse(edits.json.items[0].at)).toBeLessThan(60_000);
    // Written as every time of the API is ("…00Z", as samples), never "….000Z": a whole second shows it.
    const first = edits.json.items[0].id as number;
    await db
      .updateTable('point_edits')
      .set({ at: new Date('2026-12-03T07:00:00Z') })
      .where('id', '=', first)
      .execute();
    const again = await call('GET', `/api/v1/points/${ids.kwh}/edits`, keys.admin);
    expect(again.json.items.find((e: { id: number }) => e.id === first).at).toBe('2026-12-03T07:00:00Z');
    // GET /points/{id} (read) shows the new description.
    const read = await call('GET', `/api/v1/points/${ids.kwh}`, keys.read);
    expect(read.json).toMatchObject({ unit: 'kWh', kind: 'counter', intervalSeconds: 900 });
  });

  it('refuses bad values with 400 naming the field, other scopes with 403, unknown points with 404', async () => {
    const bad = async (body: unknown) =>
      (await call('PATCH', `/api/v1/points/${ids.kwh}`, keys.admin, body)).json;
    expect((await bad({ kind: 'meter' })).message).toMatch(
      /^kind: "meter" is not a kind; one of sampled, state, counter, event/,
    );
    expect((await bad({ intervalSeconds: 0 })).message).toMatch(/^intervalSeconds: /);
    expect((await bad({ intervalSeconds: 1.5 })).details[0].field).toBe('body.intervalSeconds');
    expect((await bad({ states: { on: 'ON' } })).message).toMatch(/^states: key "on" is not a state number/);
    expect((await bad({ unit: '  ' })).message).toMatch(/^unit: is empty/);
    expect((await bad({ colour: 'red' })).message).toMatch(/colour/);
    expect((await bad({})).message).toMatch(/no field to change/);
    expect((await call('PATCH', `/api/v1/points/${ids.kwh}`, keys.read, { unit: 'W' })).status).toBe(403);
    expect((await call('PATCH', '/api/v1/points/999999', keys.admin, { unit: 'W' })).status).toBe(404);
    expect((await call('GET', `/api/v1/points/${ids.kwh}/edits`, keys.read)).status).toBe(403);
    // Nothing refused was written.
    const p = await db.selectFrom('points').selectAll().where('id', '=', ids.kwh).executeTakeFirstOrThrow();
    expect(p).toMatchObject({ unit: 'kWh', kind: 'counter', interval_seconds: 900 });
  });
});

describe('POST /api/v1/admin/points/metadata (text/csv)', () => {
  it('applies good lines, refuses bad ones by line number, by point_id or by site and name', async () => {
    const csv = [
      'point_id,unit,kind,interval_seconds,states',
      `${ids.kwh},MWh,,,`,
      `${ids.fan},,state,60,"{""0"":""STOPPED"",""1"":""RUNNING""}"`,
      `${ids.kwh},,meter,,`,
      '999999,W,,,',
      `${ids.kwh},,,-5,`,
    ].join('\r\n');
    const r = await call('POST', '/api/v1/admin/points/metadata', keys.admin, csv, 'text/csv');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ applied: 2, refused: 3 });
    expect(r.json.lines).toEqual([
      { line: 2, status: 'applied', pointId: ids.kwh, changed: ['unit'] },
      { line: 3, status: 'applied', pointId: ids.fan, changed: ['states', 'interval_seconds'] },
      { line: 4, status: 'refused', error: expect.stringMatching(/^kind: "meter" is not a kind/) },
      { line: 5, status: 'refused', error: 'point_id: point 999999 not found' },
      { line: 6, status: 'refused', error: expect.stringMatching(/^interval_seconds: "-5"/) },
    ]);
    const fan = await db.selectFrom('points').selectAll().where('id', '=', ids.fan).executeTakeFirstOrThrow();
    expect(fan).toMatchObject({ states: { '0': 'STOPPED', '1': 'RUNNING' }, interval_seconds: 60 });

    const byName = await call(
      'POST',
      '/api/v1/admin/points/metadata',
      keys.admin,
      'site,name,description\ncarleton,CMC.328.KWH,Main meter (kWh)\ncarleton,NOPE,x\n',
      'text/csv',
    );
    expect(byName.json.lines).toEqual([
      { line: 2, status: 'applied', pointId: ids.kwh, changed: ['description'] },
      { line: 3, status: 'refused', error: 'name: point NOPE of site carleton not found' },
    ]);
  });

  it('refuses a header it cannot use with 400, and other scopes with 403', async () => {
    const r = await call(
      'POST',
      '/api/v1/admin/points/metadata',
      keys.admin,
      'point_id,colour\n1,red\n',
      'text/csv',
    );
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/line 1: unknown column "colour"/);
    const noId = await call('POST', '/api/v1/admin/points/metadata', keys.admin, 'unit\nkWh\n', 'text/csv');
    expect(noId.json.message).toMatch(/point_id column, or site and name/);
    expect(
      (await call('POST', '/api/v1/admin/points/metadata', keys.read, 'point_id,unit\n1,W\n', 'text/csv'))
        .status,
    ).toBe(403);
  });
});
