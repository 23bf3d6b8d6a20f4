import { fileURLToPath } from 'node:url';
import { generateApiKey } from '@ep/auth';
import { natsNames, type TeststandEventInput } from '@ep/contracts';
import { createDb } from '@ep/db';
import { connectNats, publish } from '@ep/nats';
import { silentLogger } from '@ep/logger';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { createStandSim, type StandSim } from '@ep/teststand-sim';
import {
  freePort,
  infraUrls,
  startMosquitto,
  startService,
  uniquePrefix,
  waitFor,
  type Mosquitto,
  type ServiceProcess,
} from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { chromium, type Browser } from 'playwright-core';

/**
 * The real system the explorer talks to, for its browser tests and benchmark: a fresh migrated
 * database, its own NATS prefix, measurement-store, upload-ingest and query-api each running as
 * its own process (teststand-handler and gateway-poller too, for the tests that need them) (testkit's startService: the package's `start` script), query-api serving the built app
 * and forwarding /upload/* to upload-ingest. Only the first admin key is inserted directly.
 */
export interface Stack {
  base: string;
  uploadBase: string;
  adminKey: string;
  /** Calls the API with a key (admin by default); throws with the body on an unexpected status. */
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Posts a file to upload-ingest and waits until the store has every sample. */
  upload(
    kind: 'siemens' | 'alc',
    site: string,
    name: string,
    text: string,
  ): Promise<{ uploadId: string; samples: number }>;
  publishTeststand(event: TeststandEventInput): Promise<void>;
  /**
   * Starts, for the command test only (the others stay fast), a Mosquitto of its own, the
   * teststand-handler as a process on this stack's NATS prefix, and one simulated stand (module
   * `demo_module`) in this process; resolves once the stand's greeting is stored. close() stops them.
   */
  startTeststand(stand: string): Promise<{ received: { stand: string; command: unknown }[] }>;
  /**
   * Starts, for the gateways test only, gateway-poller as a process on this stack's database and
   * NATS prefix, reading gateway credentials from `secretsDir`; close() stops it and removes its
   * lease bucket.
   */
  startGatewayPoller(secretsDir: string, replicaId: string): Promise<void>;
  close(): Promise<void>;
}

export const APP_DIR = fileURLToPath(new URL('../dist/app', import.meta.url));
export const CHROMIUM = process.env.EP_CHROMIUM ?? '/usr/bin/chromium';

/** Polls /readyz until it answers 200; fails at once with the service's output if it exits. */
async function ready(url: string, service: ServiceProcess): Promise<void> {
  await Promise.race([
    service.exited,
    waitFor(
      async () =>
        (await fetch(url)
          .then((r) => r.ok)
          .catch(() => false)) || undefined,
      {
        what: `${url} ready`,
        timeoutMs: 60_000,
      },
    ),
  ]);
}

