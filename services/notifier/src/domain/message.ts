import { StoredReadingsV1, type StoredEvent } from '@ep/contracts';
import { envelopeId, type StoredEnvelope } from './envelope.js';
import { splitReadings } from './split.js';

/** The AMQP properties the notifier sets on every message (amqplib's publish options). */
export interface OutboundProperties {
  contentType: 'application/json';
  /** The event name: `readings.stored` or `teststand.stored`. */
  type: StoredEvent['type'];
  /**
   * `storedEventId(event)` for a whole event; `<id>:<part>/<parts>` for a part of a split one.
   * Derived from the event alone, so a redelivered NATS message gets the same message_id.
   */
  messageId: string;
  /** When the event was stored, in whole seconds since the epoch (AMQP timestamps are seconds). */
  timestamp: number;
  /** Survives a broker restart (delivery_mode 2) when the bound queue is durable. */
  persistent: true;
  headers: Record<string, string | number>;
}

export interface OutboundMessage {
  body: Buffer;
  properties: OutboundProperties;
}

export interface ToMessagesOptions {
  /** Largest body in bytes; bigger readings events are split into parts (test-stand events never). */
  maxMessageBytes: number;
  /** W3C trace context (`traceparent`, `tracestate`) to carry in the headers. */
  trace?: Record<string, string>;
  /**
   * The event's JSON exactly as it arrived from NATS. When it fits it is sent as it is: the
   * same bytes on every redelivery, and no second serialisation of a large batch.
   */
  raw?: Uint8Array;
}

/** One stored event: what goes out on AMQP, a batch's items included. */
type OneEvent = Exclude<StoredEnvelope | StoredEvent, { type: 'teststand.stored.events' }>;

/** Headers that let a consumer route or filter without parsing the body. */
function identityHeaders(event: OneEvent): Record<string, string> {
  if (event.type === 'readings.stored' || event.type === 'setpoint.changed')
    return { 'x-ep-site': event.site, 'x-ep-source': event.source };
  return { 'x-ep-stand': event.event.stand };
}

/** The properties of a whole (not split) event's message. */
function wholeProperties(event: OneEvent, trace: Record<string, string> | undefined): OutboundProperties {
  return {
    contentType: 'application/json',
    type: event.type,
    messageId: envelopeId(event),
    timestamp: Math.floor(Date.parse(event.storedAt) / 1000),
    persistent: true,
    headers: { ...(trace ?? {}), ...identityHeaders(event) },
  };
}

/**
 * The AMQP message(s) for one stored NATS message: one when its JSON fits in
 * `maxMessageBytes`, otherwise (readings only) one per part, each a valid event of its own with
 * `x-ep-part` / `x-ep-parts` headers. Test-stand events are never split: they carry one MQTT
 * payload, which the broker already bounds.
 *
 * A batch of test-stand events (`teststand.stored.events`) gives one message per event, in its
 * order, each exactly the message that event alone (`teststand.stored`) would give — type,
 * message_id, timestamp and headers its own, its body the event's JSON — so that a consumer
 * cannot tell whether measurement-store batched it. The body is serialised from the decoded
 * item (already checked by the envelope's schema), the same bytes on every redelivery.
 *
 * A readings event to be split is parsed in full with the contract's schema first (from `raw`
 * when given: the envelope's points may not have been read); a ZodError or SyntaxError is
 * thrown when that fails.
 */
export function toAmqpMessages(
  event: StoredEnvelope | StoredEvent,
  options: ToMessagesOptions,
): OutboundMessage[] {
  const { raw, trace } = options;
  if (event.type === 'teststand.stored.events') {
    return event.events.map((item) => ({
      body: Buffer.from(JSON.stringify(item)),
      properties: wholeProperties(item, trace),
    }));
  }
  const properties = wholeProperties(event, trace);
  if (raw && raw.byteLength <= options.maxMessageBytes)
    return [{ body: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), properties }];
  const parts =
    event.type === 'readings.stored'
      ? splitReadings(
          StoredReadingsV1.parse(raw ? JSON.parse(Buffer.from(raw).toString('utf8')) : event),
          options.maxMessageBytes,
        )
      : [event];
  if (parts.length === 1) return [{ body: Buffer.from(JSON.stringify(parts[0])), properties }];
  return parts.map((part, index) => ({
    body: Buffer.from(JSON.stringify(part)),
    properties: {
      ...properties,
      messageId: partMessageId(properties.messageId, index + 1, parts.length),
      headers: { ...properties.headers, 'x-ep-part': index + 1, 'x-ep-parts': parts.length },
    },
  }));
}

/** message_id of part `part` (1-based) of `parts` of the event `id`. */
export function partMessageId(id: string, part: number, parts: number): string {
  return `${id}:${part}/${parts}`;
}
