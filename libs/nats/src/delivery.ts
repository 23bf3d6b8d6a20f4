import type { JsMsg } from '@nats-io/jetstream';
import { headersToRecord } from './headers.js';

/** One delivery of a stream message, as handlers see it. */
export interface Delivery {
  subject: string;
  /** Stream sequence: the same on every redelivery, and how to find the message in the stream. */
  seq: number;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  deliveryCount: number;
  /** Message headers, first value per key (W3C `traceparent`, `Nats-Msg-Id`, …). */
  headers: Record<string, string>;
  data: Uint8Array;
  /**
   * The body parsed as JSON. Throws on bad UTF-8 or JSON, which in `decode` terminates the
   * message: `decode: (msg) => ReadingsBatch.parse(msg.json())`.
   */
  json(): unknown;
  /** Restarts the consumer's ack wait, for a handler that knows it will take long. */
  working(): void;
  /** The nats.js message for anything not covered here. The consume loop acks it: do not. */
  raw: JsMsg;
}

/** Wraps a pulled message for handlers: plain headers, stream sequence and delivery count. */
export function toDelivery(msg: JsMsg): Delivery {
  return {
    subject: msg.subject,
    seq: msg.info.streamSequence,
    deliveryCount: msg.info.deliveryCount,
    headers: headersToRecord(msg.headers),
    data: msg.data,
    json: () => json(msg.data),
    working: () => msg.working(),
    raw: msg,
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON; throws on bad UTF-8 or bad JSON, so in `decode` the message is terminated. */
function json(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data));
}
