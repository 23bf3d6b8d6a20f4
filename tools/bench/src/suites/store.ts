/**
 * Suite `store`: samples per second committed by measurement-store (readings on `<P>_READINGS`
 * → durable pull consumer → COPY + upsert + rollups + stored events → ack) next to what
 * PostgreSQL itself does with the same rows in the same run: COPY into a staging table plus an
 * idempotent upsert (INSERT … ON CONFLICT DO UPDATE … WHERE changed) into an indexed table, in
 * transactions of the store's write size.
 *
 * The store runs as its own process, as deployed (compiled, `start:dist`), against a fresh, migrated database,
 * with the whole backlog already in its stream; the clock runs from its "started" log line to
 * the commit of the last batch, so its boot is not counted.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { natsNames, type ReadingsBatchInput } from '@ep/contracts';
import { createTestDatabase, freePort, infraUrls, uniquePrefix } from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import { runCli } from '../cli.js';
import type { BenchContext, Measurement, Suite } from '../harness.js';
import { buildServices, startService, type ServiceProcess } from '../services.js';

// A realistic batch: one poll of a site (or a file chunk), 200 points × 25 quarter-hours.
const POINTS = 200;
const SAMPLES = 25;
/** The store's write size (STORE_BATCH_SAMPLES), also used for the baseline's transactions. */
const WRITE_SAMPLES = 50_000;
const QUARTER_HOUR = 900_000;
const START = Date.UTC(2025, 0, 1);

/** Batch i: every point gets the next 25 quarter-hours, so rollup buckets fill up across batches. */
function batch(i: number): ReadingsBatchInput {
  return {
    v: 1,
    batchId: `bench:${i}`,
    source: 'siemens',
    site: 'bench',
    producedAt: new Date().toISOString(),
    points: Array.from({ length: POINTS }, (_, p) => ({
      node: `B${p % 10}`,
      device: `AH${p}`,
      parameter: 'T',
      name: `B${p % 10}.AH${p}.T`,
      unit: 'degC',
      samples: Array.from({ length: SAMPLES }, (_, s): [string, number | null, number] => {
        const k = i * SAMPLES + s;
        return [
          new Date(START + k * QUARTER_HOUR).toISOString(),
          Math.round(Math.sin(k + p) * 2_000) / 100,
          0,
        ];
      }),
    })),
  };
}

/** The COPY text of each write's rows, built before the clock starts. */
function baselineWrites(batches: number): string[] {
  const perWrite = WRITE_SAMPLES / (POINTS * SAMPLES);
  const writes: string[] = [];
  for (let first = 0; first < batches; first += perWrite) {
    const lines: string[] = [];
    for (let i = first; i < Math.min(batches, first + perWrite); i++) {
      for (const [p, point] of batch(i).points.entries()) {
        for (const [ts, value, quality] of point.samples!)
          lines.push(`${p + 1}\t${ts}\t${value ?? '\\N'}\t${quality}\n`);
      }
    }
    writes.push(lines.join(''));
  }
  return writes;
}

/**
 * PostgreSQL alone: text COPY into a staging table + idempotent upsert of the same rows into an
 * indexed table, one transaction per write of the store's size.
 */
async function baseline(client: pg.Client, writes: string[], table: string): Promise<number> {
  await client.query(`
    CREATE TABLE ${table} (point_id int, ts timestamptz, value float8, quality int2 NOT NULL, PRIMARY KEY (point_id, ts));
    CREATE TEMP TABLE IF NOT EXISTS bench_staging (point_id int, ts timestamptz, value float8, quality int2)
      ON COMMIT DELETE ROWS;`);
  const started = performance.now();
  for (const text of writes) {
    await client.query('BEGIN');
    await pipeline(Readable.from([text]), client.query(copyFrom('COPY bench_staging FROM STDIN')));
    await client.query(`
      INSERT INTO ${table} AS b SELECT * FROM bench_staging ORDER BY point_id, ts
      ON CONFLICT (point_id, ts) DO UPDATE SET value = EXCLUDED.value, quality = EXCLUDED.quality
      WHERE (b.value, b.quality) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.quality)`);
    await client.query('COMMIT');
  }
  const rate = (writes.length * WRITE_SAMPLES) / ((performance.now() - started) / 1000);
  await client.query(`DROP TABLE ${table}`);
  return rate;
}

