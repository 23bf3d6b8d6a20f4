import { bindQueue, consumeQueue, type ConsumedMessage } from '@ep/amqp';
import {
  natsNames,
  streamSpecs,
  storedEventId,
  type StoredEvent,
  type StoredTeststandEvents,
} from '@ep/contracts';
import { ensureStream, publish } from '@ep/nats';
import { infraUrls, uniqueName, uniquePrefix } from '@ep/testkit';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { silentLogger } from '@ep/logger';
import amqp from 'amqplib';
import { parseNotifierConfig } from '../src/config.js';
import { createNotifier, type Notifier } from '../src/notifier.js';

/** What measurement-store publishes on the STORED stream: an event, or test-stand events batched. */
export type StoredMessage = StoredEvent | StoredTeststandEvents;

/** The events a stored message gives on the exchange, one AMQP message each (unless split). */
export function relayedEvents(message: StoredMessage): StoredEvent[] {
  return message.type === 'teststand.stored.events' ? message.events : [message];
}

/** The subject measurement-store publishes a stored message on. */
export function storedSubject(prefix: string, event: StoredMessage): string {
  const names = natsNames(prefix);
  if (event.type === 'teststand.stored.events') return names.subjects.storedTeststandEvents;
  if (event.type === 'readings.stored') return names.subjects.storedReadings(event.site);
  if (event.type === 'setpoint.changed') return names.subjects.storedSetpoints(event.site);
  return names.subjects.storedTeststand(event.event.stand, event.event.kind);
}

/**
 * The msgID of a stored message: the event id; for a batch (whose msgID the contract leaves to
 * measurement-store) its first and last event ids, unique to the batch in these tests.
 */
function storedMsgId(event: StoredMessage): string {
  if (event.type !== 'teststand.stored.events') return storedEventId(event);
  const ids = event.events.map((e) => e.event.eventId);
  return `${ids[0]}..${ids[ids.length - 1]}`;
}

/** Publishes as measurement-store does: msgID = the event id. */
export async function publishStored(
  js: JetStreamClient,
  prefix: string,
  event: StoredMessage,
  headers?: Record<string, string>,
): Promise<void> {
  await publish(js, storedSubject(prefix, event), event, {
    msgID: storedMsgId(event),
    ...(headers ? { headers } : {}),
  });
}

/** Messages arriving on a queue, collected in the background until stop(). */
export interface QueueCollector {
  messages: ConsumedMessage[];
  /** Distinct message ids seen so far. */
  ids(): Set<string>;
  stop(): Promise<void>;
}

export function collect(url: string, queue: string): QueueCollector {
  const messages: ConsumedMessage[] = [];
  const controller = new AbortController();
  const running = (async () => {
    for await (const m of consumeQueue({ url, queue, prefetch: 200, signal: controller.signal }))
      messages.push(m);
  })().catch(() => undefined);
  return {
    messages,
    ids: () => new Set(messages.map((m) => m.messageId ?? '')),
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** One test file's own NATS prefix, exchange and queue on the real servers, and their removal. */
export interface TestBed {
  urls: ReturnType<typeof infraUrls>;
  prefix: string;
  exchange: string;
  queue: string;
  nc: NatsConnection;
  js: JetStreamClient;
  cleanup(): Promise<void>;
}

export async function createTestBed(label: string): Promise<TestBed> {
  const urls = infraUrls();
  const prefix = uniquePrefix(label);
  const exchange = uniqueName(`${label}_x`);
  const queue = uniqueName(`${label}_q`);
  const nc = await connect({ servers: urls.natsUrl });
  await bindQueue({ url: urls.amqpUrl, exchange, queue });
  // The stream as measurement-store provisions it, so events can be stored before the notifier runs.
  await ensureStream(await jetstreamManager(nc), streamSpecs(prefix).stored);
  return {
    urls,
    prefix,
    exchange,
    queue,
    nc,
    js: jetstream(nc),
    async cleanup() {
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(natsNames(prefix).streams)) {
        await jsm.streams.delete(stream).catch(() => undefined);
      }
      await nc.close();
      const connection = await amqp.connect(urls.amqpUrl);
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await connection.close();
    },
  };
}

/**
 * Starts a notifier in this process on the bed's prefix and exchange (AMQP_URL and other
 * variables may be overridden), with its HTTP server on a free port whose base URL is returned.
 */
export async function startTestNotifier(
  bed: TestBed,
  env: Record<string, string>,
): Promise<{ notifier: Notifier; base: string }> {
  const config = parseNotifierConfig({
    NATS_URL: bed.urls.natsUrl,
    AMQP_URL: bed.urls.amqpUrl,
    EP_NATS_PREFIX: bed.prefix,
    EP_AMQP_EXCHANGE: bed.exchange,
    PORT: '0',
    ...env,
  });
  const notifier = await createNotifier(config, { logger: silentLogger(), exit: () => undefined });
  await notifier.lifecycle.start();
  const address = notifier.server.server.address();
  return { notifier, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}
