/**
 * Suite `csv-ingest`: a Siemens Insight Trend Interval Report of realistic shape (200 points ×
 * 35,000 quarter-hour rows ≈ 7 M samples, ≈ 55 MB, quoted CRLF like the real ones, local times
 * in America/Chicago across both DST changes) posted to upload-ingest as the legacy script would,
 * then waited for until measurement-store has committed every sample (uploads.samples_stored).
 *
 * upload-ingest and the store run as their own processes, as deployed: compiled first (`tsc -b`),
 * then started with their `start:dist` scripts, the Dockerfile's `node dist/src/main.js`. So the
 * peak RSS of upload-ingest is its own (VmHWM from /proc/<pid>/status) and holds no TypeScript
 * loader. Measured:
 * - samples/s end to end (request sent → last sample committed), against PostgreSQL COPY of the
 *   same rows into an indexed table in the same run (the bare tool at the end of the path);
 * - the parse rate alone (upload-ingest's first pass, which reads every cell and time but
 *   builds no batch; from its /metrics), against a bare readline + split(',') of the same file;
 * - peak RSS of upload-ingest, against its peak once booted (before the upload).
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { natsNames } from '@ep/contracts';
import { createTestDatabase, freePort, infraUrls, uniquePrefix } from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { runCli } from '../cli.js';
import { buildServices, startService, type ServiceProcess } from '../services.js';
import type { Measurement, Suite } from '../harness.js';

const POINTS = 200;
const ZONE = 'America/Chicago';
const QUARTER_HOUR = 900_000;
// 2025-01-01 00:00 CST: a year of rows crosses spring-forward and fall-back.
const START = Date.UTC(2025, 0, 1, 6);

const value = (row: number, point: number) => Math.round((Math.sin(row / 40 + point) * 30 + 60) * 100) / 100;

/**
 * Writes the report as Insight does, walking UTC quarter-hours and printing local wall time:
 * the fall-back hour appears twice and the spring-forward hour not at all. Every 50th point is
 * a fan status (ON/OFF) and every 1,000th row of point 7 says "No Data".
 */
async function writeReport(path: string, rows: number): Promise<void> {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  function* lines(): Generator<string> {
    yield '"Key            Name:Suffix                                Trend Definitions Used"\r\n';
    for (let p = 0; p < POINTS; p++) yield `"Point_${p + 1}:","BENCH.AH${p % 20}.P${p}","","15 minutes"\r\n`;
    yield '"Time Interval:","15 Minutes"\r\n"Date Range:","1/1/2025 00:00:00 - 12/31/2025 23:59:59"\r\n"Report Timings:","All Hours"\r\n""\r\n';
    yield `"<>Date","Time",${Array.from({ length: POINTS }, (_, p) => `"Point_${p + 1}"`).join(',')}\r\n`;
    let chunk = '';
    for (let r = 0; r < rows; r++) {
      const parts = Object.fromEntries(
        fmt.formatToParts(new Date(START + r * QUARTER_HOUR)).map((x) => [x.type, x.value]),
      );
      let line = `"${parts.month}/${parts.day}/${parts.year}","${parts.hour}:${parts.minute}:${parts.second}"`;
      for (let p = 0; p < POINTS; p++) {
        const cell =
          p % 50 === 49
            ? r % 7 < 3
              ? 'ON'
              : 'OFF'
            : p === 7 && r % 1000 === 0
              ? 'No Data'
              : value(r, p).toFixed(2);
        line += `,"${cell}"`;
      }
      chunk += line + '\r\n';
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
    yield '" ******************************** End of Report *********************************"\r\n';
  }
  await pipeline(Readable.from(lines()), createWriteStream(path));
}

/** The bare tool for parsing: read lines and split them on commas, nothing else. */
async function bareParse(path: string): Promise<number> {
  const started = performance.now();
  let fields = 0;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) fields += line.split(',').length;
  if (fields === 0) throw new Error('nothing read');
  return (performance.now() - started) / 1000;
}

