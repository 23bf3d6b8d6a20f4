import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { endWithUs, freePort, waitFor } from '@ep/testkit';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { batchOf, storeTestEnv, type StoreTestEnv } from './support.js';

jest.setTimeout(120_000);

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
// Short, so the killed store's un-acked messages come back to the survivor quickly.
const ACK_WAIT_MS = 2_000;

interface Child {
  proc: ChildProcess;
  port: number;
  output: string;
  writes(): number;
}

function startStore(env: StoreTestEnv, port: number): Child {
  // The real service process, as `pnpm start` runs it.
  const proc = endWithUs(
    spawn(process.execPath, ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: serviceDir,
      env: {
        PATH: process.env['PATH'],
        DATABASE_URL: env.testDb.url,
        NATS_URL: env.natsUrl,
        EP_NATS_PREFIX: env.prefix,
        PORT: String(port),
        LOG_LEVEL: 'debug',
        STORE_ACK_WAIT_MS: String(ACK_WAIT_MS),
        // Small writes: many transactions, so the kill lands between and inside them.
        STORE_BATCH_MESSAGES: '4',
        STORE_BATCH_WAIT_MS: '10',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const child: Child = {
    proc,
    port,
    output: '',
    writes: () => child.output.split('\n').filter((l) => l.includes('"write committed"')).length,
  };
  proc.stdout!.on('data', (d: Buffer) => (child.output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (child.output += d.toString()));
  return child;
}

const POINTS = 10;
const SAMPLES = 25;
const BATCHES = 240;

/** Batch i: POINTS points × SAMPLES samples, timestamps unique to the batch. */
function batch(i: number) {
  const base = Date.UTC(2026, 0, 1) + i * SAMPLES * 60_000;
  const b = batchOf(`kill:${i}`, 'campus', []);
  b.points = Array.from({ length: POINTS }, (_, p) => ({
    node: 'B1',
    device: `D${p}`,
    parameter: 'T',
    name: `B1.D${p}.T`,
    samples: Array.from({ length: SAMPLES }, (_, s): [string, number, number] => [
      new Date(base + s * 60_000).toISOString(),
      i + s / 100,
      0,
    ]),
  }));
  return b;
}

describe('two store processes on one durable consumer', () => {
  let env: StoreTestEnv;
  const children: Child[] = [];

  beforeAll(async () => {
    env = await storeTestEnv('replicas', ACK_WAIT_MS);
    await env.addSite('campus', 'Europe/Berlin');
  });

  afterAll(async () => {
    for (const c of children)
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        c.proc.exitCode !== null || c.proc.signalCode !== null
          ? undefined
          : new Promise((resolve) => c.proc.once('exit', resolve)),
      ),
    );
    await env?.close();
  });

  it('share the work, and a SIGKILL of one mid-run loses and duplicates nothing', async () => {
    const [a, b] = [startStore(env, await freePort()), startStore(env, await freePort())];
    children.push(a, b);
    for (const c of [a, b])
      await waitFor(() => c.output.includes('measurement-store started'), {
        what: 'store started',
        timeoutMs: 60_000,
      });

    // First half, plus some batches delivered twice (a producer retrying past the duplicate window).
    for (let i = 0; i < BATCHES / 2; i++) await env.publishBatch(batch(i));
    for (let i = 0; i < 20; i++) await env.publishBatch(batch(i * 3));
    await waitFor(() => a.writes() > 2 && b.writes() > 2, { what: 'both stores writing' });

    a.proc.kill('SIGKILL');
    await new Promise((resolve) => a.proc.once('exit', resolve));
    // The rest arrives after the kill: only the survivor can store it, and it also gets
    // whatever the killed store held un-acked once the ack wait runs out.
    for (let i = BATCHES / 2; i < BATCHES; i++) await env.publishBatch(batch(i));

    await env.waitForBatches(BATCHES, 90_000);
    await waitFor(async () => (await env.storedMessages()) >= BATCHES, {
      what: 'stored events',
      timeoutMs: 60_000,
    });
    await waitFor(
      async () => {
        const info = await env.jsm.consumers.info(
          env.names.streams.readings,
          env.names.consumers.storeReadings,
        );
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { what: 'readings consumer drained', timeoutMs: 60_000 },
    );

    const { rows } = await sql<{ n: number; distinct: number }>`
      SELECT count(*)::int AS n, count(DISTINCT (point_id, ts))::int AS distinct FROM measurements`.execute(
      env.db,
    );
    expect(rows[0]).toEqual({ n: BATCHES * POINTS * SAMPLES, distinct: BATCHES * POINTS * SAMPLES });
    // One stored event per batch: every batch id once, none missing.
    const ids = (await env.storedEvents()).map((e) => (e.type === 'readings.stored' ? e.batchId : ''));
    expect(new Set(ids).size).toBe(BATCHES);
    expect(ids).toHaveLength(BATCHES);
    const counted = await sql<{
      inserted: number;
    }>`SELECT sum(inserted)::int AS inserted FROM batches`.execute(env.db);
    expect(counted.rows[0]!.inserted).toBe(BATCHES * POINTS * SAMPLES);
    const hourly = await sql<{ n: number }>`SELECT sum(count)::int AS n FROM measurements_hourly`.execute(
      env.db,
    );
    expect(hourly.rows[0]!.n).toBe(BATCHES * POINTS * SAMPLES);

    // The survivor's operations endpoints: ready (PostgreSQL and NATS answer) and its metrics.
    const ready = await fetch(`http://127.0.0.1:${b.port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'postgres', ok: true },
        { name: 'nats', ok: true },
      ],
    });
    expect((await fetch(`http://127.0.0.1:${b.port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text();
    expect(metrics).toMatch(/store_batches_total\{outcome="stored"\} [1-9]/);
    expect(metrics).toMatch(/store_samples_total\{outcome="inserted"\} [1-9]/);
    expect(metrics).toContain('store_revised_samples_total');
    expect(metrics).toMatch(/store_write_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/store_consumer_lag_messages\{stream="[A-Z0-9_]+_READINGS"\} 0/);
  });
});
