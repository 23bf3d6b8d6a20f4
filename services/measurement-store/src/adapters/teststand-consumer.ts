import { TeststandEventV1, type NatsNames, type StoredTeststand, type TeststandEvent } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { createConsumer, publish, type ConsumerLoop, type Delivery } from '@ep/nats';
import { nextHopTraceHeaders, withSpan } from '@ep/telemetry';
import { jsonDecoder } from './decode.js';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '@ep/schema';
import { applyStandChange, findStand, insertTeststandMessage } from '../db/teststands.repo.js';
import { standChange, standReady } from '../domain/teststand.js';
import { recordInvalid } from './readings-consumer.js';
import type { StoreMetrics } from './metrics.js';

/**
 * The test-stand consumer: every event (valid or rejected by the handler) becomes a
 * teststand_messages row (event_id unique, so a redelivery stores nothing twice), the stand's
 * state follows it, and a stored event (msgID = eventId) is published before the ack.
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

  const handle = (event: TeststandEvent, delivery: Delivery) =>
    withSpan('store teststand', delivery.headers, () => store(event, delivery));

  async function store(event: TeststandEvent, delivery: Delivery): Promise<void> {
    const { id, state } = await db.transaction().execute(async (trx) => {
      const message = await insertTeststandMessage(trx, event);
      const change = message.inserted ? standChange(event) : undefined;
      const state = change
        ? await applyStandChange(trx, change)
        : await findStand(trx, event.stand, event.module);
      if (message.inserted) metrics?.teststandMessages.inc({ valid: String(event.valid) });
      return { id: message.id, state };
    });
    const powerCode = state?.power_code ?? null;
    const statusCode = state?.status_code ?? null;
    const stored: StoredTeststand = {
      v: 1,
      type: 'teststand.stored',
      messageId: id,
      storedAt: new Date().toISOString(),
      event,
      standState: { powerCode, statusCode, ready: standReady(powerCode, statusCode) },
    };
    await publish(js, names.subjects.storedTeststand(event.stand, event.kind), stored, {
      msgID: event.eventId,
      headers: nextHopTraceHeaders(delivery.headers),
    });
  }

  return createConsumer<TeststandEvent>({
    js,
    stream: names.streams.teststand,
    durable: names.consumers.storeTeststand,
    name: 'store-teststand',
    logger,
    decode: jsonDecoder((v) => TeststandEventV1.parse(v)),
    onInvalid: recordInvalid(db, logger),
    // One at a time: a stand's state must follow its messages in stream order (a stand sends a
    // few per second at most).
    concurrency: 1,
    ...(deps.registry ? { registry: deps.registry } : {}),
    handle,
  });
}
