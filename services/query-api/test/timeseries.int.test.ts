import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { queryTestEnv, series, type QueryTestEnv } from './support.js';

// Aggregates, raw samples, CSV and series over data written through the real measurement store.

const H = 3_600_000;
let env: QueryTestEnv;
let key: string;
const ids: Record<'hourly' | 'fiveMin' | 'london', number> = { hourly: 0, fiveMin: 0, london: 0 };

// Point A (America/Chicago, hourly, interval known): two DST changes. One sample with data loss
// (null, quality 2) and one estimated (quality 1): both count, neither is good.
const hourlyValue = (ms: number) => (ms / H) % 24;
const hourlySamples = [
  ...series('2017-11-01T05:00:00Z', '2017-11-10T06:00:00Z', H, hourlyValue),
  ...series('2018-03-09T06:00:00Z', '2018-03-14T05:00:00Z', H, hourlyValue),
].map(([ts, v, q]): [string, number | null, number] =>
  ts === '2017-11-03T12:00:00.000Z'
    ? [ts, null, 2]
    : ts === '2017-11-03T13:00:00.000Z'
      ? [ts, 5, 1]
      : [ts, v, q],
);
// Point B (Chicago, every 5 minutes over the 25-hour 2017-11-05, no interval in its metadata).
const fiveMinSamples = series(
  '2017-11-05T05:00:00Z',
  '2017-11-06T06:00:00Z',
  300_000,
  (ms) => (ms - Date.parse('2017-11-05T05:00:00Z')) / 300_000,
);
// Point C (Europe/London, hourly).
const londonSamples = series('2018-03-24T00:00:00Z', '2018-03-27T00:00:00Z', H, () => 1.5);

