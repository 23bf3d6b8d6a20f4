import {
  natsNames,
  type NatsNames,
  type ReadingsBatchInput,
  type StoredEvent,
  type StoredTeststandEvents,
} from '@ep/contracts';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { infraUrls, uniquePrefix, waitFor, type TestDatabase } from '@ep/testkit';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { sql, type Kysely } from 'kysely';
import { provisionMeasurementStreams } from '../src/index.js';

/** One test file's world: its own database (migrated), NATS prefix and streams. */
export interface StoreTestEnv {
  testDb: TestDatabase;
  db: Kysely<Database>;
  prefix: string;
  names: NatsNames;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  natsUrl: string;
  addSite(key: string, timezone: string): Promise<number>;
  /** Publishes a readings batch; `msgID` defaults to a fresh one so a test can deliver a batch twice. */
  publishBatch(batch: ReadingsBatchInput, msgID?: string): Promise<void>;
  /** Waits until `batches` holds `n` rows. */
  waitForBatches(n: number, timeoutMs?: number): Promise<void>;
  /** Waits until the store's test-stand consumer has nothing pending and nothing unacked. */
  waitForTeststandSettled(what: string): Promise<void>;
  storedMessages(): Promise<number>;
  /** Every stored event on the STORED stream, in order. */
  storedEvents(): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

let published = 0;

export async function storeTestEnv(label: string, ackWaitMs?: number): Promise<StoreTestEnv> {
  const testDb = await createMigratedTestDatabase(label);
  const db = createDb<Database>({ url: testDb.url, max: 3 });
  const prefix = uniquePrefix(label);
  const names = natsNames(prefix);
  const natsUrl = infraUrls().natsUrl;
  const nc = await connectNats({ url: natsUrl, name: `test-${label}`, logger: silentLogger() });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await provisionMeasurementStreams(jsm, { prefix, ...(ackWaitMs ? { ackWaitMs } : {}) });
  const env: StoreTestEnv = {
    testDb,
    db,
    prefix,
    names,
    nc,
    js,
    jsm,
    natsUrl,
    async addSite(key, timezone) {
      const row = await db
        .insertInto('sites')
        .values({ key, name: key, timezone })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async publishBatch(batch, msgID) {
      published += 1;
      await js.publish(names.subjects.readings(batch.source, batch.site), JSON.stringify(batch), {
        msgID: msgID ?? `${batch.batchId}#${published}`,
      });
    },
    async waitForBatches(n, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM batches`.execute(db);
          return rows[0]!.n >= n;
        },
        { timeoutMs, what: `${n} stored batches` },
      );
    },
    async waitForTeststandSettled(what) {
      await waitFor(
        async () => {
          const info = await jsm.consumers.info(names.streams.teststand, names.consumers.storeTeststand);
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        { what },
      );
    },
    async storedMessages() {
      return (await jsm.streams.info(names.streams.stored)).state.messages;
    },
    async storedEvents() {
      const info = await jsm.streams.info(names.streams.stored);
      const out: StoredEvent[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const msg = await jsm.streams.getMessage(names.streams.stored, { seq });
        // Test-stand events travel many to a message: each is returned as the AMQP message it becomes.
        const event = msg?.json<StoredEvent | StoredTeststandEvents>();
        if (event?.type === 'teststand.stored.events') out.push(...event.events);
        else if (event) out.push(event);
      }
      return out;
    },
    async close() {
      for (const stream of Object.values(names.streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
    },
  };
  return env;
}

/** A batch of one point with samples [iso, value, quality]. */
export function batchOf(
  batchId: string,
  site: string,
  samples: [string, number | null, number][],
  point: { node?: string; device?: string; parameter?: string; unit?: string } = {},
  origin?: { uploadId: string },
): ReadingsBatchInput {
  const node = point.node ?? 'RECCNTR';
  const device = point.device ?? 'AH1';
  const parameter = point.parameter ?? 'CCV';
  return {
    v: 1,
    batchId,
    source: 'siemens',
    site,
    producedAt: new Date().toISOString(),
    ...(origin ? { origin } : {}),
    points: [
      {
        node,
        device,
        parameter,
        name: `${node}.${device}.${parameter}`,
        ...(point.unit ? { unit: point.unit } : {}),
        samples,
      },
    ],
  };
}
