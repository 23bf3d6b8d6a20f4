import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ExcelJS from 'exceljs';
import { queryTestEnv, series, type QueryTestEnv } from './support.js';

// Files for spreadsheets over real HTTP: local-time CSV (tz=site) and xlsx read back with exceljs,
// for a Europe/London site across both DST changes of 2026 (29 March 01:00 UTC: 01:00 → 02:00
// local; 25 October 01:00 UTC: 02:00 → 01:00 local, so 01:00–01:59 comes twice).

const HALF_HOUR = 1_800_000;
let env: QueryTestEnv;
let key: string;
let meter = 0;
// Value = minutes since 2026-01-01T00:00Z / 30: each sample says which instant it is.
const valueAt = (ms: number) => (ms - Date.parse('2026-01-01T00:00:00Z')) / HALF_HOUR;

beforeAll(async () => {
  env = await queryTestEnv('qexport');
  await env.addSite('thames', 'Europe/London');
  key = await env.addKey('analyst', ['read']);
  await env.store({
    v: 1,
    batchId: 'qexport-1',
    source: 'siemens',
    site: 'thames',
    producedAt: '2026-11-01T00:00:00Z',
    points: [
      {
        node: 'MILL',
        device: 'MAIN',
        parameter: 'KW',
        name: 'MILL.MAIN.KW',
        unit: 'kW',
        intervalSeconds: 1800,
        samples: [
          ...series('2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z', HALF_HOUR, valueAt),
          ...series('2026-10-24T23:00:00Z', '2026-10-26T00:00:00Z', HALF_HOUR, valueAt),
        ],
      },
    ],
  });
  meter = (await env.db.selectFrom('points').select('id').executeTakeFirstOrThrow()).id;
}, 60_000);

afterAll(async () => {
  await env?.close();
}, 30_000);

const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function sheetOf(path: string): Promise<ExcelJS.Worksheet> {
  const res = await fetch(env.baseUrl + path, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe(XLSX);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ExcelJS.Buffer);
  return workbook.worksheets[0]!;
}