/** What any aggregate over `samples` must say, computed here independently of SQL. */
function expected(samples: [string, number | null, number][], tz: string, unit: 'day' | 'week' | 'month') {
  const groups = new Map<string, [string, number | null, number][]>();
  for (const s of samples) {
    const k = DateTime.fromISO(s[0], { zone: tz }).startOf(unit).toISO()!;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return new Map(
    [...groups].map(([k, g]) => {
      const values = g.map((s) => s[1]).filter((v): v is number => v !== null);
      const sum = values.reduce((a, b) => a + b, 0);
      return [
        DateTime.fromISO(k, { zone: tz }).toMillis(),
        {
          count: g.length,
          sum,
          avg: sum / values.length,
          min: Math.min(...values),
          max: Math.max(...values),
          first: g[0]![1],
          last: g[g.length - 1]![1],
        },
      ];
    }),
  );
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

beforeAll(async () => {
  env = await queryTestEnv('qts');
  await env.addSite('prairie', 'America/Chicago');
  await env.addSite('thames', 'Europe/London');
  key = await env.addKey('dashboard', ['read']);
  const point = (parameter: string, extra: object, samples: [string, number | null, number][]) => ({
    node: 'RECCNTR',
    device: 'AH1',
    parameter,
    name: `RECCNTR.AH1.${parameter}`,
    unit: '°F',
    ...extra,
    samples,
  });
  await env.store({
    v: 1,
    batchId: 'qts-1',
    source: 'siemens',
    site: 'prairie',
    producedAt: '2026-01-01T00:00:00Z',
    points: [point('SAT', { intervalSeconds: 3600 }, hourlySamples), point('RAT', {}, fiveMinSamples)],
  });
  await env.store({
    v: 1,
    batchId: 'qts-2',
    source: 'alc',
    site: 'thames',
    producedAt: '2026-01-01T00:00:00Z',
    points: [
      {
        node: 'HALL',
        device: 'B1',
        parameter: 'T',
        name: 'HALL.B1.T',
        intervalSeconds: 3600,
        samples: londonSamples,
      },
    ],
  });
  const rows = await env.db.selectFrom('points').select(['id', 'parameter']).execute();
  ids.hourly = rows.find((r) => r.parameter === 'SAT')!.id;
  ids.fiveMin = rows.find((r) => r.parameter === 'RAT')!.id;
  ids.london = rows.find((r) => r.parameter === 'T')!.id;
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

const aggregate = (id: number, params: Record<string, string>) =>
  env.get(`/api/v1/points/${id}/aggregate?${q(params)}`, key);
const ALL_FNS = 'avg,min,max,sum,count,first,last';

describe('daily buckets on the site calendar', () => {
  it('makes 2017-11-05 in America/Chicago a 25-hour bucket and answers from the daily rollups', async () => {
    const r = await aggregate(ids.hourly, {
      from: '2017-11-04T00:00:00-05:00',
      to: '2017-11-07T00:00:00-06:00',
      interval: '1d',
      fn: ALL_FNS,
    });
    expect(r.status).toBe(200);
    expect(r.json.source).toBe('daily');
    expect(r.json.tz).toBe('America/Chicago');
    expect(
      r.json.buckets.map((b: { start: string; end: string; count: number }) => [b.start, b.end, b.count]),
    ).toEqual([
      ['2017-11-04T00:00:00-05:00', '2017-11-05T00:00:00-05:00', 24],
      ['2017-11-05T00:00:00-05:00', '2017-11-06T00:00:00-06:00', 25],
      ['2017-11-06T00:00:00-06:00', '2017-11-07T00:00:00-06:00', 24],
    ]);
    const want = expected(hourlySamples, 'America/Chicago', 'day');
    for (const b of r.json.buckets) {
      const e = want.get(Date.parse(b.start))!;
      expect(b).toMatchObject({
        count: e.count,
        min: e.min,
        max: e.max,
        first: e.first,
        last: e.last,
        coverage: 1,
      });
      expect(b.sum).toBeCloseTo(e.sum, 9);
      expect(b.avg).toBeCloseTo(e.avg, 9);
    }
  });

  it('makes 2018-03-11 in America/Chicago a 23-hour bucket', async () => {
    const r = await aggregate(ids.hourly, {
      from: '2018-03-11T00:00:00-06:00',
      to: '2018-03-12T00:00:00-05:00',
      interval: '1d',
      fn: 'count',
    });
    expect(r.json.buckets).toEqual([
      { start: '2018-03-11T00:00:00-06:00', end: '2018-03-12T00:00:00-05:00', count: 23, coverage: 1 },
    ]);
  });

  it('makes 2018-03-25 in Europe/London a 23-hour bucket', async () => {
    const r = await aggregate(ids.london, {
      from: '2018-03-24T00:00:00Z',
      to: '2018-03-27T00:00:00+01:00',
      interval: '1d',
      fn: 'avg',
    });
    expect(r.json.source).toBe('daily');
    expect(
      r.json.buckets.map((b: { end: string; count: number; avg: number }) => [b.end, b.count, b.avg]),
    ).toEqual([
      ['2018-03-25T00:00:00+00:00', 24, 1.5],
      ['2018-03-26T00:00:00+01:00', 23, 1.5],
      ['2018-03-27T00:00:00+01:00', 24, 1.5],
    ]);
  });

  it('reads a date without a time as a day of the site (from=2017-11-05&to=2017-11-06: the 25-hour day)', async () => {
    const r = await aggregate(ids.hourly, {
      from: '2017-11-05',
      to: '2017-11-06',
      interval: '1d',
      fn: 'count',
    });
    expect(r.json.buckets.map((b: { start: string; count: number }) => [b.start, b.count])).toEqual([
      ['2017-11-05T00:00:00-05:00', 25],
    ]);
    const raw = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ from: '2017-11-05', to: '2017-11-06' })}`,
      key,
    );
    expect(raw.json.samples).toHaveLength(25);
    expect(raw.json.samples[0][0]).toBe('2017-11-05T05:00:00Z');
  });

  it('widens a partial range to whole days', async () => {
    const r = await aggregate(ids.hourly, {
      from: '2017-11-05T12:00:00Z',
      to: '2017-11-05T13:00:00Z',
      interval: '1d',
      fn: 'count',
    });
    expect(r.json.from).toBe('2017-11-05T00:00:00-05:00');
    expect(r.json.to).toBe('2017-11-06T00:00:00-06:00');
    expect(r.json.buckets[0].count).toBe(25);
  });
});

describe('the same days from other tables agree with a direct computation', () => {
  it.each([
    ['UTC', 'hourly'],
    ['Europe/London', 'hourly'],
    ['Asia/Kolkata', 'raw'],
  ])('in %s (answered from %s rows)', async (tz, source) => {
    const r = await aggregate(ids.hourly, {
      from: '2017-11-02T00:00:00Z',
      to: '2017-11-09T00:00:00Z',
      interval: '1d',
      fn: ALL_FNS,
      tz,
    });
    expect(r.status).toBe(200);
    expect(r.json.source).toBe(source);
    const want = expected(hourlySamples, tz, 'day');
    expect(r.json.buckets).toHaveLength(tz === 'Asia/Kolkata' ? 8 : 7);
    for (const b of r.json.buckets) {
      const e = want.get(Date.parse(b.start))!;
      expect(b).toMatchObject({ count: e.count, min: e.min, max: e.max, first: e.first, last: e.last });
      expect(b.sum).toBeCloseTo(e.sum, 9);
    }
  });

  it('merges daily rows into ISO weeks (Monday) and calendar months', async () => {
    const weeks = await aggregate(ids.hourly, {
      from: '2017-11-01T05:00:00Z',
      to: '2017-11-10T06:00:00Z',
      interval: '1w',
      fn: 'sum,count',
    });
    expect(weeks.json.source).toBe('daily');
    const wantWeeks = expected(hourlySamples, 'America/Chicago', 'week');
    expect(weeks.json.buckets.map((b: { start: string }) => b.start)).toEqual([
      '2017-10-30T00:00:00-05:00',
      '2017-11-06T00:00:00-06:00',
    ]);
    for (const b of weeks.json.buckets) expect(b.count).toBe(wantWeeks.get(Date.parse(b.start))!.count);
    const months = await aggregate(ids.hourly, {
      from: '2017-11-01T05:00:00Z',
      to: '2018-04-01T05:00:00Z',
      interval: '1mo',
      fn: 'count',
    });
    expect(months.json.buckets.map((b: { start: string; count: number }) => [b.start, b.count])).toEqual([
      ['2017-11-01T00:00:00-05:00', 9 * 24 + 1],
      ['2017-12-01T00:00:00-06:00', 0],
      ['2018-01-01T00:00:00-06:00', 0],
      ['2018-02-01T00:00:00-06:00', 0],
      ['2018-03-01T00:00:00-06:00', 5 * 24 - 1],
    ]);
  });
});

describe('hours and quarter hours', () => {
  it('keeps the repeated fall-back hour as two hourly buckets', async () => {
    const r = await aggregate(ids.fiveMin, {
      from: '2017-11-05T05:00:00Z',
      to: '2017-11-05T09:00:00Z',
      interval: '1h',
      fn: 'min,max',
    });
    expect(r.json.source).toBe('hourly');
    expect(
      r.json.buckets.map((b: { start: string; min: number; max: number; count: number }) => [
        b.start,
        b.min,
        b.max,
        b.count,
      ]),
    ).toEqual([
      ['2017-11-05T00:00:00-05:00', 0, 11, 12],
      ['2017-11-05T01:00:00-05:00', 12, 23, 12],
      ['2017-11-05T01:00:00-06:00', 24, 35, 12],
      ['2017-11-05T02:00:00-06:00', 36, 47, 12],
    ]);
  });

  it('answers 15-minute buckets from raw rows', async () => {
    const r = await aggregate(ids.fiveMin, {
      from: '2017-11-05T05:00:00Z',
      to: '2017-11-05T05:30:00Z',
      interval: '15m',
      fn: 'avg,first,last',
    });
    expect(r.json.source).toBe('raw');
    expect(r.json.buckets).toEqual([
      {
        start: '2017-11-05T00:00:00-05:00',
        end: '2017-11-05T00:15:00-05:00',
        count: 3,
        coverage: 1,
        avg: 1,
        first: 0,
        last: 2,
      },
      {
        start: '2017-11-05T00:15:00-05:00',
        end: '2017-11-05T00:30:00-05:00',
        count: 3,
        coverage: 1,
        avg: 4,
        first: 3,
        last: 5,
      },
    ]);
  });
});

describe('coverage', () => {
  it('counts good samples against the bucket length; null values count but do not average', async () => {
    const r = await aggregate(ids.hourly, {
      from: '2017-11-03T00:00:00-05:00',
      to: '2017-11-04T00:00:00-05:00',
      interval: '1d',
      fn: 'avg,count',
    });
    const want = expected(hourlySamples, 'America/Chicago', 'day').get(Date.parse('2017-11-03T05:00:00Z'))!;
    expect(r.json.intervalSeconds).toBe(3600);
    expect(r.json.intervalSource).toBe('point');
    expect(r.json.buckets[0]).toMatchObject({ count: 24, coverage: 22 / 24 });
    expect(r.json.buckets[0].avg).toBeCloseTo(want.avg, 9);
    // A day with no samples at all: count 0, coverage 0, values null.
    const empty = await aggregate(ids.hourly, {
      from: '2017-12-03T00:00:00-06:00',
      to: '2017-12-04T00:00:00-06:00',
      interval: '1d',
      fn: 'avg',
    });
    expect(empty.json.buckets).toEqual([
      {
        start: '2017-12-03T00:00:00-06:00',
        end: '2017-12-04T00:00:00-06:00',
        count: 0,
        coverage: 0,
        avg: null,
      },
    ]);
  });

  it('infers the interval of a point without one from the median spacing of its samples', async () => {
    const r = await aggregate(ids.fiveMin, {
      from: '2017-11-05T00:00:00-05:00',
      to: '2017-11-06T00:00:00-06:00',
      interval: '1d',
      fn: 'count',
    });
    expect(r.json).toMatchObject({ intervalSeconds: 300, intervalSource: 'inferred' });
    expect(r.json.buckets[0]).toMatchObject({ count: 300, coverage: 1 });
  });
});

describe('raw samples', () => {
  it('pages through a range without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params: Record<string, string> = {
        from: '2017-11-05T05:00:00Z',
        to: '2017-11-06T06:00:00Z',
        limit: '7',
      };
      if (cursor) params.cursor = cursor;
      const r = await env.get(`/api/v1/points/${ids.fiveMin}/samples?${q(params)}`, key);
      expect(r.status).toBe(200);
      expect(r.json.samples.length).toBeLessThanOrEqual(7);
      seen.push(...r.json.samples.map((s: [string]) => s[0]));
      cursor = r.json.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(300 / 7));
    expect(seen).toEqual(fiveMinSamples.map((s) => s[0].replace('.000Z', 'Z')));
  });

  it('gives values, qualities and, with tz, local times with their offset', async () => {
    const r = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ from: '2017-11-03T12:00:00Z', to: '2017-11-03T14:00:00Z', tz: 'America/Chicago' })}`,
      key,
    );
    expect(r.json).toEqual({
      point: ids.hourly,
      tz: 'America/Chicago',
      nextCursor: null,
      samples: [
        ['2017-11-03T07:00:00-05:00', null, 2],
        ['2017-11-03T08:00:00-05:00', 5, 1],
      ],
    });
  });

  it('streams the whole range as CSV with a Content-Disposition', async () => {
    const r = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ from: '2017-11-01T00:00:00Z', to: '2018-04-01T00:00:00Z', format: 'csv' })}`,
      key,
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(
      /^attachment; filename="point-\d+-2017-11-01T00_00_00.000Z-2018-04-01T00_00_00.000Z.csv"$/,
    );
    const lines = r.text.trimEnd().split('\n');
    expect(lines[0]).toBe('ts,value,quality');
    expect(lines).toHaveLength(hourlySamples.length + 1);
    expect(lines).toContain('2017-11-03T12:00:00Z,,2');
    expect(lines[1]).toBe(`2017-11-01T05:00:00Z,${hourlyValue(Date.parse('2017-11-01T05:00:00Z'))},0`);
    const local = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ from: '2017-11-05T06:00:00Z', to: '2017-11-05T08:00:00Z', format: 'csv', tz: 'America/Chicago' })}`,
      key,
    );
    // Another zone: the wall clock spreadsheets read, and the offset that tells the two 01:00 apart.
    expect(local.text.trimEnd().split('\n')).toEqual([
      'time (America/Chicago),UTC offset (h),value,quality',
      `2017-11-05 01:00:00,-5,${hourlyValue(Date.parse('2017-11-05T06:00:00Z'))},0`,
      `2017-11-05 01:00:00,-6,${hourlyValue(Date.parse('2017-11-05T07:00:00Z'))},0`,
    ]);
  });
});

