import type { JetStreamClient } from '@nats-io/jetstream';

/**
 * How far a durable consumer is behind: messages not yet delivered plus messages delivered
 * but not yet acked. For /metrics gauges and for tests waiting until a consumer caught up.
 */
export async function consumerLag(js: JetStreamClient, stream: string, durable: string): Promise<number> {
  const consumer = await js.consumers.get(stream, durable);
  // get() has just fetched the info; the cached copy is current.
  const info = await consumer.info(true);
  return info.num_pending + info.num_ack_pending;
}
