/**
 * Suite `gateway-poll`: many simulated Prefect gateways with no latency, polled by gateway-poller
 * (in this process, the polls driven one interval at a time) into a real measurement-store and
 * PostgreSQL. Measures polls per second, samples per second end to end (published → stored
 * rows), poll-to-row latency p50/p99 (poll start → its batch committed), and backfill speed (days
 * of NodeHistory per second). Baselines: the bare HTTP requests of the same polls / history days
 * against the same simulator, without mapping, publishing or storing.
 */
import { addGateway } from '@ep/gateways';
import { createDb } from '@ep/db';
import { startPrefectSim } from '@ep/gateway-sim';
import { createGatewayPoller, listGateways, parseGatewayPollerConfig } from '@ep/gateway-poller';
import { silentLogger } from '@ep/logger';
import { migrateToLatest, type Database } from '@ep/schema';
import { createTestDatabase, infraUrls, uniquePrefix, waitFor, startStore } from '@ep/testkit';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { BenchContext, Suite } from '../harness.js';
import { buildServices } from '../services.js';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export const gatewayPollSuite: Suite = {
  name: 'gateway-poll',
  description:
    'Prefect gateways → gateway-poller → NATS → measurement-store → PostgreSQL (polls/s, samples/s, poll-to-row, backfill days/s)',
  async run(ctx: BenchContext) {
    const sites = ctx.quick ? 10 : 200;
    const nodes = ctx.quick ? 10 : 50;
    const rounds = ctx.quick ? 2 : 5;
    // Every node of every gateway is backfilled on its first poll: 10,000 nodes × 3 days is 30,000
    // history requests (about 5 minutes here), enough for a steady days/s figure.
    const backfillDays = 2;
    const urls = infraUrls();
    const sim = await startPrefectSim({
      sites,
      nodes,
      seed: 1,
      clock: { start: '2026-06-10T12:00:00Z' },
      historyDays: backfillDays + 2,
      // The bench counts rows, not values: a record of every sample served (10,000 nodes × days
      // of history) would fill this process's heap.
      recordSamples: false,
    });
    const testDb = await createTestDatabase('benchgw');
    const db = createDb<Database>({ url: testDb.url, max: 2 });
    await migrateToLatest(db);
    const prefix = uniquePrefix('benchgw');
    const secretsDir = await mkdtemp(join(tmpdir(), 'ep-bench-gw-'));
    // The store as deployed (start:dist), its own process, as the other suites run services.
    buildServices('measurement-store');
    const store = await startStore(
      { databaseUrl: testDb.url, natsUrl: urls.natsUrl, prefix },
      { LOG_LEVEL: 'info' },
      { mode: 'dist', stderr: 'ignore' },
    );
    try {
      for (const site of sim.sites) {
        const key = site.toLowerCase();
        await db.insertInto('sites').values({ key, name: key, timezone: 'Europe/London' }).execute();
        await addGateway(db, {
          name: key,
          site: key,
          vendor: 'prefect',
          url: sim.url,
          intervalSeconds: 300,
          backfillDays,
        });
        await writeFile(join(secretsDir, key), JSON.stringify(sim.credentials[site]));
      }
      const poller = await createGatewayPoller(
        parseGatewayPollerConfig({
          DATABASE_URL: testDb.url,
          NATS_URL: urls.natsUrl,
          EP_NATS_PREFIX: prefix,
          EP_GATEWAY_SECRETS_DIR: secretsDir,
          PORT: '0',
          LOG_LEVEL: 'silent',
        }),
        { logger: silentLogger(), exit: () => undefined },
      );
      const gateways = await listGateways(poller.db);
      const concurrency = 8;
      const storedSamples = async () =>
        Number(
          (await sql<{ n: string }>`SELECT coalesce(sum(samples), 0) AS n FROM batches`.execute(db)).rows[0]!
            .n,
        );

      // Backfill: the first poll of every gateway walks NodeHistory back backfill-days.
      const daysBefore = await sim.record
        .requests()
        .filter((r) => r.kind === 'NodeHistory')
        .reduce((n, r) => n + r.count, 0);
      let t0 = performance.now();
      await pool(gateways, concurrency, (gw) => poller.scheduler.pollOnce(gw));
      const backfillS = (performance.now() - t0) / 1000;
      const days =
        sim.record
          .requests()
          .filter((r) => r.kind === 'NodeHistory')
          .reduce((n, r) => n + r.count, 0) - daysBefore;
      const before = await storedSamples();
      ctx.log(`backfill: ${days} node-days in ${backfillS.toFixed(1)} s`);
      // Bare baseline: the same number of history-day requests, fetched and parsed only.
      const base = new URL(sim.url);
      const token = (site: string) => ({ authorization: `Bearer ${sim.credentials[site]!.token}` });
      const dayRequests = sim.sites.flatMap((site) =>
        sim.nodes(site).flatMap((n) =>
          Array.from({ length: backfillDays + 1 }, (_, d) => ({
            site,
            path: `${site}/NodeHistory/${d}/${n.address}`,
          })),
        ),
      );
      t0 = performance.now();
      await pool(
        dayRequests,
        concurrency,
        async (r) => void (await (await fetch(new URL(r.path, base), { headers: token(r.site) })).json()),
      );
      const rawDaysS = (performance.now() - t0) / 1000;
      ctx.record({
        name: 'backfill node-days/s',
        value: days / backfillS,
        unit: 'days/s',
        baseline: dayRequests.length / rawDaysS,
      });
      // The backfill's batches may still be on their way into the store: the steady-state rounds
      // start once the stored count has stopped moving for a second, so none of them counts it.
      let settled = before;
      await waitFor(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const now = await storedSamples();
          const still = now === settled;
          settled = now;
          return still;
        },
        { timeoutMs: 600_000 },
      );

      // Steady state: one report per node per interval.
      const latencies: number[] = [];
      let polls = 0;
      let samples = 0;
      let pollTime = 0;
      let e2eTime = 0;
      for (let round = 0; round < rounds; round++) {
        sim.clock.advance(300_000);
        const start = await storedSamples();
        const startedAt = new Map<string, number>();
        const wall = Date.now();
        t0 = performance.now();
        await pool(gateways, concurrency, async (gw) => {
          startedAt.set(gw.name, Date.now());
          await poller.scheduler.pollOnce(gw);
        });
        pollTime += (performance.now() - t0) / 1000;
        polls += gateways.length;
        const target = start + sim.sites.reduce((n, s) => n + sim.nodes(s).length, 0) * 5;
        await waitFor(async () => (await storedSamples()) >= target, {
          timeoutMs: 300_000,
          intervalMs: 20,
        }).catch(() => undefined);
        e2eTime += (performance.now() - t0) / 1000;
        samples += (await storedSamples()) - start;
        const rows = await sql<{
          batch_id: string;
          stored_at: Date;
        }>`SELECT batch_id, stored_at FROM batches WHERE stored_at >= ${new Date(wall)}`.execute(db);
        for (const r of rows.rows) {
          const gateway = r.batch_id.split(':')[1]!;
          const s = startedAt.get(gateway);
          if (s !== undefined) latencies.push(r.stored_at.getTime() - s);
        }
      }
      // Bare baseline: NodeStatus of every gateway, fetched and parsed only.
      t0 = performance.now();
      await pool(
        sim.sites,
        concurrency,
        async (site) =>
          void (await (await fetch(new URL(`${site}/NodeStatus`, base), { headers: token(site) })).json()),
      );
      const rawPollS = (performance.now() - t0) / 1000;
      ctx.record({
        name: 'polls/s',
        value: polls / pollTime,
        unit: 'polls/s',
        baseline: sim.sites.length / rawPollS,
      });
      ctx.record({ name: 'samples/s end to end', value: samples / e2eTime, unit: 'samples/s', baseline: 0 });
      latencies.sort((a, b) => a - b);
      ctx.record({
        name: 'poll-to-row p50',
        value: percentile(latencies, 50),
        unit: 'ms',
        baseline: 0,
        higherIsBetter: false,
      });
      ctx.record({
        name: 'poll-to-row p99',
        value: percentile(latencies, 99),
        unit: 'ms',
        baseline: 0,
        higherIsBetter: false,
      });
      await poller.lifecycle.stop();
    } finally {
      await store.stop();
      await sim.close();
      await db.destroy();
      await testDb.drop();
      await rm(secretsDir, { recursive: true, force: true });
    }
  },
};