describe('series and latest values', () => {
  it('puts points side by side, one row per bucket, as JSON and CSV', async () => {
    const params = {
      points: `${ids.fiveMin},${ids.hourly}`,
      from: '2017-11-05T05:00:00Z',
      to: '2017-11-05T07:00:00Z',
      interval: '1h',
      fn: 'max',
    };
    const r = await env.get(`/api/v1/series?${q(params)}`, key);
    expect(r.status).toBe(200);
    expect(r.json.columns.map((c: { point: number }) => c.point)).toEqual([ids.fiveMin, ids.hourly]);
    expect(r.json.rows).toEqual([
      { ts: '2017-11-05T00:00:00-05:00', values: [11, 5] },
      { ts: '2017-11-05T01:00:00-05:00', values: [23, 6] },
    ]);
    const csv = await env.get(`/api/v1/series?${q({ ...params, format: 'csv' })}`, key);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="series-max-1h-/);
    expect(csv.text).toBe(
      `time (America/Chicago),UTC offset (h),RECCNTR.AH1.RAT (${ids.fiveMin}),RECCNTR.AH1.SAT (${ids.hourly})\r\n2017-11-05 00:00:00,-5,11,5\r\n2017-11-05 01:00:00,-5,23,6\r\n`,
    );
  });

  it('answers the latest value of one point and of several', async () => {
    const one = await env.get(`/api/v1/points/${ids.fiveMin}/latest`, key);
    expect(one.json).toEqual({
      point: ids.fiveMin,
      name: 'RECCNTR.AH1.RAT',
      unit: '°F',
      ts: '2017-11-06T05:55:00Z',
      value: 299,
      quality: 0,
    });
    const many = await env.get(`/api/v1/latest?points=${ids.london},${ids.fiveMin}`, key);
    expect(many.json.items.map((i: { point: number; value: number }) => [i.point, i.value])).toEqual([
      [ids.london, 1.5],
      [ids.fiveMin, 299],
    ]);
  });

  it('answers the legacy device CSV: timestamp then one column per parameter of the device', async () => {
    const r = await env.get('/api/data/prairie/device/AH1', key);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="prairie-AH1.csv"');
    const lines = r.text.trimEnd().split('\n');
    expect(lines[0]).toBe('timestamp,RAT,SAT');
    // Timestamps of either point, once each, in order.
    const all = new Set([...hourlySamples, ...fiveMinSamples].map((s) => s[0]));
    expect(lines).toHaveLength(all.size + 1);
    expect(lines).toContain('2017-11-05T05:00:00Z,0,5');
    expect(lines).toContain('2017-11-05T05:05:00Z,1,');
    expect((await env.get('/api/data/prairie/device/NOPE', key)).status).toBe(404);
  });
});

