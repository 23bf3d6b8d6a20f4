import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clientTypes } from '@ep/openapi';
import { readFile } from 'node:fs/promises';
import createClient from 'openapi-fetch';
import type { paths } from './client/query-api.js';
import { queryTestEnv, series, type QueryTestEnv } from './support.js';

// A client generated from the OpenAPI document (openapi-typescript types + openapi-fetch) calls
// the running API: `pnpm typecheck` checks these calls against the generated types, and the
// first test checks the committed types are what the server's document gives today.

let env: QueryTestEnv;
let key: string;
let pointId: number;

beforeAll(async () => {
  env = await queryTestEnv('qclient');
  await env.addSite('campus', 'America/Chicago');
  key = await env.addKey('client', ['read']);
  await env.store({
    v: 1,
    batchId: 'qclient-1',
    source: 'siemens',
    site: 'campus',
    producedAt: '2026-01-01T00:00:00Z',
    points: [
      {
        node: 'PLANT',
        device: 'CH1',
        parameter: 'KW',
        name: 'PLANT.CH1.KW',
        unit: 'kW',
        intervalSeconds: 900,
        samples: series('2018-01-01T06:00:00Z', '2018-01-02T06:00:00Z', 900_000, () => 4),
      },
    ],
  });
  pointId = (await env.db.selectFrom('points').select('id').executeTakeFirstOrThrow()).id;
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

describe('a client generated from the OpenAPI document', () => {
  it('is typed from the document the server serves now (else: pnpm openapi:client)', async () => {
    const served = await env.get('/docs/json');
    const committed = await readFile(new URL('./client/query-api.ts', import.meta.url), 'utf8');
    expect(await clientTypes(served.json)).toBe(committed);
  });

  it('reads a point and its daily aggregate through the typed client', async () => {
    // A JSON client: routes that also answer CSV or xlsx (format=…) type their JSON answer.
    const client = createClient<paths, 'application/json'>({
      baseUrl: env.baseUrl,
      headers: { authorization: `Bearer ${key}` },
    });
    const point = await client.GET('/api/v1/points/{id}', { params: { path: { id: pointId } } });
    expect(point.response.status).toBe(200);
    const unit: string | null | undefined = point.data?.unit;
    expect(unit).toBe('kW');

    const day = await client.GET('/api/v1/points/{id}/aggregate', {
      params: {
        path: { id: pointId },
        query: {
          from: '2018-01-01T06:00:00Z',
          to: '2018-01-02T06:00:00Z',
          interval: '1d',
          tz: 'America/Chicago',
          fn: 'avg,sum',
        },
      },
    });
    expect(day.error).toBeUndefined();
    const bucket = day.data!.buckets[0]!;
    const coverage: number | null = bucket.coverage;
    expect({ start: bucket.start, avg: bucket.avg, sum: bucket.sum, count: bucket.count, coverage }).toEqual({
      start: '2018-01-01T00:00:00-06:00',
      avg: 4,
      sum: 96 * 4,
      count: 96,
      coverage: 1,
    });

    const refused = await client.GET('/api/v1/uploads', { params: { query: { status: 'published' } } });
    expect(refused.data?.items).toEqual([]);
    const noKey = await createClient<paths>({ baseUrl: env.baseUrl }).GET('/api/v1/sites');
    expect(noKey.response.status).toBe(401);
    expect(noKey.error?.message).toMatch(/missing Authorization header/);
  });
});
