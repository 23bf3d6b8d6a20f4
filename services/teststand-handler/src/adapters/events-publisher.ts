import type { NatsNames, TeststandEventInput } from '@ep/contracts';
import { batchMsgID, createBatcher, publish } from '@ep/nats';
import type { JetStreamClient } from '@nats-io/jetstream';
import { encodeWithin } from '../domain/protocol.js';
import type { PublishEvent } from '../use-cases/ingest.js';

// A burst is hundreds of messages a second per stand: one NATS message (publish, stream write,
// PubAck, delivery and ack) per batch rather than per MQTT message is what lets the handler and
// the store keep up. A lone message waits at most MAX_WAIT_MS for company.
const MAX_EVENTS = 256;
const MAX_WAIT_MS = 5;
// Well under NATS's default max_payload (1 MiB); a bigger event goes alone.
const MAX_BYTES = 512 * 1024;
// Room for the batch's envelope and headers within the server's max_payload.
const ENVELOPE_BYTES = 4 * 1024;

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
export function createEventsPublisher(deps: {
  js: JetStreamClient;
  names: NatsNames;
  /** The server's max_payload (INFO); one event must fit a message of its own. */
  maxPayload: number;
}): {
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
      const body = `{"v":1,"type":"teststand.events","events":[${events.map((e) => e.json).join(',')}]}`;
      await publish(deps.js, subject, Buffer.from(body), {
        msgID: batchMsgID(
          'events',
          events.map((e) => e.eventId),
        ),
      });
    },
  });
  return {
    publishEvent(event: TeststandEventInput) {
      return batcher.add({
        eventId: event.eventId,
        ...encodeWithin(event, deps.maxPayload - ENVELOPE_BYTES),
      });
    },
    flush: () => batcher.flush(),
  };
}
