/**
 * Suite `query`: latency of the query API (run as its own process, its `start` script) on a store
 * holding one point with a year of 5-minute samples and many points with hourly samples, each
 * next to the bare PostgreSQL work that produces the same rows, measured in the same run:
 *
 * - a year of raw samples (105,120) as JSON, in ONE page (limit=200000), vs the same SELECT via pg;
 * - the same year as CSV (format=csv), rows/s, vs `COPY (SELECT ts, value, quality …) TO STDOUT
 *   WITH (FORMAT csv)` of the same rows via pg-copy-streams; and as xlsx (format=xlsx&tz=site)
 *   against the same COPY;
 * - daily aggregates over ten years (3,653 buckets, avg,min,max) vs the bare SELECT of the daily rollups;
 * - /series of 50 points over a month at 1h (744 rows × 50 columns) vs the bare GROUP BY on hourly rollups.
 *
 * Seeding is set-based SQL (generate_series), never row by row, and writes exactly the rows the
 * store would: points, raw measurements, hourly rollups (UTC hours) and daily rollups (local
 * days of America/Chicago) with the store's aggregate expressions. Full run: 500 hourly points
 * with ten years of raw samples (43.8 M rows). --quick: 50 hourly points with one year of raw
 * samples and hourly rollups, but still ten years of daily rollups (computed from the same
 * generated series), so the ten-year daily query reads what it would read in production.
 * Values have two decimals, as building sensors report them (a full 17-digit double costs the
 * JSON and CSV writers several times more per value).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, freePort, startService, type ServiceProcess } from '@ep/testkit';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { BenchContext, Measurement, Suite } from '../harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const TZ = 'America/Chicago';
const YEAR_FROM = '2025-01-01T00:00:00Z';
const YEAR_TO = '2026-01-01T00:00:00Z';
const TEN_YEARS_FROM = '2016-01-01T00:00:00Z';

/** The operators' CLI (`pnpm ep …`), as an operator would run it. */
function cli(args: string[], env: Record<string, string>): string {
  const script = (
    JSON.parse(readFileSync(join(root, 'tools/cli/package.json'), 'utf8')) as { scripts: { cli: string } }
  ).scripts.cli;
  const [command, ...rest] = script.split(/\s+/);
  const run = spawnSync(command!, [...rest, ...args], {
    cwd: join(root, 'tools/cli'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`ep ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout.trim();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `fn` `runs` times after one warm-up; returns p50 and p99 in ms. */
async function timeIt(runs: number, fn: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function seed(
  client: pg.Client,
  hourlyPoints: number,
  rawYears: number,
  log: (l: string) => void,
): Promise<{ fiveMin: number; hourly: number[] }> {
  const rawFrom = `timestamptz '${YEAR_TO}' - interval '${rawYears} years'`;
  await client.query(
    `SELECT ensure_measurement_partitions(timestamptz '${TEN_YEARS_FROM}', timestamptz '${YEAR_TO}')`,
  );
  const site = (await client.query<{ id: number }>(`SELECT id FROM sites WHERE key = 'bench'`)).rows[0]!.id;
  const fiveMin = (
    await client.query<{ id: number }>(
      `INSERT INTO points (site_id, source, node, device, parameter, name, unit, interval_seconds)
       VALUES ($1, 'siemens', 'PLANT', 'CH1', 'KW', 'PLANT.CH1.KW', 'kW', 300) RETURNING id`,
      [site],
    )
  ).rows[0]!.id;
  const hourly = (
    await client.query<{ id: number }>(
      `INSERT INTO points (site_id, source, node, device, parameter, name, unit, interval_seconds)
       SELECT $1, 'prefect', 'B' || (i / 50), 'D' || (i % 50), 'T', 'B' || (i / 50) || '.D' || (i % 50) || '.T', '°C', 3600
       FROM generate_series(0, $2 - 1) i ORDER BY i RETURNING id`,
      [site, hourlyPoints],
    )
  ).rows.map((r) => r.id);
  let t = performance.now();
  await client.query(
    `INSERT INTO measurements (point_id, ts, value, quality)
     SELECT $1, ts, round((20 + 10 * sin(extract(epoch FROM ts) / 86400.0))::numeric, 2), 0
     FROM generate_series(timestamptz '${YEAR_FROM}', timestamptz '${YEAR_TO}' - interval '5 minutes', interval '5 minutes') ts`,
    [fiveMin],
  );
  await client.query(
    `INSERT INTO measurements (point_id, ts, value, quality)
     SELECT p, ts, round((p % 7 + 15 + 5 * sin(extract(epoch FROM ts) / 86400.0))::numeric, 2), 0
     FROM unnest($1::int[]) p, generate_series(${rawFrom}, timestamptz '${YEAR_TO}' - interval '1 hour', interval '1 hour') ts`,
    [hourly],
  );
  log(`raw samples written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  // The store's rollup expressions (rollups.repo.ts ROLLUP_AGGREGATES), applied to whole tables.
  const aggregates = `min(m.value), max(m.value), sum(m.value), count(*)::int, count(m.value)::int,
    (count(*) FILTER (WHERE m.quality = 0))::int, min(m.ts), (array_agg(m.value ORDER BY m.ts))[1],
    max(m.ts), (array_agg(m.value ORDER BY m.ts DESC))[1]`;
  await client.query(`
    INSERT INTO measurements_hourly (point_id, bucket, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
    SELECT m.point_id, date_trunc('hour', m.ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', ${aggregates}
    FROM measurements m GROUP BY 1, 2`);
  await client.query(
    `
    INSERT INTO measurements_daily (point_id, day, bucket, bucket_end, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
    SELECT m.point_id, (m.ts AT TIME ZONE '${TZ}')::date, min((m.ts AT TIME ZONE '${TZ}')::date)::timestamp AT TIME ZONE '${TZ}',
           (min((m.ts AT TIME ZONE '${TZ}')::date) + 1)::timestamp AT TIME ZONE '${TZ}', ${aggregates}
    FROM measurements m WHERE m.point_id = $1 GROUP BY 1, 2`,
    [fiveMin],
  );
  // Ten years of daily rollups for every hourly point, from the same generated series as the raw
  // rows (in --quick the raw rows only cover the last year).
  await client.query(
    `INSERT INTO measurements_daily (point_id, day, bucket, bucket_end, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
     SELECT m.point_id, (m.ts AT TIME ZONE '${TZ}')::date, min((m.ts AT TIME ZONE '${TZ}')::date)::timestamp AT TIME ZONE '${TZ}',
            (min((m.ts AT TIME ZONE '${TZ}')::date) + 1)::timestamp AT TIME ZONE '${TZ}', ${aggregates}
     FROM (SELECT p AS point_id, ts, round((p % 7 + 15 + 5 * sin(extract(epoch FROM ts) / 86400.0))::numeric, 2)::float8 AS value, 0 AS quality
           FROM unnest($1::int[]) p,
                generate_series(timestamptz '${TEN_YEARS_FROM}', timestamptz '${YEAR_TO}' - interval '1 hour', interval '1 hour') ts) m
     GROUP BY 1, 2`,
    [hourly],
  );
  await client.query(
    `UPDATE points p SET first_ts = x.f, last_ts = x.l FROM (SELECT point_id, min(first_ts) f, max(last_ts) l FROM measurements_daily GROUP BY 1) x WHERE p.id = x.point_id`,
  );
  await client.query('VACUUM ANALYZE');
  log(`rollups written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { fiveMin, hourly };
}

async function run({ quick, log }: BenchContext): Promise<Measurement[]> {
  const hourlyPoints = quick ? 50 : 500;
  const rawYears = quick ? 1 : 10;
  const runs = quick ? 10 : 30;
  const testDb = await createTestDatabase('bench_query');
  const client = new pg.Client({ connectionString: testDb.url });
  let api: ServiceProcess | undefined;
  try {
    const adminKey = cli(['keys', 'generate'], {}).split('\n').pop()!;
    cli(['migrate'], { DATABASE_URL: testDb.url, EP_BOOTSTRAP_ADMIN_KEY: adminKey });
    cli(['sites', 'add', 'bench', '--tz', TZ], { DATABASE_URL: testDb.url });
    await client.connect();
    log(
      `seeding: 1 point × a year of 5-minute samples, ${hourlyPoints} points × ${rawYears} year(s) of hourly samples`,
    );
    const ids = await seed(client, hourlyPoints, rawYears, log);

    const port = await freePort();
    // As the query bench always ran it: from source (the `start` script).
    api = startService(
      'query-api',
      { DATABASE_URL: testDb.url, PORT: String(port), LOG_LEVEL: 'warn' },
      { mode: 'source' },
    );
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/readyz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (i > 600) throw new Error('query-api did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const get = async (path: string): Promise<string> => {
      const res = await fetch(base + path, { headers: { authorization: `Bearer ${adminKey}` } });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
      return text;
    };
    const results: Measurement[] = [];
    const add = (name: string, value: number, unit: string, baseline: number) => {
      results.push({ name, value, unit, baseline, higherIsBetter: unit !== 'ms' });
      log(`${name}: ${value.toFixed(2)} ${unit} (baseline ${baseline.toFixed(2)})`);
    };
    await client.query(`SET timezone = 'UTC'`);

    // 1. A year of raw samples as JSON, one page. Timed: request to last byte received (the
    // client's own JSON.parse is not the API's cost); checked once, untimed.
    const yearPath = `/api/v1/points/${ids.fiveMin}/samples?from=${YEAR_FROM}&to=${YEAR_TO}`;
    const rows = (JSON.parse(await get(`${yearPath}&limit=200000`)) as { samples: unknown[] }).samples.length;
    if (rows !== 105_120) throw new Error(`expected 105120 samples, got ${rows}`);
    const json = await timeIt(runs, async () => void (await get(`${yearPath}&limit=200000`)));
    // The bare equivalent: the same rows through pg, as the service selects them.
    const select = await timeIt(runs, async () => {
      await client.query({
        text: `SELECT date_part('epoch', ts) * 1000, value, quality FROM measurements
               WHERE point_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
        values: [ids.fiveMin, YEAR_FROM, YEAR_TO],
        rowMode: 'array',
      });
    });
    add('raw year as JSON (105,120 samples, one page), p50', json.p50, 'ms', select.p50);
    add('raw year as JSON, p99', json.p99, 'ms', select.p99);
    const paged = await timeIt(Math.max(3, runs / 3), async () => {
      let cursor: string | null = null;
      do {
        const page = JSON.parse(await get(`${yearPath}&limit=10000${cursor ? `&cursor=${cursor}` : ''}`)) as {
          nextCursor: string | null;
        };
        cursor = page.nextCursor;
      } while (cursor);
    });
    add('raw year as JSON in 11 pages of 10,000 (default limit), p50', paged.p50, 'ms', select.p50);

    // 2. CSV export vs COPY TO STDOUT of the same rows.
    const csvRows = (await get(`${yearPath}&format=csv`)).split('\n').length - 2;
    if (csvRows !== 105_120) throw new Error(`CSV rows ${csvRows}`);
    const csv = await timeIt(runs, async () => void (await get(`${yearPath}&format=csv`)));
    const copyOf = (query: string) => async () => {
      const stream = client.query(copyTo(`COPY (${query}) TO STDOUT WITH (FORMAT csv, HEADER)`));
      for await (const chunk of stream) void chunk;
    };
    // The service COPYs exactly these columns (text format) and rewrites times to ISO-8601.
    const plainSelect = `SELECT ts, value, quality FROM measurements WHERE point_id = ${ids.fiveMin} AND ts >= '${YEAR_FROM}' AND ts < '${YEAR_TO}' ORDER BY ts`;
    const plainCopy = await timeIt(runs, copyOf(plainSelect));
    add(
      'CSV export of the raw year, rows/s at p50 (baseline: COPY of the same rows as CSV)',
      105_120 / (csv.p50 / 1000),
      'rows/s',
      105_120 / (plainCopy.p50 / 1000),
    );

    // 2b. The same year as xlsx in the site's time (exceljs's streaming WorkbookWriter), rows/s.
    const xlsxPath = `${yearPath}&format=xlsx&tz=site`;
    const xlsxBytes = (await get(xlsxPath)).length;
    if (xlsxBytes < 100_000) throw new Error(`xlsx of ${xlsxBytes} bytes`);
    const xlsx = await timeIt(Math.max(3, runs / 3), async () => void (await get(xlsxPath)));
    add(
      'xlsx export of the raw year in site time, rows/s at p50 (baseline: COPY of the same rows as CSV)',
      105_120 / (xlsx.p50 / 1000),
      'rows/s',
      105_120 / (plainCopy.p50 / 1000),
    );

    // 3. Ten years of daily aggregates (from the daily rollups).
    const point = ids.hourly[0]!;
    const from10 = '2016-01-01T00:00:00-06:00';
    const to10 = '2026-01-01T00:00:00-06:00';
    let buckets = 0;
    const daily = await timeIt(runs * 3, async () => {
      buckets = (
        JSON.parse(
          await get(`/api/v1/points/${point}/aggregate?from=${from10}&to=${to10}&interval=1d&fn=avg,min,max`),
        ) as { buckets: unknown[] }
      ).buckets.length;
    });
    if (buckets !== 3653) throw new Error(`expected 3653 daily buckets, got ${buckets}`);
    const dailySql = await timeIt(runs * 3, async () => {
      await client.query(
        `SELECT bucket, min, max, sum / value_count AS avg, count, good_count FROM measurements_daily
                          WHERE point_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
        [point, from10, to10],
      );
    });
    add('daily aggregates over ten years (3,653 buckets), p50', daily.p50, 'ms', dailySql.p50);
    add('daily aggregates over ten years, p99', daily.p99, 'ms', dailySql.p99);

    // 4. /series: 50 points over a month, hourly.
    const fifty = ids.hourly.slice(0, 50);
    const monthFrom = '2025-12-01T00:00:00-06:00';
    const monthTo = '2026-01-01T00:00:00-06:00';
    const seriesTimes = await timeIt(runs, async () => {
      await get(
        `/api/v1/series?points=${fifty.join(',')}&from=${monthFrom}&to=${monthTo}&interval=1h&fn=avg`,
      );
    });
    const seriesSql = await timeIt(runs, async () => {
      await client.query(
        `SELECT point_id, bucket, sum / value_count AS avg, good_count FROM measurements_hourly
         WHERE point_id = ANY($1::int[]) AND bucket >= $2 AND bucket < $3 ORDER BY 1, 2`,
        [fifty, monthFrom, monthTo],
      );
    });
    add('/series 50 points × a month at 1h, p50', seriesTimes.p50, 'ms', seriesSql.p50);
    add('/series 50 points × a month at 1h, p99', seriesTimes.p99, 'ms', seriesSql.p99);
    return results;
  } finally {
    await api?.stop();
    await client.end().catch(() => undefined);
    await testDb.drop();
  }
}

export const querySuite: Suite = {
  name: 'query',
  description:
    'query-api latency: a year of raw JSON, CSV export vs COPY, ten years of daily aggregates, /series of 50 points',
  run,
};
