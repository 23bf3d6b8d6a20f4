import { natsNames } from '@ep/contracts';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import { migrateToLatest, type Database } from '@ep/schema';
import {
  createTestDatabase,
  infraUrls,
  startMosquitto,
  uniquePrefix,
  type Mosquitto,
  type TestDatabase,
  startStore,
} from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { connectAsync, type MqttClient } from 'mqtt';
import { parseTeststandHandlerConfig } from '../src/config.js';
import { createTeststandHandler, type TeststandHandler } from '../src/teststand-handler.js';

/** A Mosquitto of the test's own (the shared one keeps at most 1,000 queued messages a session). */
export type Broker = Mosquitto;
export const startBroker = (lines?: string[]) => startMosquitto(lines);

/** One test file's database (migrated), NATS prefix with its streams, and a running measurement-store. */
export interface Bed {
  testDb: TestDatabase;
  db: Kysely<Database>;
  prefix: string;
  nc: NatsConnection;
  natsUrl: string;
  stopStore(): Promise<void>;
  /** SIGKILL the store (a crash) and wait for it to exit. */
  killStore(): Promise<void>;
  /** Start the store again (after stopStore or killStore). */
  restartStore(): Promise<void>;
  close(): Promise<void>;
}

export async function createBed(label: string): Promise<Bed> {
  const testDb = await createTestDatabase(label);
  const db = createDb<Database>({ url: testDb.url, max: 3 });
  await migrateToLatest(db);
  const prefix = uniquePrefix(label);
  const { natsUrl } = infraUrls();
  const nc = await connectNats({ url: natsUrl, name: `test-${label}`, logger: silentLogger() });
  const target = { databaseUrl: testDb.url, natsUrl, prefix };
  let store = await startStore(target);
  return {
    testDb,
    db,
    prefix,
    nc,
    natsUrl,
    stopStore: async () => {
      await store.stop();
    },
    killStore: async () => {
      await store.kill();
    },
    restartStore: async () => {
      store = await startStore(target);
    },
    async close() {
      await store.stop();
      const jsm = await jetstreamManager(nc);
      // The streams, and the liveness bucket's stream (KV_<bucket>) the handlers created.
      const names = natsNames(prefix);
      for (const stream of [...Object.values(names.streams), `KV_${names.buckets.teststandLiveness}`])
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
    },
  };
}

/** The handler in this process, with its HTTP server on a free port. */
export async function startHandler(
  bed: Bed,
  mqttUrl: string,
  env: Record<string, string> = {},
): Promise<{ handler: TeststandHandler; base: string }> {
  const config = parseTeststandHandlerConfig({
    NATS_URL: bed.natsUrl,
    EP_NATS_PREFIX: bed.prefix,
    MQTT_URL: mqttUrl,
    PORT: '0',
    EP_MQTT_CLIENT_ID: `${bed.prefix}_handler`,
    ...env,
  });
  const handler = await createTeststandHandler(config, { logger: silentLogger(), exit: () => undefined });
  await handler.lifecycle.start();
  const address = handler.server.server.address();
  return { handler, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** A plain mqtt.js client publishing as a stand would. */
export async function standClient(
  url: string,
  clientId: string,
  auth: { username?: string; password?: string } = {},
): Promise<MqttClient> {
  return connectAsync(url, { clientId, protocolVersion: 5, reconnectPeriod: 0, ...auth });
}