export async function startStack(
  label: string,
  options: { storeEnv?: Record<string, string> } = {},
): Promise<Stack> {
  const testDb = await createMigratedTestDatabase(label);
  const db = createDb<Database>({ url: testDb.url, max: 2 });
  const admin = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({ name: 'bootstrap', prefix: admin.prefix, hash: admin.hash, scopes: ['admin'], site_id: null })
    .execute();
  const prefix = uniquePrefix(label);
  const { natsUrl } = infraUrls();
  const common = { DATABASE_URL: testDb.url, NATS_URL: natsUrl, EP_NATS_PREFIX: prefix };
  const [storePort, ingestPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const services: ServiceProcess[] = [];
  // Each stops on SIGTERM (its lifecycle drains); only the processes started here.
  const stopAll = () => Promise.all(services.map((s) => s.stop()));
  const start = async (name: string, env: Record<string, string>) => {
    const service = startService(name, { LOG_LEVEL: 'warn', ...env }, { stderr: 'ignore' });
    services.push(service);
    return service;
  };
  const nc = await connectNats({ url: natsUrl, name: `explorer-${label}`, logger: silentLogger() });
  const names = natsNames(prefix);
  try {
    const store = await start('measurement-store', {
      ...common,
      PORT: String(storePort),
      ...options.storeEnv,
    });
    await ready(`http://127.0.0.1:${storePort}/readyz`, store);
    const ingest = await start('upload-ingest', { ...common, PORT: String(ingestPort) });
    const api = await start('query-api', {
      // NATS only carries its test-stand commands to the teststand-handler.
      ...common,
      EP_TESTSTAND_REPLY_WINDOW_MS: '10000',
      PORT: String(apiPort),
      EXPLORER_DIR: APP_DIR,
      UPLOAD_INGEST_URL: `http://127.0.0.1:${ingestPort}`,
    });
    await ready(`http://127.0.0.1:${ingestPort}/readyz`, ingest);
    await ready(`http://127.0.0.1:${apiPort}/readyz`, api);
  } catch (err) {
    await stopAll();
    await nc.close();
    throw err;
  }
  const base = `http://127.0.0.1:${apiPort}`;
  let broker: Mosquitto | undefined;
  let sim: StandSim | undefined;
  const uploadBase = `http://127.0.0.1:${ingestPort}`;

  const call: Stack['call'] = async (method, path, body, key = admin.secret) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };

  return {
    base,
    uploadBase,
    adminKey: admin.secret,
    call,
    async upload(kind, site, name, text) {
      const res = await fetch(
        `${uploadBase}/upload/${kind}?site=${site}&filename=${encodeURIComponent(name)}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'text/csv' },
          body: text,
        },
      );
      const report = (await res.json()) as { uploadId: string; samples: number; message?: string };
      if (res.status !== 202 && res.status !== 200)
        throw new Error(`upload ${name}: ${res.status} ${report.message}`);
      await waitFor(
        async () =>
          (await call('GET', `/api/v1/uploads/${report.uploadId}`)).json.status === 'stored' || undefined,
        { what: `upload ${name} stored`, timeoutMs: 120_000 },
      );
      return report;
    },
    async publishTeststand(event) {
      await publish(jetstream(nc), names.subjects.teststand(event.stand, event.kind), event, {
        msgID: event.eventId,
      });
      await waitFor(
        async () =>
          (await db
            .selectFrom('teststand_messages')
            .select('id')
            .where('event_id', '=', event.eventId)
            .executeTakeFirst()) !== undefined || undefined,
        { what: `test stand event ${event.eventId} stored` },
      );
    },
    async startTeststand(stand) {
      broker = await startMosquitto();
      const handlerPort = await freePort();
      const handler = await start('teststand-handler', {
        NATS_URL: natsUrl,
        EP_NATS_PREFIX: prefix,
        MQTT_URL: broker.url,
        PORT: String(handlerPort),
        EP_MQTT_CLIENT_ID: `${prefix}_h`,
      });
      await ready(`http://127.0.0.1:${handlerPort}/readyz`, handler);
      const received: { stand: string; command: unknown }[] = [];
      sim = createStandSim({
        url: broker.url,
        stands: [stand],
        module: 'demo_module',
        msPerWaitSecond: 200,
        onCommand: (s, command) => received.push({ stand: s, command }),
      });
      await sim.start();
      // The simulator's greeting (status 600, then 200) is stored before a command is sent.
      await waitFor(
        async () =>
          (await db.selectFrom('teststand_messages').select('id').where('stand', '=', stand).execute())
            .length >= 2 || undefined,
        { what: `stand ${stand}'s greeting stored` },
      );
      return { received };
    },
    async startGatewayPoller(secretsDir, replicaId) {
      const pollerPort = await freePort();
      const poller = await start('gateway-poller', {
        ...common,
        PORT: String(pollerPort),
        EP_GATEWAY_SECRETS_DIR: secretsDir,
        EP_GATEWAY_REPLICA_ID: replicaId,
        EP_GATEWAY_TICK_MS: '200',
      });
      await ready(`http://127.0.0.1:${pollerPort}/readyz`, poller);
    },
    async close() {
      await sim?.stop();
      await stopAll();
      await broker?.stop();
      const jsm = await jetstreamManager(nc);
      // The streams, and the KV buckets (streams KV_<bucket>) of the poller's leases and the
      // handler's stand liveness.
      for (const stream of [
        ...Object.values(names.streams),
        ...Object.values(names.buckets).map((bucket) => `KV_${bucket}`),
      ])
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
    },
  };
}

/** Debian's Chromium, headless, driven by playwright-core (no browser download). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}

/** A year of 5-minute samples as an ALC long export (UTC times), with a two-day hole in March. */
export function yearOfSamples(
  point: string,
  year: number,
  options: { hole?: boolean } = {},
): { text: string; count: number } {
  const lines = ['point,timestamp,value'];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const holeFrom = Date.UTC(year, 2, 10);
  const holeTo = Date.UTC(year, 2, 12);
  for (let t = start; t < end; t += 300_000) {
    if (options.hole !== false && t >= holeFrom && t < holeTo) continue;
    const day = ((t - start) / 86_400_000) * 2 * Math.PI;
    const v = 20 + 8 * Math.sin(day / 365) + 3 * Math.sin(day);
    lines.push(`${point},${new Date(t).toISOString().replace('.000', '')},${v.toFixed(2)}`);
  }
  return { text: lines.join('\n') + '\n', count: lines.length - 1 };
}