/** Rows after the header: the time cell as the wall clock it shows, then the other cells. */
function rowsOf(ws: ExcelJS.Worksheet): unknown[][] {
  const out: unknown[][] = [];
  ws.eachRow((row, n) => {
    if (n === 1) return;
    const time = row.getCell(1);
    // A real date cell formatted as a date, not text Excel would have to guess.
    expect(time.type).toBe(ExcelJS.ValueType.Date);
    expect(time.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    const wall = (time.value as Date).toISOString().slice(0, 19).replace('T', ' ');
    out.push([wall, ...(row.values as unknown[]).slice(2)]);
  });
  return out;
}

describe('local CSV (tz=site)', () => {
  it('writes the wall clock Excel reads and the UTC offset, so the repeated hour stays two rows', async () => {
    const r = await env.get(
      `/api/v1/points/${meter}/samples?${q({ from: '2026-10-25T00:00:00Z', to: '2026-10-25T02:00:00Z', format: 'csv', tz: 'site' })}`,
      key,
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/\.csv"$/);
    const v = valueAt(Date.parse('2026-10-25T00:00:00Z'));
    expect(r.text).toBe(
      [
        'time (Europe/London),UTC offset (h),value,quality',
        `2026-10-25 01:00:00,1,${v},0`,
        `2026-10-25 01:30:00,1,${v + 1},0`,
        `2026-10-25 01:00:00,0,${v + 2},0`,
        `2026-10-25 01:30:00,0,${v + 3},0`,
        '',
      ].join('\n'),
    );
  });

  it('writes aggregates and series the same way; UTC stays ISO-8601', async () => {
    const day = { from: '2026-10-25', to: '2026-10-26', interval: '1d', fn: 'avg,max', format: 'csv' };
    const agg = await env.get(`/api/v1/points/${meter}/aggregate?${q(day)}`, key);
    const first = valueAt(Date.parse('2026-10-24T23:00:00Z'));
    expect(agg.text).toBe(
      `start (Europe/London),UTC offset (h),count,coverage,avg,max\r\n2026-10-25 00:00:00,1,50,1,${first + 24.5},${first + 49}\r\n`,
    );
    const hours = {
      points: String(meter),
      from: '2026-03-29T00:00:00Z',
      to: '2026-03-29T02:00:00Z',
      interval: '1h',
      fn: 'max',
      format: 'csv',
    };
    const local = await env.get(`/api/v1/series?${q(hours)}`, key);
    const m = valueAt(Date.parse('2026-03-29T00:30:00Z'));
    expect(local.text).toBe(
      `time (Europe/London),UTC offset (h),MILL.MAIN.KW (${meter})\r\n2026-03-29 00:00:00,0,${m}\r\n2026-03-29 02:00:00,1,${m + 2}\r\n`,
    );
    const utc = await env.get(`/api/v1/series?${q({ ...hours, tz: 'UTC' })}`, key);
    expect(utc.text.split('\r\n')[1]).toBe(`2026-03-29T00:00:00Z,${m}`);
  });
});

describe('xlsx', () => {
  it('streams samples as date cells on the site’s clock across spring forward, numbers as numbers', async () => {
    const ws = await sheetOf(
      `/api/v1/points/${meter}/samples?${q({ from: '2026-03-29T00:00:00Z', to: '2026-03-29T02:00:00Z', format: 'xlsx', tz: 'site' })}`,
    );
    expect(ws.name).toBe('samples');
    expect(ws.getRow(1).values).toEqual([
      undefined,
      'time (Europe/London)',
      'UTC offset (h)',
      'value (kW)',
      'quality',
    ]);
    const v = valueAt(Date.parse('2026-03-29T00:00:00Z'));
    // 00:30 GMT is followed by 02:00 BST: the clock skips 01:00–01:59.
    expect(rowsOf(ws)).toEqual([
      ['2026-03-29 00:00:00', 0, v, 0],
      ['2026-03-29 00:30:00', 0, v + 1, 0],
      ['2026-03-29 02:00:00', 1, v + 2, 0],
      ['2026-03-29 02:30:00', 1, v + 3, 0],
    ]);
  });

  it('answers aggregates and series as xlsx: the 25-hour day and the repeated hour', async () => {
    const day = await sheetOf(
      `/api/v1/points/${meter}/aggregate?${q({ from: '2026-10-25', to: '2026-10-26', interval: '1d', fn: 'count,min', format: 'xlsx' })}`,
    );
    expect(day.getRow(1).values).toEqual([
      undefined,
      'start (Europe/London)',
      'UTC offset (h)',
      'count',
      'coverage',
      'min',
    ]);
    const first = valueAt(Date.parse('2026-10-24T23:00:00Z'));
    expect(rowsOf(day)).toEqual([['2026-10-25 00:00:00', 1, 50, 1, first]]);

    const hours = await sheetOf(
      `/api/v1/series?${q({ points: String(meter), from: '2026-10-25T00:00:00Z', to: '2026-10-25T02:00:00Z', interval: '1h', fn: 'min', format: 'xlsx' })}`,
    );
    expect(hours.getRow(1).values).toEqual([
      undefined,
      'time (Europe/London)',
      'UTC offset (h)',
      `MILL.MAIN.KW (${meter})`,
    ]);
    const v = valueAt(Date.parse('2026-10-25T00:00:00Z'));
    expect(rowsOf(hours)).toEqual([
      ['2026-10-25 01:00:00', 1, v],
      ['2026-10-25 01:00:00', 0, v + 2],
    ]);
  });
});

describe('parameters', () => {
  it('reads a date without a time as a day of the site on all three endpoints', async () => {
    const day = { from: '2026-10-25', to: '2026-10-26' };
    const samples = await env.get(`/api/v1/points/${meter}/samples?${q(day)}`, key);
    expect(samples.json.samples).toHaveLength(50);
    expect(samples.json.samples[0][0]).toBe('2026-10-24T23:00:00Z');
    const agg = await env.get(
      `/api/v1/points/${meter}/aggregate?${q({ ...day, interval: '1h', fn: 'count' })}`,
      key,
    );
    expect(agg.json.buckets).toHaveLength(25);
    expect(agg.json.from).toBe('2026-10-25T00:00:00+01:00');
    const rows = await env.get(`/api/v1/series?${q({ ...day, points: String(meter), interval: '1h' })}`, key);
    expect(rows.json.rows).toHaveLength(25);
    expect(rows.json.rows[0].ts).toBe('2026-10-25T00:00:00+01:00');
    expect(rows.json.rows[24].ts).toBe('2026-10-25T23:00:00+00:00');
  });

  it.each([
    ['tz', { tz: 'Mars/Olympus' }, /^tz: unknown time zone "Mars\/Olympus"; use site/],
    [
      'format',
      { format: 'pdf' },
      /^querystring\.format: Invalid option: expected one of "json"\|"csv"\|"xlsx"/,
    ],
  ])('refuses a bad %s with a 400 naming it, on all three endpoints', async (_field, bad, message) => {
    const day = { from: '2026-10-25', to: '2026-10-26', ...bad };
    for (const path of [
      `/api/v1/points/${meter}/samples?${q(day)}`,
      `/api/v1/points/${meter}/aggregate?${q({ ...day, interval: '1d' })}`,
      `/api/v1/series?${q({ ...day, points: String(meter), interval: '1d' })}`,
    ]) {
      const r = await env.get(path, key);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(r.json.message).toMatch(message);
    }
  });
});
