import { addGateway } from '@ep/gateways';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { natsNames } from '@ep/contracts';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import { migrateToLatest } from '@ep/schema';
import {
  createTestDatabase,
  freePort,
  infraUrls,
  uniquePrefix,
  waitFor,
  type TestDatabase,
  startService,
  startStore,
} from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { sql, type Kysely } from 'kysely';
import { createGatewayPoller, type GatewayPoller } from '../src/poller.js';
import { parseGatewayPollerConfig } from '../src/config.js';
import type { GatewayDatabase } from '../src/db/schema.js';

/** A sample as stored: [UTC ISO, value, quality], in time order. */
export type StoredSample = [string, number | null, number];

/**
 * One test file's world: a migrated database, a NATS prefix, a real measurement-store in this
 * process, a secrets directory, and pollers (in process or as child processes).
 */
export interface Bed {
  testDb: TestDatabase;
  db: Kysely<GatewayDatabase>;
  prefix: string;
  secretsDir: string;
  env(extra?: Record<string, string>): Record<string, string>;
  addSite(key: string, timezone?: string): Promise<void>;
  addGateway(g: {
    name: string;
    site: string;
    vendor: 'prefect' | 'secure';
    url: string;
    interval?: number;
    backfillDays?: number;
  }): Promise<void>;
  writeSecret(name: string, secret: unknown): Promise<void>;
  startPoller(env?: Record<string, string>): Promise<GatewayPoller>;
  spawnPoller(env?: Record<string, string>): Promise<{ child: ChildProcess; port: number }>;
  /** Stored samples of one point (site key, node, device, parameter). */
  stored(site: string, node: string, device: string, parameter: string): Promise<StoredSample[]>;
  /** Every stored point of a site with its samples, keyed `node/device/parameter`. */
  storedAll(site: string): Promise<Map<string, StoredSample[]>>;
  status(name: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export async function createBed(label: string): Promise<Bed> {
  const urls = infraUrls();
  const testDb = await createTestDatabase(label);
  const db = createDb<GatewayDatabase>({ url: testDb.url, max: 3 });
  await migrateToLatest(db);
  const prefix = uniquePrefix(label);
  const secretsDir = await mkdtemp(path.join(tmpdir(), 'ep-gw-secrets-'));
  const store = await startStore(
    { databaseUrl: testDb.url, natsUrl: urls.natsUrl, prefix },
    { STORE_BATCH_WAIT_MS: '20' },
  );
  const pollers: GatewayPoller[] = [];
  const children: ChildProcess[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: testDb.url,
    NATS_URL: urls.natsUrl,
    EP_NATS_PREFIX: prefix,
    EP_GATEWAY_SECRETS_DIR: secretsDir,
    EP_GATEWAY_LEASE_MS: '3000',
    EP_GATEWAY_TICK_MS: '100',
    // The machine running the tests is shared: a slow answer is not what these tests are about.
    EP_GATEWAY_HTTP_TIMEOUT_MS: '10000',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...extra,
  });
  const bed: Bed = {
    testDb,
    db,
    prefix,
    secretsDir,
    env,
    async addSite(key, timezone = 'Europe/London') {
      await db.insertInto('sites').values({ key, name: key, timezone }).execute();
    },
    async addGateway(g) {
      // As `ep gateways add` and the admin API add one.
      await addGateway(db, {
        name: g.name,
        site: g.site,
        vendor: g.vendor,
        url: g.url,
        intervalSeconds: g.interval ?? 1,
        backfillDays: g.backfillDays ?? 0,
      });
    },
    async writeSecret(name, secret) {
      await writeFile(path.join(secretsDir, name), JSON.stringify(secret), { mode: 0o600 });
    },
    async startPoller(extra) {
      const config = parseGatewayPollerConfig(env(extra));
      const poller = await createGatewayPoller(config, { logger: silentLogger(), exit: () => undefined });
      await poller.lifecycle.start();
      pollers.push(poller);
      return poller;
    },
    async spawnPoller(extra) {
      // The service's own process, as `pnpm start` runs it: the one way tests start a service.
      const port = await freePort();
      const poller = startService('gateway-poller', env({ PORT: String(port), ...extra }));
      children.push(poller.proc);
      // Ready when it answers /readyz (at LOG_LEVEL warn it does not log that it started);
      // a poller that exits first fails here with what it printed.
      await Promise.race([
        poller.exited,
        waitFor(
          async () => {
            const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
            return r?.ok;
          },
          { timeoutMs: 30_000, what: 'spawned poller ready' },
        ),
      ]);
      return { child: poller.proc, port };
    },
    async stored(site, node, device, parameter) {
      const { rows } = await sql<{ ts: Date; value: number | null; quality: number }>`
        SELECT m.ts, m.value, m.quality FROM measurements m
        JOIN points p ON p.id = m.point_id JOIN sites s ON s.id = p.site_id
        WHERE s.key = ${site} AND p.node = ${node} AND p.device = ${device} AND p.parameter = ${parameter}
        ORDER BY m.ts`.execute(db);
      return rows.map((r) => [r.ts.toISOString(), r.value, r.quality]);
    },
    async storedAll(site) {
      const { rows } = await sql<{
        node: string;
        device: string;
        parameter: string;
        ts: Date;
        value: number | null;
        quality: number;
      }>`
        SELECT p.node, p.device, p.parameter, m.ts, m.value, m.quality FROM measurements m
        JOIN points p ON p.id = m.point_id JOIN sites s ON s.id = p.site_id
        WHERE s.key = ${site} ORDER BY p.node, p.device, p.parameter, m.ts`.execute(db);
      const out = new Map<string, StoredSample[]>();
      for (const r of rows) {
        const key = `${r.node}/${r.device}/${r.parameter}`;
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        list.push([r.ts.toISOString(), r.value, r.quality]);
      }
      return out;
    },
    async status(name) {
      const row = await db
        .selectFrom('gateway_status as st')
        .innerJoin('gateways as g', 'g.id', 'st.gateway_id')
        .selectAll('st')
        .where('g.name', '=', name)
        .executeTakeFirst();
      return row as Record<string, unknown> | undefined;
    },
    async close() {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const p of pollers) await p.lifecycle.stop();
      await store.stop();
      const nc = await connect({ servers: urls.natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(natsNames(prefix).streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await new Kvm(nc)
        .open(natsNames(prefix).buckets.gatewayLeases)
        .then((kv) => kv.destroy())
        .catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
  return bed;
}

/** Record series as a map keyed `node/device/parameter` (the record's gateway is the site name). */
export function recordMap(
  series: { node: string; device: string; parameter: string; samples: StoredSample[] }[],
) {
  return new Map(series.map((s) => [`${s.node}/${s.device}/${s.parameter}`, s.samples]));
}

/** Rounds values so float noise of the double column does not fail an exact comparison. */
export function rounded(map: Map<string, StoredSample[]>, digits = 9): Map<string, StoredSample[]> {
  const f = 10 ** digits;
  return new Map(
    [...map].map(([k, v]) => [
      k,
      v.map(([ts, value, q]) => [ts, value === null ? null : Math.round(value * f) / f, q] as StoredSample),
    ]),
  );
}
