import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queryTestEnv, type QueryTestEnv } from './support.js';

// Energy maths on counters (kWh meter totals): use per bucket (fn=delta) across a meter reset,
// and demand (fn=demand, kW) from the energy over the bucket.

const Q = 900_000;
let env: QueryTestEnv;
let key: string;
let meter = 0;

// A 10 kW load read every 15 minutes (+2.5 kWh a reading) from 23:45 local on 31 December, the
// meter replaced after the 11:45 local reading: the new one reads 2.5 at 12:00.
const start = Date.parse('2018-01-01T05:45:00Z');
const reset = Date.parse('2018-01-01T18:00:00Z');
const readings: [string, number | null, number][] = [];
for (let ms = start, total = 1000; ms <= Date.parse('2018-01-02T05:45:00Z'); ms += Q) {
  total = ms === reset ? 2.5 : ms === start ? total : total + 2.5;
  readings.push([new Date(ms).toISOString(), total, 0]);
}

beforeAll(async () => {
  env = await queryTestEnv('qcount');
  await env.addSite('plant', 'America/Chicago');
  key = await env.addKey('energy', ['read']);
  await env.store({
    v: 1,
    batchId: 'qcount-1',
    source: 'siemens',
    site: 'plant',
    producedAt: '2026-01-01T00:00:00Z',
    points: [
      {
        node: 'PLANT',
        device: 'MAIN',
        parameter: 'KWH',
        name: 'PLANT.MAIN.KWH',
        unit: 'kWh',
        kind: 'counter',
        intervalSeconds: 900,
        samples: readings,
      },
    ],
  });
  meter = (await env.db.selectFrom('points').select('id').executeTakeFirstOrThrow()).id;
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

describe('counters', () => {
  it('gives the use of a day across a meter reset, never negative, and its demand in kW', async () => {
    const r = await env.get(
      `/api/v1/points/${meter}/aggregate?${q({ from: '2018-01-01T06:00:00Z', to: '2018-01-02T06:00:00Z', interval: '1d', fn: 'delta,demand,first,last' })}`,
      key,
    );
    expect(r.status).toBe(200);
    expect(r.json.buckets).toEqual([
      {
        start: '2018-01-01T00:00:00-06:00',
        end: '2018-01-02T00:00:00-06:00',
        count: 96,
        coverage: 1,
        // 96 readings of 2.5 kWh each; last − first would say 120 − 1002.5.
        delta: 240,
        demand: 10,
        first: 1002.5,
        last: 120,
      },
    ]);
  });

  it('gives hourly use from raw readings, the hour of the reset included, and by series', async () => {
    const r = await env.get(
      `/api/v1/points/${meter}/aggregate?${q({ from: '2018-01-01T16:00:00Z', to: '2018-01-01T20:00:00Z', interval: '1h', fn: 'delta,demand' })}`,
      key,
    );
    expect(r.json.buckets.map((b: { delta: number; demand: number }) => [b.delta, b.demand])).toEqual([
      [10, 10],
      [10, 10],
      [10, 10],
      [10, 10],
    ]);
    const series = await env.get(
      `/api/v1/series?${q({ points: String(meter), from: '2018-01-01T06:00:00Z', to: '2018-01-01T08:00:00Z', interval: '1h', fn: 'delta', format: 'csv' })}`,
      key,
    );
    expect(series.text.trimEnd().split(/\r?\n/).slice(1)).toEqual([
      '2018-01-01 00:00:00,-6,10',
      '2018-01-01 01:00:00,-6,10',
    ]);
  });

  it('has no use for a bucket without readings, and none before the first reading', async () => {
    const r = await env.get(
      `/api/v1/points/${meter}/aggregate?${q({ from: '2017-12-31T04:00:00Z', to: '2017-12-31T06:00:00Z', interval: '1h', fn: 'delta', tz: 'UTC' })}`,
      key,
    );
    expect(r.json.buckets.map((b: { delta: number | null }) => b.delta)).toEqual([null, null]);
  });
});
