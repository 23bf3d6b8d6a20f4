import { natsNames, streamSpecs } from '@ep/contracts';
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
 * replica runs it at boot). The stream is measurement-store's, with the one spec both use
 * (streamSpecs), so whichever service starts first creates it and the other finds it as wanted.
 */
export async function provisionNotifier(jsm: JetStreamManager, options: ProvisionOptions): Promise<void> {
  const names = natsNames(options.prefix);
  await ensureStream(jsm, streamSpecs(options.prefix).stored);
  await ensureConsumer(jsm, names.streams.stored, {
    durable: names.consumers.notifier,
    ackWaitMs: options.ackWaitMs,
    // Never give up on an event: a broker outage of any length must not lose one.
    maxDeliver: -1,
    maxAckPending: options.maxAckPending,
  });
}
