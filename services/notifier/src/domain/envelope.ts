import {
  StoredReadingsV1,
  StoredSetpointV1,
  StoredTeststandEventsV1,
  StoredTeststandV1,
  type StoredEvent,
} from '@ep/contracts';
import { z } from 'zod';

/**
 * What the notifier checks of a stored event before relaying it: everything but the contents
 * of `points`, which it forwards byte for byte. It is the contract's schema with `points` only
 * required to be an array: the body's producer, measurement-store, builds it with the full
 * schema, and re-validating every sample here (an ISO pattern per timestamp) would cost more
 * CPU than everything else the notifier does per event. An event that has to be split is
 * parsed in full, since the split needs its points (see toAmqpMessages).
 *
 * A batch of test-stand events (`teststand.stored.events`) is checked in full, every item with
 * the contract's schema: its items are sent on one by one as bodies of their own, serialised
 * from what this parse returns, so nothing checks them again.
 */
export const StoredEnvelope = z.discriminatedUnion('type', [
  StoredReadingsV1.extend({ points: z.array(z.unknown()) }),
  StoredTeststandV1,
  StoredTeststandEventsV1,
  StoredSetpointV1,
]);
export type StoredEnvelope = z.infer<typeof StoredEnvelope>;

/**
 * The id of a stored NATS message: for an event its id and AMQP message_id (storedEventId of the
 * contracts: the readings `batchId`, test-stand `event.eventId` or set-point `eventId`); for a
 * batch of test-stand events its first event's id, only to name it in logs — each of its events
 * goes out under its own (toAmqpMessages).
 */
export function envelopeId(event: StoredEnvelope): string {
  if (event.type === 'readings.stored') return event.batchId;
  if (event.type === 'setpoint.changed') return event.eventId;
  // The schema requires at least one event.
  if (event.type === 'teststand.stored.events') return event.events[0]?.event.eventId ?? '';
  return event.event.eventId;
}

/**
 * What a stored NATS message counts as in the metrics: events of the type they go out as on
 * AMQP — a batch as its test-stand events — so the counts are per event whether or not
 * measurement-store batches.
 */
export function envelopeEvents(event: StoredEnvelope): { type: StoredEvent['type']; events: number } {
  if (event.type === 'teststand.stored.events')
    return { type: 'teststand.stored', events: event.events.length };
  return { type: event.type, events: 1 };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const POINTS = Buffer.from(',"points":[');
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The JSON object before a trailing `"points"` array, with `points` empty; undefined when the
 * body is not laid out that way. A readings event as serialised from its schema ends with its
 * points, which are nearly all of its bytes: reading only the head spares parsing (and then
 * collecting) thousands of sample arrays per event.
 *
 * Sound because `,"points":[` cannot occur inside a JSON string (its quotes would be escaped),
 * and the head closed with `"points":[]}` parses only when the match is at the top level of the
 * object. Anything else — points not last, a nested match first — falls back to a full parse.
 */
export function readHead(data: Uint8Array): unknown {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const at = bytes.indexOf(POINTS);
  const n = bytes.length;
  if (at < 0 || bytes[n - 1] !== CLOSE_BRACE || bytes[n - 2] !== CLOSE_BRACKET) return undefined;
  try {
    return JSON.parse(`${utf8.decode(bytes.subarray(0, at))},"points":[]}`);
  } catch {
    return undefined;
  }
}

/**
 * Decodes a stored event from its NATS body: from the head alone when that passes the schema,
 * otherwise by parsing everything (which throws for bad UTF-8, bad JSON or a rejected shape).
 */
export function decodeEnvelope(data: Uint8Array): StoredEnvelope {
  const head = readHead(data);
  if (head !== undefined) {
    const fast = StoredEnvelope.safeParse(head);
    if (fast.success) return fast.data;
  }
  return StoredEnvelope.parse(JSON.parse(utf8.decode(data)));
}
