// The whole system at once, for the system test and the soak: the six services as their own
// processes (testkit's startService), the Prefect and Secure simulators, simulated test stands on
// a Mosquitto of its own, CSV uploads, and the real PostgreSQL, NATS and RabbitMQ — each broker
// and the database behind a fault proxy (testkit), so a test can cut them. Everything is named
// for this run (database, NATS prefix, exchange, queue), so it runs beside other tests.
import { addGateway } from '@ep/gateways';
import { bindQueue } from '@ep/amqp';
import { generateApiKey } from '@ep/auth';
import { natsNames } from '@ep/contracts';
import { createDb } from '@ep/db';
import { startPrefectSim, startSecureSim, type PrefectSim, type SecureSim } from '@ep/gateway-sim';
import { migrateToLatest, type Database } from '@ep/schema';
import {
  createTestDatabase,
  freePort,
  infraUrls,
  startFaultProxy,
  startMosquitto,
  startService,
  uniqueName,
  uniquePrefix,
  waitFor,
  type FaultProxy,
  type Mosquitto,
  type ServiceProcess,
  type TestDatabase,
} from '@ep/testkit';
import { createStandSim, type StandSim } from '@ep/teststand-sim';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Kysely } from 'kysely';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectQueue, type QueueCollector } from './collector.js';
import { startUploader, type Uploader } from './uploader.js';

/** The six services, in the order they start (the store provisions the streams the others use). */
export const SERVICES = [
  'measurement-store',
  'notifier',
  'teststand-handler',
  'gateway-poller',
  'upload-ingest',
  'query-api',
] as const;
export type SystemService = (typeof SERVICES)[number];

/** The load the sources put on the system; every figure has a default small enough for a test. */
export interface SystemLoad {
  /** Gateway sites (each polled by a Prefect and a Secure gateway), Prefect nodes and Secure zones per site. */
  gatewaySites?: number;
  prefectNodes?: number;
  secureZones?: number;
  /** How often the poller polls each gateway, s, and how often a Prefect node reports, s. */
  pollIntervalS?: number;
  reportIntervalS?: number;
  /** Simulated test stands, and how often each sends a data message and a status, ms. */
  stands?: number;
  standDataEveryMs?: number;
  standStatusEveryMs?: number;
  /** How often a generated ALC long CSV is uploaded, ms, with this many points × samples each. */
  uploadEveryMs?: number;
  uploadPoints?: number;
  uploadSamples?: number;
  /** Also upload the repository's Siemens sample files once, at the start. */
  fixtures?: boolean;
}

export interface SystemOptions {
  label?: string;
  load?: SystemLoad;
  /** `source` (tsx, the default) or `dist` (call buildServices first). */
  mode?: 'source' | 'dist';
  /** Extra environment per service (a benchmark's settings). */
  env?: Partial<Record<SystemService, Record<string, string>>>;
  /** Progress lines for whoever watches. */
  log?: (line: string) => void;
}

/** One service process that can be killed and started again on the same port and session. */
export interface RunningService {
  name: SystemService;
  port: number;
  process: ServiceProcess;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again with the same environment and waits until /readyz answers 200. */
  restart(): Promise<void>;
  /** GET /readyz answered 200 now. */
  ready(): Promise<boolean>;
}

export interface System {
  prefix: string;
  exchange: string;
  queue: string;
  /** Direct to PostgreSQL (not through the proxy): the test's own view. */
  db: Kysely<Database>;
  databaseName: string;
  services: Record<SystemService, RunningService>;
  /**
   * The proxies the services connect through: cut() one to drop every connection and refuse new
   * ones. measurement-store reaches PostgreSQL through `storePg`, the others through `pg`, so its
   * writes can fail while the sources (which need the database too) keep producing.
   */
  proxies: { nats: FaultProxy; amqp: FaultProxy; mqtt: FaultProxy; pg: FaultProxy; storePg: FaultProxy };
  prefect: PrefectSim;
  secure: SecureSim;
  stands: StandSim;
  /** The simulated stands' names, and the module of their topics (`<stand>/<module>/Inbound`). */
  standNames: string[];
  standModule: string;
  uploader: Uploader;
  /** What reached the queue bound to the exchange. */
  amqp: QueueCollector;
  /** The gateway sites (EP site keys; the simulators' names are these upper-cased). */
  gatewaySites: string[];
  /** The site the CSV files go to. */
  fileSite: string;
  /** An admin API key (query-api, upload-ingest). */
  apiKey: string;
  /** query-api's base URL. */
  apiUrl: string;
  /** Stops every source: the simulators' clocks stop, the stands stop sending, the uploader finishes. */
  stopSources(): Promise<void>;
  close(): Promise<void>;
}

const STAND_MODULE = 'rig';

