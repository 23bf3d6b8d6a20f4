import { createAmqpPublisher, type AmqpPublisher } from '@ep/amqp';
import { natsNames } from '@ep/contracts';
import { createHttpServer, httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import { connectNats, consumerLag, createConsumer, type ConsumerLoop } from '@ep/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Registry } from 'prom-client';
import { createNotifierMetrics } from './adapters/metrics.js';
import { provisionNotifier } from './adapters/provision.js';
import { createRelay } from './adapters/relay.js';
import { Window } from './adapters/window.js';
import { decodeEnvelope, envelopeEvents, type StoredEnvelope } from './domain/envelope.js';
import type { NotifierConfig } from './config.js';

export interface Notifier extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  publisher: AmqpPublisher;
  consumer: ConsumerLoop;
  nc: NatsConnection;
  registry: Registry;
}

export type NotifierDeps = ServiceDeps;

/**
 * Connects to NATS (failing fast when it is unreachable), provisions the stream and the
 * durable consumer, and wires publisher → consume loop → HTTP ops server into a lifecycle that
 * starts them in that order and stops them in reverse. Nothing runs before lifecycle.start().
 */
export async function createNotifier(config: NotifierConfig, deps: NotifierDeps): Promise<Notifier> {
  const { logger } = deps;
  const names = natsNames(config.EP_NATS_PREFIX);
  const registry = new Registry();
  const lifecycle = serviceLifecycle(deps);
  const nc = await connectNats({
    url: config.NATS_URL,
    name: 'notifier',
    logger,
  });
  lifecycle.add({ name: 'nats', stop: () => nc.drain() });
  const js = jetstream(nc);
  await provisionNotifier(await jetstreamManager(nc), {
    prefix: config.EP_NATS_PREFIX,
    ackWaitMs: config.EP_NOTIFIER_ACK_WAIT_MS,
    maxAckPending: config.EP_NOTIFIER_CONCURRENCY * config.EP_NOTIFIER_REPLICAS,
  });

  const publisher = createAmqpPublisher({
    url: config.AMQP_URL,
    exchange: config.EP_AMQP_EXCHANGE,
    exchangeType: 'fanout',
    name: 'notifier',
    logger,
    registry,
    // An event nobody is bound to is counted (ep_amqp_returned_total) rather than dropped unseen.
    mandatory: true,
    reconnect: { initialMs: config.EP_AMQP_RECONNECT_INITIAL_MS, maxMs: config.EP_AMQP_RECONNECT_MAX_MS },
  });

  const metrics = createNotifierMetrics(
    registry,
    () => consumerLag(js, names.streams.stored, names.consumers.notifier),
    (err) => logger.warn({ err }, 'could not read the consumer backlog'),
  );
  const handle = createRelay({
    publisher,
    window: new Window(config.EP_AMQP_MAX_IN_FLIGHT),
    maxMessageBytes: config.EP_AMQP_MAX_MESSAGE_BYTES,
    metrics,
  });
  const consumer = createConsumer<StoredEnvelope>({
    js,
    stream: names.streams.stored,
    durable: names.consumers.notifier,
    name: 'notifier',
    logger,
    registry,
    concurrency: config.EP_NOTIFIER_CONCURRENCY,
    // A test-stand batch is up to 256 events to publish: counted as that many, so that the events
    // in hand stay near EP_NOTIFIER_CONCURRENCY and a slow broker confirms them well within the
    // ack wait (128 batches in hand would be 32,768 publishes behind one confirm window).
    budget: {
      max: config.EP_NOTIFIER_CONCURRENCY,
      weigh: (event) => envelopeEvents(event).events,
    },
    nakDelayMs: config.EP_NOTIFIER_RETRY_DELAY_MS,
    // The ack still follows the broker's confirm; only the server's receipt of it is not awaited.
    // A lost ack re-publishes the event under the same message_id, which consumers already get
    // after any redelivery. Confirmed acks cost the notifier about 15% of its rate (bench).
    confirmAcks: false,
    decode: (delivery) => decodeEnvelope(delivery.data),
    handle,
  });
  // While RabbitMQ is not taking messages (reconnecting, or blocking on a resource alarm) the
  // loop pulls nothing and the backlog stays in JetStream; events already being published fail
  // and are nak'd, those pulled but not started are given back at once. Paused from the start
  // until the publisher's first connect.
  consumer.pause('RabbitMQ not connected yet');
  publisher.onStateChange((state) => {
    if (state === 'connected') consumer.resume();
    else consumer.pause(`RabbitMQ ${state}`);
  });

  const server = await createHttpServer({
    logger,
    name: 'notifier',
    docs: false,
    ops: {
      registry,
      checks: [
        {
          name: 'amqp',
          check: async () => {
            if (publisher.state !== 'connected') throw new Error(`RabbitMQ publisher is ${publisher.state}`);
          },
        },
        {
          name: 'nats',
          check: async () => {
            if (nc.isClosed()) throw new Error('NATS connection closed');
            await nc.flush();
          },
        },
      ],
    },
  });

  lifecycle.add(publisher, consumer, httpResource(server, { port: config.PORT }));
  return { lifecycle, server, publisher, consumer, nc, registry };
}
