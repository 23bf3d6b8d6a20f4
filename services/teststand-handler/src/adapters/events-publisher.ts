import type { NatsNames, TeststandEventInput } from '@ep/contracts';
import { createBatcher, publish } from '@ep/nats';
import type { JetStreamClient } from '@nats-io/jetstream';
import { createHash } from 'node:crypto';
import type { PublishEvent } from '../use-cases/ingest.js';

// A burst is hundreds of messages a second per stand: one NATS message (publish, stream write,
// PubAck, delivery and ack) per batch rather than per MQTT message is what lets the handler and
// the store keep up. A lone message waits at most MAX_WAIT_MS for company.
const MAX_EVENTS = 256;
const MAX_WAIT_MS = 5;
// Well under NATS's default max_payload (1 MiB); a single event is bounded by the handler's
// EP_TESTSTAND_MAX_MESSAGE_BYTES (its payload cut to that size) and goes alone when bigger.
const MAX_BYTES = 512 * 1024;

interface Encoded {
  eventId: string;
  json: string;
  bytes: number;
}

/**
 * Every event the handler makes (inbound messages, commands sent, liveness changes) goes through
 * here: gathered into `teststand.events` messages on one subject, in the order they came. The
 * msgID is derived from the batch's event ids, so a publish retried after a lost PubAck is
 * stored once; an event in two batches (a redelivery) is the store's to recognise.
 */
export function createEventsPublisher(deps: { js: JetStreamClient; names: NatsNames }): {
  publishEvent: PublishEvent;
  flush(): Promise<void>;
} {
  const subject = deps.names.subjects.teststandEvents;
  const batcher = createBatcher<Encoded>({
    maxItems: MAX_EVENTS,
    maxWeight: MAX_BYTES,
    weigh: (e) => e.bytes,
    maxWaitMs: MAX_WAIT_MS,
    async send(events) {
      const hash = createHash('sha256');
      for (const e of events) hash.update(e.eventId).update('\n');
      const body = `{"v":1,"type":"teststand.events","events":[${events.map((e) => e.json).join(',')}]}`;
      await publish(deps.js, subject, Buffer.from(body), {
        msgID: `events:${hash.digest('base64url').slice(0, 22)}:${events.length}`,
      });
    },
  });
  return {
    publishEvent(event: TeststandEventInput) {
      const json = JSON.stringify(event);
      return batcher.add({ eventId: event.eventId, json, bytes: Buffer.byteLength(json) });
    },
    flush: () => batcher.flush(),
  };
}
