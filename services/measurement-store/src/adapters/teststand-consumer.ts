import {
  DUPLICATE_WINDOW_MS,
  TeststandEventsV1,
  TeststandEventV1,
  type NatsNames,
  type StoredTeststand,
  type StoredTeststandEvents,
  type TeststandEvent,
} from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { batchMsgID, createBatchConsumer, publish, type BatchItem, type ConsumerLoop } from '@ep/nats';
import { nextHopTraceHeaders, withSpan } from '@ep/telemetry';
import { jsonDecoder } from './decode.js';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '@ep/schema';
import {
  applyStandChange,
  findByDeliveryKeys,
  findStands,
  insertTeststandMessages,
  lockTeststandWrites,
} from '../db/teststands.repo.js';
import { repeatedDeliveries } from '../domain/redelivery.js';
import { standChange, standReady } from '../domain/teststand.js';
import { recordInvalid } from './readings-consumer.js';
import type { StoreMetrics } from './metrics.js';

// A stand burst (a data package per message, thousands a second) comes many events to a NATS
// message, and is written in batches of those: one transaction and one commit per batch of up
// to MAX_EVENTS events, not per message (a commit costs a WAL flush).
const MAX_MESSAGES = 64;
const MAX_EVENTS = 1_000;
const MAX_WAIT_MS = 20;
// How far apart a message and its re-sent copy may be received: JetStream's duplicate window,
// which did this job while the handler published each message under its delivery key. Packet ids
// are reused (65,535 per session), so a wider window would take more new messages with an
// identical payload for copies.
const REDELIVERY_WINDOW_MS = DUPLICATE_WINDOW_MS;

/**
 * A TESTSTAND message: a batch of events (`teststand.events`, what the handler sends), or one
 * event alone (what it sent before batches; a stream may still hold some after an upgrade).
 */
export function decodeTeststandMessage(value: unknown): TeststandEvent[] {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'teststand.events'
  )
    return TeststandEventsV1.parse(value).events;
  return [TeststandEventV1.parse(value)];
}

type StandState = { power_code: number | null; status_code: number | null; last_seen: Date };

/**
 * The test-stand consumer: every event (valid or rejected by the handler) becomes a
 * teststand_messages row (event_id unique, so a redelivered NATS message stores nothing twice),
 * the stand's state follows it, and the stored events of each NATS message are published as one
 * `teststand.stored.events` message before its ack. Messages are taken in batches, in stream
 * order; each stored event carries the stand's state as it was right after that event, as if
 * they had been stored one by one.
 *
 * A message the MQTT broker delivered twice (the handler crashed, or lost its connection, before
 * its PUBACK) comes as two events with different event ids (the receipt time is part of them) and
 * one delivery key, the later with DUP set: whichever reaches the store second is dropped (see
 * domain/redelivery.ts). The look-up and the insert run under a transaction-wide advisory lock,
 * so store replicas cannot both store the two.
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

  async function store(items: BatchItem<TeststandEvent[]>[]): Promise<void> {
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

  async function write(items: BatchItem<TeststandEvent[]>[]) {
    return db.transaction().execute(async (trx) => {
      const all = items.flatMap((i) => i.value);
      const dropped = await redeliveries(trx, all);
      const events = all.filter((e) => !dropped.has(e));
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
      return { ids, after: new Map(events.map((e, i) => [e, after[i]])), dropped };
    });
  }

  /** The events that repeat a message stored already, or one earlier in the batch. */
  async function redeliveries(
    trx: Parameters<typeof insertTeststandMessages>[0],
    events: TeststandEvent[],
  ): Promise<Set<TeststandEvent>> {
    const inbound = events.filter((e) => e.delivery);
    if (inbound.length === 0) return new Set();
    await lockTeststandWrites(trx);
    const times = inbound.map((e) => Date.parse(e.receivedAt));
    const keysOf = (list: TeststandEvent[]) => [...new Set(list.map((e) => e.delivery!.key))];
    const stored = await findByDeliveryKeys(
      trx,
      {
        resent: keysOf(inbound.filter((e) => e.delivery!.redelivered)),
        first: keysOf(inbound.filter((e) => !e.delivery!.redelivered)),
      },
      new Date(Math.min(...times) - REDELIVERY_WINDOW_MS),
      new Date(Math.max(...times) + REDELIVERY_WINDOW_MS),
    );
    const dropped = repeatedDeliveries(events, stored, REDELIVERY_WINDOW_MS);
    if (dropped.size > 0) {
      metrics?.teststandRedeliveries.inc(dropped.size);
      logger.info({ dropped: dropped.size }, 'dropped test-stand messages the MQTT broker delivered twice');
    }
    return dropped;
  }

  /**
   * Publishes each NATS message's stored events as one `teststand.stored.events` message, in
   * stream order (nats.js sends in call order, and this runs before the next batch's transaction
   * starts); resolves once JetStream has all of them. The msgID comes from the event ids, so a
   * redelivered message re-publishes under the same one and the stream keeps it once.
   */
  function publishStored(
    items: BatchItem<TeststandEvent[]>[],
    { ids, after, dropped }: Awaited<ReturnType<typeof write>>,
  ): Promise<unknown> {
    const storedAt = new Date().toISOString();
    return Promise.all(
      items.map((item) => {
        const events = item.value.filter((e) => !dropped.has(e));
        if (events.length === 0) return undefined;
        const stored = events.map((event): StoredTeststand => {
          const state = after.get(event);
          const powerCode = state?.power_code ?? null;
          const statusCode = state?.status_code ?? null;
          return {
            v: 1,
            type: 'teststand.stored',
            messageId: ids.get(event.eventId)!.id,
            storedAt,
            event,
            standState: { powerCode, statusCode, ready: standReady(powerCode, statusCode) },
          };
        });
        const message: StoredTeststandEvents = {
          v: 1,
          type: 'teststand.stored.events',
          storedAt,
          events: stored,
        };
        return publish(js, names.subjects.storedTeststandEvents, message, {
          msgID: batchMsgID(
            'stored',
            events.map((e) => e.eventId),
          ),
          headers: nextHopTraceHeaders(item.msg.headers),
        });
      }),
    );
  }

  return createBatchConsumer<TeststandEvent[]>({
    js,
    stream: names.streams.teststand,
    durable: names.consumers.storeTeststand,
    name: 'store-teststand',
    logger,
    decode: jsonDecoder(decodeTeststandMessage),
    onInvalid: recordInvalid(db, logger),
    maxBatch: MAX_MESSAGES,
    budget: { max: MAX_EVENTS, weigh: (events) => events.length },
    maxWaitMs: MAX_WAIT_MS,
    // Two batches: one written, the other's stored events awaited (store() keeps the writes in
    // stream order, one at a time).
    concurrency: 2,
    // Enough pulled ahead to cut the next batch while both are busy.
    prefetch: 2 * MAX_MESSAGES,
    // A lost ack only means a redelivery, which stores nothing twice (event_id is unique) and
    // re-publishes the same stored msgID; a confirmed ack would be one more request per message.
    confirmAcks: false,
    ...(deps.registry ? { registry: deps.registry } : {}),
    handleBatch: (items) => withSpan('store teststand', items[0]?.msg.headers ?? {}, () => store(items)),
  });
}
