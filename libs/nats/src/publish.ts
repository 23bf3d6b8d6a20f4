import { JetStreamApiError, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { RequestError, TimeoutError } from '@nats-io/nats-core';
import { backoffDelay, sleep, type BackoffOptions } from '@ep/lifecycle';
import { recordToHeaders } from './headers.js';

export interface PublishOptions {
  /**
   * Deterministic id of this message (e.g. upload sha256 + chunk index): the stream drops a
   * second publish with the same id inside its duplicate window, so retries are harmless.
   */
  msgID: string;
  /** Extra headers, e.g. W3C `traceparent` injected by the telemetry lib. */
  headers?: Record<string, string>;
  /** Attempts in all, including the first (default 4). */
  attempts?: number;
  /** How long to wait for each PubAck, in ms (nats.js default 5000). */
  timeoutMs?: number;
}

const RETRY_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 2_000 };
const encoder = new TextEncoder();

/** Bytes are sent as they are; anything else as UTF-8 JSON. */
export function encodePayload(data: Uint8Array | object): Uint8Array {
  return data instanceof Uint8Array ? data : encoder.encode(JSON.stringify(data));
}

/**
 * Whether a failed publish may succeed if sent again: the PubAck timed out (server busy, or we
 * are mid-reconnect and the request sat in the client's buffer), nobody answered (no stream
 * leader yet), or the server said 503. Anything else (closed connection, bad subject, a stream
 * rejecting the message) is returned to the caller at once.
 */
export function isTransientPublishError(err: unknown): boolean {
  if (err instanceof TimeoutError || isNoResponders(err)) return true;
  if (err instanceof JetStreamApiError) return err.status === 503;
  return false;
}

// nats.js wraps a no-responders RequestError in a JetStreamNotEnabled it does not export.
function isNoResponders(err: unknown): boolean {
  if (err instanceof RequestError) return err.isNoResponders();
  return err instanceof Error && err.cause instanceof RequestError && err.cause.isNoResponders();
}

/**
 * Publishes to JetStream and returns the PubAck once the stream has stored the message
 * (`duplicate` is true when the msgID was already stored). Transient failures are retried with
 * backoff under the same msgID, so a publish whose ack was lost is not stored twice.
 */
export async function publish(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array | object,
  options: PublishOptions,
): Promise<PubAck> {
  const payload = encodePayload(data);
  const headers = recordToHeaders(options.headers);
  const attempts = Math.max(1, options.attempts ?? 4);
  for (let attempt = 0; ; attempt++) {
    try {
      return await js.publish(subject, payload, {
        msgID: options.msgID,
        ...(headers ? { headers } : {}),
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
      });
    } catch (err) {
      if (attempt + 1 >= attempts || !isTransientPublishError(err)) {
        if (isNoResponders(err)) {
          // nats.js says "jetstream is not enabled" for any no-responders; the usual cause is
          // that no stream listens on the subject.
          throw new Error(`publish to ${subject}: no stream answered (is one provisioned for it?)`, {
            cause: err,
          });
        }
        throw err;
      }
      await sleep(backoffDelay(attempt, RETRY_BACKOFF));
    }
  }
}
