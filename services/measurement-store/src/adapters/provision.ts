import { natsNames, streamSpecs } from '@ep/contracts';
import { ensureConsumer, ensureStream } from '@ep/nats';
import type { JetStreamManager } from '@nats-io/jetstream';

export interface ProvisionOptions {
  /** EP_NATS_PREFIX of the environment (or of a test). */
  prefix: string;
  /**
   * How long a delivered message may stay un-acked before another store gets it, in ms. Longer
   * than the slowest write; short enough that a crashed store's batch is picked up quickly.
   */
  ackWaitMs?: number;
  /** Stream replicas (3 on a clustered production server); left as the server has it when absent. */
  replicas?: number;
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
// Un-acked messages over all replicas: each store holds at most two write batches of messages.
const MAX_ACK_PENDING = 2_000;

/**
 * Creates or updates the three streams (READINGS, TESTSTAND, STORED) and the store's durable
 * consumers. Idempotent and safe to run from several processes at once; the store calls it at
 * boot, and other services' tests call it to get the same streams as production.
 */
export async function provisionMeasurementStreams(
  jsm: JetStreamManager,
  options: ProvisionOptions,
): Promise<void> {
  const names = natsNames(options.prefix);
  const replicas = options.replicas !== undefined ? { replicas: options.replicas } : {};
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  for (const spec of Object.values(streamSpecs(options.prefix)))
    await ensureStream(jsm, { ...spec, ...replicas });
  await ensureConsumer(jsm, names.streams.readings, {
    durable: names.consumers.storeReadings,
    ackWaitMs,
    maxAckPending: MAX_ACK_PENDING,
  });
  await ensureConsumer(jsm, names.streams.teststand, {
    durable: names.consumers.storeTeststand,
    ackWaitMs,
    maxAckPending: MAX_ACK_PENDING,
  });
}