const FIXTURES = [
  'services/upload-ingest/test/fixtures/evans-room-temp-and-valve.head300.csv',
  'services/upload-ingest/test/fixtures/reccntr-audit-trend-report.head300.csv',
  'services/upload-ingest/test/fixtures/evans-trend-report-cr-bom.csv',
];

async function readyz(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const log = options.log ?? (() => undefined);
  const label = options.label ?? 'sys';
  const load = {
    gatewaySites: 2,
    prefectNodes: 3,
    secureZones: 2,
    pollIntervalS: 2,
    reportIntervalS: 10,
    stands: 3,
    standDataEveryMs: 300,
    standStatusEveryMs: 2_000,
    uploadEveryMs: 2_000,
    uploadPoints: 3,
    uploadSamples: 40,
    fixtures: true,
    ...options.load,
  };
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const urls = infraUrls();
    const prefix = uniquePrefix(label);
    const exchange = uniqueName(`${label}_x`);
    const queue = uniqueName(`${label}_q`);

    const testDb: TestDatabase = await createTestDatabase(label);
    cleanups.push(() => testDb.drop());
    const db = createDb<Database>({ url: testDb.url, max: 4 });
    cleanups.push(() => db.destroy());
    await migrateToLatest(db);

    // Cleanups run in reverse: the streams and KV buckets go after the services stopped.
    cleanups.push(async () => {
      const nc = await connect({ servers: urls.natsUrl });
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(natsNames(prefix).streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      const kvm = new Kvm(nc);
      for (const bucket of Object.values(natsNames(prefix).buckets))
        await kvm
          .open(bucket)
          .then((kv) => kv.destroy())
          .catch(() => undefined);
      await nc.close();
    });

    const mosquitto: Mosquitto = await startMosquitto();
    cleanups.push(() => mosquitto.stop());
    const proxies = {
      nats: await startFaultProxy(urls.natsUrl),
      amqp: await startFaultProxy(urls.amqpUrl),
      mqtt: await startFaultProxy(mosquitto.url),
      pg: await startFaultProxy(testDb.url),
      storePg: await startFaultProxy(testDb.url),
    };
    cleanups.push(async () => {
      for (const p of Object.values(proxies)) await p.close();
    });

    // The downstream consumer's queue exists before the first event is published.
    await bindQueue({ url: urls.amqpUrl, exchange, queue });
    cleanups.push(async () => {
      const amqplib = await import('amqplib');
      const conn = await amqplib.connect(urls.amqpUrl);
      const ch = await conn.createChannel();
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(exchange).catch(() => undefined);
      await conn.close();
    });
    const amqp = collectQueue(urls.amqpUrl, queue);
    cleanups.push(() => amqp.stop());

    // Gateways: both clouds on one real-time clock, data from a minute before the start. A
    // whole second: Secure LUTs have no milliseconds, so an installation instant with some would
    // be recorded as served with a precision no client can see.
    const clock = { rate: 1 };
    const installedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const prefect = await startPrefectSim({
      sites: load.gatewaySites,
      nodes: load.prefectNodes,
      seed: 16,
      clock,
      installedAt,
      reportIntervalS: load.reportIntervalS,
      pollIntervalS: load.pollIntervalS,
    });
    cleanups.push(() => prefect.close());
    const secure = await startSecureSim({
      sites: load.gatewaySites,
      nodes: load.secureZones,
      seed: 16,
      clock: prefect.clock,
      installedAt,
      pollIntervalS: load.pollIntervalS,
    });
    cleanups.push(() => secure.close());
    const secretsDir = await mkdtemp(join(tmpdir(), 'ep-system-secrets-'));
    cleanups.push(() => rm(secretsDir, { recursive: true, force: true }));
    const gatewaySites = prefect.sites.map((s) => s.toLowerCase());
    for (const site of prefect.sites) {
      const key = site.toLowerCase();
      await db.insertInto('sites').values({ key, name: key, timezone: 'Europe/London' }).execute();
      for (const [vendor, sim] of [
        ['prefect', prefect],
        ['secure', secure],
      ] as const) {
        const name = `${key}-${vendor}`;
        await addGateway(db, {
          name,
          site: key,
          vendor,
          url: sim.url,
          intervalSeconds: load.pollIntervalS,
          backfillDays: 0,
        });
        await writeFile(join(secretsDir, name), JSON.stringify(sim.credentials[site]), { mode: 0o600 });
      }
    }
    const fileSite = 'carleton';
    await db
      .insertInto('sites')
      .values({ key: fileSite, name: fileSite, timezone: 'America/Chicago' })
      .execute();
    const key = generateApiKey();
    await db
      .insertInto('api_keys')
      .values({ name: 'system', prefix: key.prefix, hash: key.hash, scopes: ['admin'], site_id: null })
      .execute();

    // The services, each on its own port, connecting through the proxies.
    const ports = Object.fromEntries(
      await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const)),
    ) as Record<SystemService, number>;
    const common = {
      NATS_URL: proxies.nats.url,
      EP_NATS_PREFIX: prefix,
      // info: startService waits for the "<name> started" line.
      LOG_LEVEL: 'info',
    };
    const envs: Record<SystemService, Record<string, string>> = {
      'measurement-store': {
        ...common,
        DATABASE_URL: proxies.storePg.url,
        STORE_BATCH_WAIT_MS: '50',
        // A killed store's unacked batches come back within seconds, not the production 30 s.
        STORE_ACK_WAIT_MS: '5000',
      },
      notifier: {
        ...common,
        AMQP_URL: proxies.amqp.url,
        EP_AMQP_EXCHANGE: exchange,
        EP_NOTIFIER_ACK_WAIT_MS: '5000',
        EP_NOTIFIER_RETRY_DELAY_MS: '500',
        EP_AMQP_RECONNECT_INITIAL_MS: '200',
        EP_AMQP_RECONNECT_MAX_MS: '1000',
      },
      'teststand-handler': {
        ...common,
        MQTT_URL: proxies.mqtt.url,
        // One persistent session across restarts, as a StatefulSet pod keeps its name.
        EP_MQTT_CLIENT_ID: `${prefix}_handler_0`,
        EP_TESTSTAND_LIVENESS_CHECK_MS: '1000',
      },
      'gateway-poller': {
        ...common,
        DATABASE_URL: proxies.pg.url,
        EP_GATEWAY_SECRETS_DIR: secretsDir,
        EP_GATEWAY_REPLICA_ID: `${prefix}_poller`,
        EP_GATEWAY_LEASE_MS: '3000',
        EP_GATEWAY_TICK_MS: '200',
        EP_GATEWAY_HTTP_TIMEOUT_MS: '5000',
      },
      'upload-ingest': {
        ...common,
        DATABASE_URL: proxies.pg.url,
        // An upload cut off by a crash is taken over by the next post of the same file.
        UPLOAD_STALE_SECONDS: '1',
      },
      'query-api': { ...common, DATABASE_URL: proxies.pg.url },
    };
    for (const name of SERVICES) Object.assign(envs[name], options.env?.[name] ?? {});

    const services = {} as Record<SystemService, RunningService>;
    const launch = async (name: SystemService) => {
      const proc = startService(
        name,
        { ...envs[name], PORT: String(ports[name]) },
        { mode: options.mode ?? 'source', stderr: 'inherit' },
      );
      await proc.ready;
      await waitFor(() => readyz(ports[name]), {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `${name} /readyz`,
      });
      return proc;
    };
    const add = async (name: SystemService) => {
      const service: RunningService = {
        name,
        port: ports[name],
        process: await launch(name),
        kill: async () => {
          await service.process.kill();
        },
        async restart() {
          service.process = await launch(name);
        },
        ready: () => readyz(ports[name]),
      };
      services[name] = service;
    };
    cleanups.push(async () => {
      await Promise.all(Object.values(services).map((s) => s.process.stop()));
    });
    await add('measurement-store');
    await Promise.all(SERVICES.slice(1).map(add));
    log(`services ready: ${SERVICES.map((s) => `${s} :${ports[s]}`).join(', ')}`);

    // The sources: the stands on the broker directly (only the handler's link is cut), files.
    const standNames = Array.from({ length: load.stands }, (_, i) => `stand${i + 1}`);
    const stands = createStandSim({
      url: mosquitto.url,
      stands: standNames,
      module: STAND_MODULE,
      statusEveryMs: load.standStatusEveryMs,
      dataEveryMs: load.standDataEveryMs,
    });
    await stands.start();
    cleanups.push(() => stands.stop());
    const uploader = startUploader({
      url: `http://127.0.0.1:${ports['upload-ingest']}`,
      key: key.secret,
      site: fileSite,
      everyMs: load.uploadEveryMs,
      points: load.uploadPoints,
      samples: load.uploadSamples,
      fixtures: load.fixtures ? FIXTURES : [],
    });
    cleanups.push(() => uploader.stop());

    return {
      prefix,
      exchange,
      queue,
      db,
      databaseName: testDb.name,
      services,
      proxies,
      prefect,
      secure,
      stands,
      standNames,
      standModule: STAND_MODULE,
      uploader,
      amqp,
      gatewaySites,
      fileSite,
      apiKey: key.secret,
      apiUrl: `http://127.0.0.1:${ports['query-api']}`,
      async stopSources() {
        // The clock stops: polls go on, but no gateway has anything new to say.
        prefect.clock.setRate(0);
        await stands.quiesce();
        await uploader.stop();
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
