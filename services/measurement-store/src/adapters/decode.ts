import type { Delivery } from '@ep/nats';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A consumer `decode` for JSON messages: bad UTF-8, bad JSON or a shape the schema refuses all
 * throw, so the consume loop terminates the message and it is recorded in rejected_messages.
 */
export function jsonDecoder<T>(parse: (value: unknown) => T): (delivery: Delivery) => T {
  return (delivery) => parse(JSON.parse(decoder.decode(delivery.data)) as unknown);
}
