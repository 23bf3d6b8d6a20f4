import type { AmqpPublisher } from '@ep/amqp';
import { PermanentError, type Delivery } from '@ep/nats';
import { nextHopTraceHeaders, withSpan } from '@ep/telemetry';
import { envelopeEvents, type StoredEnvelope } from '../domain/envelope.js';
import { toAmqpMessages } from '../domain/message.js';
import { ZodError } from 'zod';
import type { NotifierMetrics } from './metrics.js';
import type { Window } from './window.js';

export interface RelayOptions {
  publisher: Pick<AmqpPublisher, 'publish'>;
  /** Unconfirmed AMQP messages at most, over all events in progress. */
  window: Window;
  maxMessageBytes: number;
  metrics: NotifierMetrics;
}

/**
 * The handler of the consume loop: publishes the AMQP message(s) of a stored NATS message (the
 * parts of a split readings event, the events of a test-stand batch) and resolves once the
 * broker confirmed every one of them, so the loop acks the NATS message only then. (While the
 * broker is away the notifier pauses the loop, so few events get here then.) Any failure
 * (broker away, blocked, nack, connection lost before the confirm) rejects, and the loop naks
 * the NATS message for a later redelivery, which publishes the same message ids again.
 */
export function createRelay(
  options: RelayOptions,
): (event: StoredEnvelope, delivery: Delivery) => Promise<void> {
  const { publisher, window, maxMessageBytes, metrics } = options;
  return (event, delivery) =>
    // The span continues the trace of the NATS message; with tracing on, the AMQP message carries
    // this span's context. With tracing off nothing is injected, and the producer's own
    // traceparent is passed through, so a consumer can still join the trace.
    withSpan(`publish ${event.type}`, delivery.headers, async () => {
      const trace = nextHopTraceHeaders(delivery.headers);
      const started = performance.now();
      const messages = messagesOf(event, delivery, maxMessageBytes, trace);
      // All parts (or a batch's events) are in flight at once on the confirm channel, as far as
      // the window lets them; one that failed makes the whole NATS message fail, and the
      // redelivery publishes every one again under the same ids.
      await Promise.all(
        messages.map(({ body, properties }) =>
          window.run(() =>
            publisher.publish(body, {
              messageId: properties.messageId,
              type: properties.type,
              contentType: properties.contentType,
              timestamp: new Date(properties.timestamp * 1000),
              headers: properties.headers,
            }),
          ),
        ),
      );
      const { type, events } = envelopeEvents(event);
      metrics.relayed(type, events, messages.length, (performance.now() - started) / 1000);
    });
}

function messagesOf(
  event: StoredEnvelope,
  delivery: Delivery,
  maxMessageBytes: number,
  trace: Record<string, string>,
) {
  try {
    return toAmqpMessages(event, { maxMessageBytes, trace, raw: delivery.data });
  } catch (err) {
    // Only an event to be split is parsed in full: bad points can never be published, so the
    // message is terminated and recorded instead of redelivered for ever.
    if (err instanceof ZodError || err instanceof SyntaxError)
      throw new PermanentError(`stored event cannot be split: ${err.message}`, { cause: err });
    throw err;
  }
}