async function run({ quick, log }: BenchContext): Promise<Measurement[]> {
  const urls = infraUrls();
  const batches = quick ? 20 : 200;
  const samples = batches * POINTS * SAMPLES;
  const prefix = uniquePrefix('bstore');
  const names = natsNames(prefix);
  const testDb = await createTestDatabase('bench_store');
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  const nc = await connectNats({ servers: urls.natsUrl });
  let store: ServiceProcess | undefined;
  try {
    log('compiling measurement-store (tsc -b)');
    buildServices('measurement-store');
    log(`migrating ${testDb.name}`);
    runCli(['migrate'], testDb.url);
    runCli(['sites', 'add', 'bench', '--tz', 'America/Chicago'], testDb.url);

    // The machine is shared: the baseline runs before and after the store and the mean counts,
    // so a load change during the run does not favour either side.
    const writes = baselineWrites(batches);
    log(`baseline: COPY + INSERT … ON CONFLICT of ${samples} rows in writes of ${WRITE_SAMPLES}`);
    const before = await baseline(client, writes, 'bench_baseline_1');
    log(`baseline (before): ${before.toFixed(0)} samples/s`);

    // The store provisions the streams itself; create them now so the backlog can wait there.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: names.streams.readings, subjects: [names.subjects.allReadings] });
    const js = jetstream(nc);
    for (let i = 0; i < batches; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, batches - i) }, (_, j) => {
          const b = batch(i + j);
          return js.publish(names.subjects.readings(b.source, b.site), JSON.stringify(b), {
            msgID: b.batchId,
          });
        }),
      );
    }
    log(`store: ${batches} batches (${samples} samples) in ${names.streams.readings}; starting it`);

    const proc = startService('measurement-store', {
      DATABASE_URL: testDb.url,
      NATS_URL: urls.natsUrl,
      EP_NATS_PREFIX: prefix,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      STORE_BATCH_SAMPLES: String(WRITE_SAMPLES),
    });
    store = proc;
    for (;;) {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM batches');
      if (Number(rows[0]!.n) >= batches) break;
      if (proc.proc.exitCode !== null) throw new Error(`the store exited with ${proc.proc.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - (await proc.ready)) / 1000;
    const rate = samples / seconds;
    log(`store: ${rate.toFixed(0)} samples/s (${seconds.toFixed(2)} s)`);
    const check = await client.query<{ n: string }>('SELECT count(*) AS n FROM measurements');
    if (Number(check.rows[0]!.n) !== samples)
      throw new Error(`expected ${samples} rows, found ${check.rows[0]!.n}`);
    await proc.stop();

    const after = await baseline(client, writes, 'bench_baseline_2');
    log(`baseline (after): ${after.toFixed(0)} samples/s`);
    const base = (before + after) / 2;

    return [
      {
        name: `samples committed by the store (${POINTS} points × ${SAMPLES} samples a batch, rollups and stored events included)`,
        value: Math.round(rate),
        unit: 'samples/s',
        baseline: Math.round(base),
      },
    ];
  } finally {
    await store?.stop();
    const jsm = await jetstreamManager(nc);
    for (const stream of Object.values(names.streams))
      await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await client.end();
    await testDb.drop();
  }
}

export const storeSuite: Suite = {
  name: 'store',
  description:
    'samples/s committed by measurement-store from <P>_READINGS vs COPY + INSERT … ON CONFLICT of the same rows',
  run,
};
