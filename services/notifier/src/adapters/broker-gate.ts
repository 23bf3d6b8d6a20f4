import type { AmqpPublisher, PublisherState } from '@ep/amqp';
import type { Logger } from '@ep/logger';
import type { Delivery } from '@ep/nats';

export interface BrokerGateOptions {
  publisher: Pick<AmqpPublisher, 'state' | 'onStateChange'>;
  logger: Logger;
  /**
   * How often an event waiting at the closed gate tells NATS it is still being worked on, in ms.
   * Well below the consumer's ack wait, so the server does not hand it out again meanwhile.
   */
  keepAliveMs: number;
}

/**
 * Holds events back while RabbitMQ is not taking messages (disconnected and reconnecting, or
 * blocked by a resource alarm). A handler waits here before publishing; with every slot of the
 * consume loop waiting, the loop stops taking messages, so nats.js stops pulling and the
 * backlog stays in JetStream. When the publisher is connected again every waiter goes on at once.
 *
 * This pauses pulling without closing the consume loop on purpose: a closed iterator leaves its
 * last pull request open on the server, and messages the server sends into it are stranded until
 * their ack wait runs out.
 */
export interface BrokerGate {
  /** True while the publisher is connected and not blocked. */
  readonly open: boolean;
  /** Resolves when the gate is open; rejects when it was closed for good (shutting down). */
  wait(delivery: Delivery): Promise<void>;
  /** Stops listening and rejects every waiter, whose events are then nak'd for redelivery. */
  close(): void;
}

export class GateClosedError extends Error {
  constructor() {
    super('notifier stopping while RabbitMQ was not taking messages; the event will be redelivered');
    this.name = 'GateClosedError';
  }
}

export function createBrokerGate(options: BrokerGateOptions): BrokerGate {
  const { publisher, keepAliveMs } = options;
  const log = options.logger.child({ component: 'broker-gate' });
  const waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();
  let closed = false;
  let wasOpen = publisher.state === 'connected';

  const unsubscribe = publisher.onStateChange((state: PublisherState) => {
    const open = state === 'connected';
    if (open === wasOpen) return;
    wasOpen = open;
    if (!open) {
      log.warn({ state }, 'RabbitMQ not taking messages; holding events and pausing the pull');
      return;
    }
    log.info({ waiting: waiters.size }, 'RabbitMQ connected; resuming');
    for (const waiter of waiters) waiter.resolve();
    waiters.clear();
  });

  return {
    get open() {
      return !closed && publisher.state === 'connected';
    },
    async wait(delivery) {
      if (publisher.state === 'connected') return;
      if (closed) throw new GateClosedError();
      const keepAlive = setInterval(() => delivery.working(), keepAliveMs);
      try {
        await new Promise<void>((resolve, reject) => waiters.add({ resolve, reject }));
      } finally {
        clearInterval(keepAlive);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const waiter of waiters) waiter.reject(new GateClosedError());
      waiters.clear();
    },
  };
}
