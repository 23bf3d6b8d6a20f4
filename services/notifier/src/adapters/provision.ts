import { DUPLICATE_WINDOW_MS, natsNames, STREAM_MAX_AGE_MS } from '@ep/contracts';
import { ensureConsumer, ensureStream } from '@ep/nats';
import type { JetStreamManager } from '@nats-io/jetstream';

export interface ProvisionOptions {
  prefix: string;
  ackWaitMs: number;
  /** Un-acked events over all replicas: replicas × concurrency. */
  maxAckPending: number;
}

/**
 * Makes sure `<P>_STORED` and the notifier's durable pull consumer exist, idempotently (every
 * replica runs it at boot). The stream is measurement-store's, with the same settings it
 * provisions (ARCHITECTURE §2: limits, 3 days, the shared duplicate window), so whichever
 * service starts first creates it and the other finds it as wanted.
 */
export async function provisionNotifier(jsm: JetStreamManager, options: ProvisionOptions): Promise<void> {
  const names = natsNames(options.prefix);
  await ensureStream(jsm, {
    name: names.streams.stored,
    subjects: [names.subjects.allStored],
    maxAgeMs: STREAM_MAX_AGE_MS.stored,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
  });
  await ensureConsumer(jsm, names.streams.stored, {
    durable: names.consumers.notifier,
    ackWaitMs: options.ackWaitMs,
    // Never give up on an event: a broker outage of any length must not lose one.
    maxDeliver: -1,
    maxAckPending: options.maxAckPending,
  });
}