/** The bare tool at the end of the path: COPY the same rows into an indexed table. */
async function bareCopy(client: pg.Client, rows: number): Promise<number> {
  await client.query(`CREATE TABLE bench_copy (point_id int, ts timestamptz, value float8, quality int2,
                      PRIMARY KEY (point_id, ts))`);
  const started = performance.now();
  function* text(): Generator<string> {
    let chunk = '';
    for (let r = 0; r < rows; r++) {
      const ts = new Date(START + r * QUARTER_HOUR).toISOString();
      for (let p = 0; p < POINTS; p++) chunk += `${p}\t${ts}\t${value(r, p)}\t0\n`;
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  await pipeline(Readable.from(text()), client.query(copyFrom('COPY bench_copy FROM STDIN')));
  return (performance.now() - started) / 1000;
}

function kb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for ${pid}`);
  return Number(m[1]);
}

function upload(port: number, path: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/upload/siemens?filename=bench.csv',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    createReadStream(path).pipe(req);
  });
}

export const csvIngestSuite: Suite = {
  name: 'csv-ingest',
  description:
    'Siemens trend report (200 points × 35,000 rows) through upload-ingest → NATS → store → PostgreSQL',
  async run(ctx) {
    const rows = ctx.quick ? 1_000 : 35_000;
    const samples = rows * POINTS;
    const urls = infraUrls();
    const prefix = uniquePrefix('bcsv');
    const names = natsNames(prefix);
    const file = join(tmpdir(), `ep-bench-csv-${process.pid}.csv`);
    const testDb = await createTestDatabase('bench_csv');
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    let ingest: ServiceProcess | undefined;
    let store: ServiceProcess | undefined;
    try {
      ctx.log('compiling upload-ingest and measurement-store (tsc -b)');
      buildServices('upload-ingest', 'measurement-store');
      await writeReport(file, rows);
      const size = (await stat(file)).size;
      ctx.log(`report: ${POINTS} points × ${rows} rows = ${samples} samples, ${(size / 1e6).toFixed(1)} MB`);
      runCli(['migrate'], testDb.url);
      runCli(['sites', 'add', 'bench', '--tz', ZONE], testDb.url);
      const key = /^(ep_\S+)$/m.exec(
        runCli(
          ['keys', 'create', '--name', 'bench', '--scopes', 'upload:siemens,read', '--site', 'bench'],
          testDb.url,
        ),
      )?.[1];
      if (!key) throw new Error('keys create printed no secret');

      const common = { DATABASE_URL: testDb.url, NATS_URL: urls.natsUrl, EP_NATS_PREFIX: prefix };
      store = startService('measurement-store', {
        ...common,
        LOG_LEVEL: 'info',
        PORT: String(await freePort()),
      });
      await store.ready;
      const port = await freePort();
      // LOG_LEVEL=warn hides the started line; readiness is polled instead.
      ingest = startService('upload-ingest', { ...common, LOG_LEVEL: 'warn', PORT: String(port) });
      for (;;) {
        if (ingest.proc.exitCode !== null)
          throw new Error(`upload-ingest exited with ${ingest.proc.exitCode}`);
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // High-water mark before the upload: boot (module loading) has its own peak.
      const idleKb = kb(ingest.proc.pid!, 'VmHWM');

      ctx.log('uploading');
      const started = performance.now();
      const res = await upload(port, file, key);
      const answered = performance.now();
      if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${res.body}`);
      const report = JSON.parse(res.body) as {
        uploadId: string;
        samples: number;
        rejected: number;
        errors: unknown[];
      };
      if (report.samples !== samples)
        throw new Error(
          `upload parsed ${report.samples} samples, expected ${samples}: ${JSON.stringify(report.errors.slice(0, 3))}`,
        );
      ctx.log(`answered 202 after ${((answered - started) / 1000).toFixed(1)} s; waiting for the store`);
      for (;;) {
        const { rows: r } = await client.query<{ status: string; samples_stored: string }>(
          'SELECT status, samples_stored FROM uploads WHERE id = $1',
          [report.uploadId],
        );
        if (r[0]?.status === 'stored') break;
        if (store.proc.exitCode !== null) throw new Error(`the store exited with ${store.proc.exitCode}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      const peakKb = kb(ingest.proc.pid!, 'VmHWM');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
      const parseSeconds = metric('upload_ingest_parse_seconds_total');
      const { rows: counted } = await client.query<{ n: string }>('SELECT count(*) AS n FROM measurements');
      if (Number(counted[0]!.n) !== samples)
        throw new Error(`expected ${samples} rows in measurements, found ${counted[0]!.n}`);

      ctx.log('baselines: readline + split, COPY');
      const bareSeconds = await bareParse(file);
      const copySeconds = await bareCopy(client, rows);

      const out: Measurement[] = [
        {
          name: `end to end: upload → every sample committed (${(size / 1e6).toFixed(0)} MB)`,
          value: samples / seconds,
          unit: 'samples/s',
          baseline: samples / copySeconds,
        },
        {
          name: 'parse alone (first pass: every cell and time read, batches counted, none built)',
          value: samples / parseSeconds,
          unit: 'samples/s',
          baseline: samples / bareSeconds,
        },
        {
          name: 'upload-ingest answer (parse + publish to JetStream)',
          value: samples / ((answered - started) / 1000),
          unit: 'samples/s',
          baseline: samples / copySeconds,
        },
        {
          name: 'upload-ingest peak RSS (VmHWM; baseline: its peak before the upload)',
          value: peakKb / 1024,
          unit: 'MB',
          baseline: idleKb / 1024,
          higherIsBetter: false,
        },
      ];
      return out;
    } finally {
      await ingest?.stop();
      await store?.stop();
      const nc = await connectNats({ servers: urls.natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(names.streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await client.end();
      await testDb.drop();
      await rm(file, { force: true });
    }
  },
};
