import { TeststandEventV1, type NatsNames, type StoredTeststand, type TeststandEvent } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { createBatchConsumer, publish, type BatchItem, type ConsumerLoop } from '@ep/nats';
import { nextHopTraceHeaders, withSpan } from '@ep/telemetry';
import { jsonDecoder } from './decode.js';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '@ep/schema';
import { applyStandChange, findStands, insertTeststandMessages } from '../db/teststands.repo.js';
import { standChange, standReady } from '../domain/teststand.js';
import { recordInvalid } from './readings-consumer.js';
import type { StoreMetrics } from './metrics.js';

// A stand burst (a data package per message, thousands a second) is written in batches: one
// transaction and one commit per batch, not per message (a commit costs a WAL flush).
const MAX_BATCH = 500;
const MAX_WAIT_MS = 20;

type StandState = { power_code: number | null; status_code: number | null; last_seen: Date };

/**
 * The test-stand consumer: every event (valid or rejected by the handler) becomes a
 * teststand_messages row (event_id unique, so a redelivery stores nothing twice), the stand's
 * state follows it, and a stored event (msgID = eventId) is published before the ack. Events are
 * taken in batches, in stream order; each stored event carries the stand's state as it was right
 * after that event, as if they had been stored one by one.
 */
export function createTeststandConsumer(deps: {
  js: JetStreamClient;
  names: NatsNames;
  db: Kysely<Database>;
  logger: Logger;
  registry?: Registry;
  metrics?: StoreMetrics;
}): ConsumerLoop {
  const { js, names, db, metrics } = deps;
  const logger = deps.logger.child({ component: 'teststand' });
  const key = (e: { stand: string; module: string }) => `${e.stand}\u0000${e.module}`;

  // The transactions run one after another, in the order the batches came (a stand's state
  // follows its messages); a batch's stored events are published and awaited while the next
  // batch is written, so the database never waits for NATS round trips.
  let previousWrite: Promise<void> = Promise.resolve();

  async function store(items: BatchItem<TeststandEvent>[]): Promise<void> {
    const turn = previousWrite;
    let written!: () => void;
    previousWrite = new Promise((resolve) => (written = resolve));
    let published: Promise<unknown>;
    try {
      await turn;
      published = publishStored(items, await write(items));
    } finally {
      written();
    }
    await published;
  }

  async function write(items: BatchItem<TeststandEvent>[]) {
    const events = items.map((i) => i.value);
    return db.transaction().execute(async (trx) => {
      const ids = await insertTeststandMessages(trx, events);
      const touched = new Map(events.map((e) => [key(e), { stand: e.stand, module: e.module }]));
      const states = new Map<string, StandState>(
        (await findStands(trx, [...touched.values()])).map((s) => [key(s), s]),
      );
      const changed = new Set<string>();
      const after: (StandState | undefined)[] = [];
      const counted = new Set<string>();
      for (const event of events) {
        const k = key(event);
        const fresh = ids.get(event.eventId)!.inserted && !counted.has(event.eventId);
        counted.add(event.eventId);
        const change = fresh ? standChange(event) : undefined;
        if (change) {
          const before = states.get(k);
          const seen = new Date(change.seenAt);
          states.set(k, {
            power_code: change.powerCode ?? before?.power_code ?? null,
            status_code: change.statusCode ?? before?.status_code ?? null,
            last_seen: before && before.last_seen > seen ? before.last_seen : seen,
          });
          changed.add(k);
        }
        if (fresh) metrics?.teststandMessages.inc({ valid: String(event.valid) });
        after.push(states.get(k));
      }
      for (const k of changed) {
        const [stand, module] = k.split('\u0000') as [string, string];
        const state = states.get(k)!;
        await applyStandChange(trx, {
          stand,
          module,
          seenAt: state.last_seen.toISOString(),
          ...(state.power_code !== null ? { powerCode: state.power_code } : {}),
          ...(state.status_code !== null ? { statusCode: state.status_code } : {}),
        });
      }
      return { ids, after };
    });
  }

  /**
   * Publishes the batch's stored events in stream order (nats.js sends in call order, and this
   * runs before the next batch's transaction starts); resolves once JetStream has all of them.
   */
  function publishStored(
    items: BatchItem<TeststandEvent>[],
    { ids, after }: Awaited<ReturnType<typeof write>>,
  ): Promise<unknown> {
    return Promise.all(
      items.map((item, i) => {
        const event = item.value;
        const powerCode = after[i]?.power_code ?? null;
        const statusCode = after[i]?.status_code ?? null;
        const stored: StoredTeststand = {
          v: 1,
          type: 'teststand.stored',
          messageId: ids.get(event.eventId)!.id,
          storedAt: new Date().toISOString(),
          event,
          standState: { powerCode, statusCode, ready: standReady(powerCode, statusCode) },
        };
        return publish(js, names.subjects.storedTeststand(event.stand, event.kind), stored, {
          msgID: event.eventId,
          headers: nextHopTraceHeaders(item.msg.headers),
        });
      }),
    );
  }

  return createBatchConsumer<TeststandEvent>({
    js,
    stream: names.streams.teststand,
    durable: names.consumers.storeTeststand,
    name: 'store-teststand',
    logger,
    decode: jsonDecoder((v) => TeststandEventV1.parse(v)),
    onInvalid: recordInvalid(db, logger),
    maxBatch: MAX_BATCH,
    maxWaitMs: MAX_WAIT_MS,
    // Two batches: one written, the other's stored events awaited (store() keeps the writes in
    // stream order, one at a time).
    concurrency: 2,
    // Enough pulled ahead to cut the next batch while both are busy.
    prefetch: 2 * MAX_BATCH,
    // A lost ack only means a redelivery, which stores nothing twice (event_id is unique) and
    // re-publishes the same stored msgID; a confirmed ack would be one more request per message.
    confirmAcks: false,
    ...(deps.registry ? { registry: deps.registry } : {}),
    handleBatch: (items) => withSpan('store teststand', items[0]?.msg.headers ?? {}, () => store(items)),
  });
}
