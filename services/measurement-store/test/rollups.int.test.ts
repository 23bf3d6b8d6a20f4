import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import { sql } from 'kysely';
import { startMeasurementStore } from '../src/index.js';
import { batchOf, storeTestEnv, type StoreTestEnv } from './support.js';

jest.setTimeout(60_000);

/** Samples every 15 minutes over [fromIso, toIso): values k/4 (exact in binary, so sums are exact), some Data Loss. */
function quarterHours(fromIso: string, toIso: string, seed: number): [string, number | null, number][] {
  const out: [string, number | null, number][] = [];
  for (let t = Date.parse(fromIso), k = 0; t < Date.parse(toIso); t += 900_000, k++) {
    const v = ((k * 7 + seed) % 41) / 4;
    if (k % 13 === 5) out.push([new Date(t).toISOString(), null, 2]);
    else out.push([new Date(t).toISOString(), v, k % 17 === 3 ? 1 : 0]);
  }
  return out;
}

// The same aggregates as the rollups, from the raw rows with plain SQL.
const RAW_DAILY = sql`
  SELECT m.point_id, (m.ts AT TIME ZONE s.timezone)::date::text AS day,
         min(m.value) AS min, max(m.value) AS max, sum(m.value) AS sum, count(*)::int AS count,
         count(m.value)::int AS value_count, (count(*) FILTER (WHERE m.quality = 0))::int AS good_count,
         min(m.ts) AS first_ts, max(m.ts) AS last_ts
  FROM measurements m JOIN points p ON p.id = m.point_id JOIN sites s ON s.id = p.site_id
  GROUP BY 1, 2 ORDER BY 1, 2`;
const ROLLUP_DAILY = sql`
  SELECT point_id, day::text AS day, min, max, sum, count, value_count, good_count, first_ts, last_ts
  FROM measurements_daily ORDER BY 1, 2`;
const RAW_HOURLY = sql`
  SELECT point_id, date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
         min(value) AS min, max(value) AS max, sum(value) AS sum, count(*)::int AS count,
         count(value)::int AS value_count, (count(*) FILTER (WHERE quality = 0))::int AS good_count,
         min(ts) AS first_ts, max(ts) AS last_ts
  FROM measurements GROUP BY 1, 2 ORDER BY 1, 2`;
const ROLLUP_HOURLY = sql`
  SELECT point_id, bucket, min, max, sum, count, value_count, good_count, first_ts, last_ts
  FROM measurements_hourly ORDER BY 1, 2`;
// first/last values: the value at the earliest / latest sample of each day.
const RAW_DAILY_ENDS = sql`
  SELECT d.point_id, d.day::text AS day,
         (SELECT value FROM measurements WHERE point_id = d.point_id AND ts = d.first_ts) AS first_value,
         (SELECT value FROM measurements WHERE point_id = d.point_id AND ts = d.last_ts) AS last_value
  FROM measurements_daily d ORDER BY 1, 2`;
const ROLLUP_DAILY_ENDS = sql`SELECT point_id, day::text AS day, first_value, last_value FROM measurements_daily ORDER BY 1, 2`;

describe('rollups', () => {
  let env: StoreTestEnv;
  let store: { stop(): Promise<void> };

  beforeAll(async () => {
    env = await storeTestEnv('rollups');
    await env.addSite('chicago', 'America/Chicago');
    await env.addSite('london', 'Europe/London');
    store = await startMeasurementStore({
      databaseUrl: env.testDb.url,
      natsUrl: env.natsUrl,
      prefix: env.prefix,
      logger: silentLogger(),
      limits: { maxWaitMs: 20 },
    });
    // Each site's samples arrive in three overlapping batches, the last one revising values,
    // so buckets are recomputed across writes, not only computed once.
    const chicago = quarterHours('2017-11-04T00:00:00Z', '2017-11-07T12:00:00Z', 1);
    const london = quarterHours('2018-03-24T00:00:00Z', '2018-03-27T00:00:00Z', 2);
    const revise = (s: [string, number | null, number][]) =>
      s.map(([ts, v, q], i): [string, number | null, number] => [
        ts,
        i % 5 === 0 && v !== null ? v + 0.5 : v,
        q,
      ]);
    await env.publishBatch(batchOf('chi:0', 'chicago', chicago.slice(0, 150)));
    await env.publishBatch(batchOf('chi:1', 'chicago', chicago.slice(120)));
    await env.publishBatch(batchOf('chi:2', 'chicago', revise(chicago.slice(60, 260))));
    await env.publishBatch(batchOf('lon:0', 'london', london.slice(0, 100)));
    await env.publishBatch(batchOf('lon:1', 'london', london.slice(90)));
    await env.publishBatch(batchOf('lon:2', 'london', revise(london.slice(50, 200))));
    await env.waitForBatches(6);
  });

  afterAll(async () => {
    await store?.stop();
    await env?.close();
  });

  it('daily rollups equal the aggregates of the raw rows over each local calendar day', async () => {
    const raw = (await RAW_DAILY.execute(env.db)).rows;
    expect(raw.length).toBeGreaterThanOrEqual(8);
    expect((await ROLLUP_DAILY.execute(env.db)).rows).toEqual(raw);
    expect((await ROLLUP_DAILY_ENDS.execute(env.db)).rows).toEqual(
      (await RAW_DAILY_ENDS.execute(env.db)).rows,
    );
  });

  it('hourly rollups equal the aggregates of the raw rows per UTC hour', async () => {
    const raw = (await RAW_HOURLY.execute(env.db)).rows;
    expect(raw.length).toBe(84 + 72);
    expect((await ROLLUP_HOURLY.execute(env.db)).rows).toEqual(raw);
  });

  it('gives America/Chicago 2017-11-05 25 hours and Europe/London 2018-03-25 23 hours', async () => {
    const { rows } = await sql<{ key: string; day: string; hours: number; count: number; bucket: Date }>`
      SELECT s.key, d.day::text AS day, extract(epoch FROM d.bucket_end - d.bucket)::int / 3600 AS hours,
             d.count, d.bucket
      FROM measurements_daily d JOIN points p ON p.id = d.point_id JOIN sites s ON s.id = p.site_id
      WHERE (s.key, d.day) IN (('chicago', '2017-11-05'), ('london', '2018-03-25'), ('chicago', '2017-11-06'))
      ORDER BY 1, 2`.execute(env.db);
    expect(rows).toEqual([
      // Local midnight in CDT (UTC-5); the day ends at midnight CST (UTC-6).
      { key: 'chicago', day: '2017-11-05', hours: 25, count: 100, bucket: new Date('2017-11-05T05:00:00Z') },
      { key: 'chicago', day: '2017-11-06', hours: 24, count: 96, bucket: new Date('2017-11-06T06:00:00Z') },
      { key: 'london', day: '2018-03-25', hours: 23, count: 92, bucket: new Date('2018-03-25T00:00:00Z') },
    ]);
  });
});