describe('times at the edges of what PostgreSQL and ISO-8601 hold', () => {
  const range = (from: string, to: string) => ({ from, to });
  it.each([
    ['from', range('-99999999999999', '0')],
    ['from', range('-62198755200000', '0')],
    ['to', range('2017-11-01T00:00:00Z', '+275760-09-13T00:00:00Z')],
  ])('refuses %s out of range with a 400 before anything is streamed: %o', async (parameter, params) => {
    const urls = [
      `/api/v1/points/${ids.hourly}/samples?${q(params)}`,
      `/api/v1/points/${ids.hourly}/samples?${q({ ...params, format: 'csv' })}`,
      `/api/v1/points/${ids.hourly}/samples?${q({ ...params, format: 'csv', tz: 'America/Chicago' })}`,
      `/api/v1/points/${ids.hourly}/aggregate?${q({ ...params, interval: '1mo' })}`,
      `/api/v1/series?${q({ ...params, points: String(ids.hourly), interval: '1mo', format: 'csv' })}`,
    ];
    for (const url of urls) {
      const r = await env.get(url, key);
      expect({ url, status: r.status, type: r.headers.get('content-type') }).toEqual({
        url,
        status: 400,
        type: expect.stringMatching(/^application\/json/),
      });
      expect(r.json.message).toMatch(
        new RegExp(`^${parameter}: ".*" is out of range; times must be from 1000-01-01`),
      );
    }
  });

  it('writes the local mean time offsets of before 1883 in whole seconds, as PostgreSQL reads them', async () => {
    const r = await aggregate(ids.hourly, {
      from: '1849-12-31T12:00:00Z',
      to: '1850-01-01T12:00:00Z',
      interval: '1d',
      tz: 'America/Chicago',
    });
    expect(r.status).toBe(200);
    expect(r.json.buckets.map((b: { start: string }) => b.start)).toEqual([
      '1849-12-31T00:00:00-05:50:36',
      '1850-01-01T00:00:00-05:50:36',
    ]);
    const back = await sql<{
      ms: string;
    }>`SELECT (extract(epoch FROM ${r.json.from}::timestamptz) * 1000)::bigint::text AS ms`.execute(env.db);
    expect(Number(back.rows[0]!.ms)).toBe(Date.parse('1849-12-31T05:50:36Z'));
  });

  it('writes times one way everywhere: no ".000" in /points, samples, aggregates and uploads', async () => {
    const point = await env.get(`/api/v1/points/${ids.hourly}`, key);
    const samples = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ from: '2017-11-01T00:00:00Z', to: '2017-11-01T06:00:00Z' })}`,
      key,
    );
    expect(point.json.firstTs).toBe('2017-11-01T05:00:00Z');
    expect(samples.json.samples[0][0]).toBe(point.json.firstTs);
    const listed = await env.get(`/api/v1/points?site=prairie`, key);
    expect(listed.json.items.find((p: { id: number }) => p.id === ids.hourly).firstTs).toBe(
      '2017-11-01T05:00:00Z',
    );
    expect(listed.text).not.toContain('.000Z');
  });
});

describe('bad requests name the parameter and what is allowed', () => {
  const base = { from: '2017-11-01T00:00:00Z', to: '2017-11-02T00:00:00Z', interval: '1d' };
  it.each([
    [{ ...base, from: 'last tuesday' }, /^from: "last tuesday" is not a time/],
    [{ ...base, to: '2017-10-01T00:00:00Z' }, /^to: must be after from/],
    [
      { ...base, fn: 'avg,median' },
      /^fn: unknown function median; allowed: avg, min, max, sum, count, first, last, delta, demand$/,
    ],
    [{ ...base, interval: '2h' }, /interval.*15m.*1h.*1d.*1w.*1mo/],
    [{ ...base, tz: 'Mars/Olympus' }, /^tz: unknown time zone "Mars\/Olympus"/],
    [
      { ...base, interval: '15m', from: '2010-01-01T00:00:00Z', to: '2018-01-01T00:00:00Z' },
      /^interval: .*more than 100,000 buckets/,
    ],
  ])('%o', async (params, message) => {
    const r = await aggregate(ids.hourly, params as Record<string, string>);
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(message);
  });

  it('answers 404 for an unknown point and 400 for a bad cursor or point list', async () => {
    expect((await aggregate(999_999, base)).status).toBe(404);
    const badCursor = await env.get(
      `/api/v1/points/${ids.hourly}/samples?${q({ ...base, cursor: 'bm9wZQ' })}`,
      key,
    );
    expect(badCursor.json.message).toMatch(/^cursor: /);
    const badList = await env.get(`/api/v1/series?${q({ ...base, points: '1,x' })}`, key);
    expect(badList.status).toBe(400);
    expect(badList.json.message).toMatch(/^points: not point ids: x/);
    const missing = await env.get(`/api/v1/series?${q({ ...base, points: `${ids.hourly},999999` })}`, key);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('point 999999 not found');
  });
});
