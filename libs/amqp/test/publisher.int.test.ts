import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import { infraUrls, startFaultProxy, uniqueName, waitFor, type FaultProxy } from '@ep/testkit';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { Registry } from 'prom-client';
import {
  AmqpPublishError,
  bindQueue,
  consumeQueue,
  createAmqpPublisher,
  type AmqpPublisher,
  type AmqpPublisherOptions,
  type ConsumedMessage,
  type PublisherState,
  type ReturnedMessage,
} from '../src/index.js';

const { amqpUrl } = infraUrls();
const logger = silentLogger();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('amqp publisher against RabbitMQ', () => {
  let admin: ChannelModel;
  const exchanges: string[] = [];
  const queues: string[] = [];
  const publishers: AmqpPublisher[] = [];
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    admin = await connect(amqpUrl);
  });

  afterAll(async () => {
    for (const publisher of publishers) await publisher.stop();
    for (const proxy of proxies) await proxy.close();
    const ch = await adminChannel();
    for (const queue of queues) await ch.deleteQueue(queue);
    for (const exchange of exchanges) await ch.deleteExchange(exchange);
    await admin.close();
  });

  /** A fresh channel: a refused declaration closes the channel it was made on. */
  async function adminChannel(): Promise<Channel> {
    const ch = await admin.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  function newExchange(): string {
    const exchange = uniqueName('amqp_x');
    exchanges.push(exchange);
    return exchange;
  }

  async function newQueue(exchange: string, extra: { messageTtlMs?: number } = {}): Promise<string> {
    const queue = uniqueName('amqp_q');
    queues.push(queue);
    await bindQueue({ url: amqpUrl, exchange, queue, ...extra });
    return queue;
  }

  function publisher(options: Partial<AmqpPublisherOptions> & { exchange: string }): AmqpPublisher {
    const p = createAmqpPublisher({
      url: amqpUrl,
      logger,
      reconnect: { initialMs: 50, maxMs: 200 },
      ...options,
    });
    publishers.push(p);
    return p;
  }

  async function messageCount(queue: string): Promise<number> {
    const ch = await adminChannel();
    const { messageCount } = await ch.checkQueue(queue);
    await ch.close();
    return messageCount;
  }

  /** Reads `count` messages from the queue and acks them. */
  async function take(queue: string, count: number): Promise<ConsumedMessage[]> {
    const taken: ConsumedMessage[] = [];
    if (count === 0) return taken;
    for await (const message of consumeQueue({ url: amqpUrl, queue })) {
      taken.push(message);
      if (taken.length === count) break;
    }
    return taken;
  }

  const props = (messageId: string) => ({
    messageId,
    type: 'test.event',
    contentType: 'application/json',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  });

  it('declares the exchange durable', async () => {
    const exchange = newExchange();
    await publisher({ exchange }).start();

    // RabbitMQ refuses a re-declaration that differs from the existing exchange (406).
    const ch = await adminChannel();
    await expect(ch.assertExchange(exchange, 'fanout', { durable: false })).rejects.toMatchObject({
      code: 406,
    });
    const again = await adminChannel();
    await expect(again.assertExchange(exchange, 'fanout', { durable: true })).resolves.toMatchObject({
      exchange,
    });
    await again.close();
  });

  it('resolves a publish only once the broker confirmed it, with every property intact', async () => {
    const exchange = newExchange();
    const registry = new Registry();
    // Latency between publisher and broker: a publish that resolved on sending, not on the
    // confirm, would resolve before the message even reached the broker.
    const proxy = await startFaultProxy(amqpUrl);
    proxies.push(proxy);
    const p = publisher({ exchange, registry, name: 'props-test', url: proxy.url });
    await p.start();
    const queue = await newQueue(exchange);
    const timestamp = new Date('2026-01-05T06:00:03.000Z');
    proxy.delay(150);

    await p.publish(Buffer.from(JSON.stringify({ batchId: 'b-1' })), { ...props('b-1'), timestamp });
    // No waiting (read directly, not through the proxy): once confirmed, it is in the queue.
    expect(await messageCount(queue)).toBe(1);
    proxy.delay(0);

    const [message] = await take(queue, 1);
    expect(message).toMatchObject({
      body: { batchId: 'b-1' },
      messageId: 'b-1',
      type: 'test.event',
      contentType: 'application/json',
      persistent: true,
      timestamp,
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      exchange,
      redelivered: false,
    });

    // As Prometheus scrapes it.
    const text = await registry.metrics();
    const value = (metric: string) =>
      Number(text.match(new RegExp(`^${metric}\\{[^}]*publisher="props-test"[^}]*\\} (\\S+)$`, 'm'))?.[1]);
    expect(value('ep_amqp_published_total')).toBe(1);
    expect(value('ep_amqp_confirmed_total')).toBe(1);
    expect(value('ep_amqp_connected')).toBe(1);
    expect(value('ep_amqp_publish_confirm_seconds_count')).toBe(1);
  });

  it('reports a mandatory message no queue is bound to, and still resolves it', async () => {
    const exchange = newExchange();
    const returned: ReturnedMessage[] = [];
    const p = publisher({ exchange, mandatory: true, onReturned: (m) => returned.push(m) });
    await p.start();

    await p.publish(Buffer.from('{}'), props('nobody-listens'));
    // RabbitMQ sends basic.return before the basic.ack of the same message.
    expect(returned).toEqual([
      expect.objectContaining({
        messageId: 'nobody-listens',
        type: 'test.event',
        replyText: 'NO_ROUTE',
        exchange,
      }),
    ]);
  });

  it('rejects a publish in flight when the connection drops, then reconnects by itself', async () => {
    const exchange = newExchange();
    const queue = await newQueue(exchange);
    const proxy = await startFaultProxy(amqpUrl);
    proxies.push(proxy);
    const p = publisher({ exchange, url: proxy.url });
    const states: PublisherState[] = [];
    p.onStateChange((state) => states.push(state));
    await p.start();
    expect(p.connected).toBe(true);

    const inFlight = p.publish(Buffer.from('{}'), props('in-flight'));
    proxy.cut();
    await expect(inFlight).rejects.toMatchObject({
      name: 'AmqpPublishError',
      reason: 'connection-lost',
      transient: true,
    });
    await waitFor(() => !p.connected, { what: 'publisher to notice the cut' });
    // While reconnecting it refuses at once instead of queueing in memory.
    await expect(p.publish(Buffer.from('{}'), props('while-down'))).rejects.toMatchObject({
      reason: 'not-connected',
    });

    proxy.restore();
    await waitFor(() => p.connected, { what: 'publisher to reconnect' });
    await p.publish(Buffer.from('{"after":true}'), props('after'));
    expect(states).toEqual(['connected', 'disconnected', 'connected']);

    const received = await take(queue, await messageCount(queue));
    expect(received.map((m) => m.messageId)).toContain('after');
    expect(received.map((m) => m.messageId)).not.toContain('while-down');
  });

  it('starts while the broker is unreachable and connects once it is back', async () => {
    const exchange = newExchange();
    const proxy = await startFaultProxy(amqpUrl);
    proxies.push(proxy);
    proxy.cut();
    const p = publisher({ exchange, url: proxy.url });

    await p.start();
    expect(p.connected).toBe(false);
    expect(p.state).toBe('disconnected');
    const error = await p.publish(Buffer.from('{}'), props('early')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AmqpPublishError);

    proxy.restore();
    await waitFor(() => p.connected, { what: 'publisher to connect' });
    const queue = await newQueue(exchange);
    await p.publish(Buffer.from('{}'), props('late'));
    expect(await messageCount(queue)).toBe(1);
  });

  it('confirms every message of a burst that overflows the channel buffer', async () => {
    const exchange = newExchange();
    const queue = await newQueue(exchange);
    const p = publisher({ exchange });
    await p.start();
    const body = Buffer.alloc(1024, 'x');

    // amqplib's per-channel buffer holds ~1,000 frames (3 per message): it reports "full" long
    // before 5,000 messages are written; the publishes queued behind 'drain' must all go out.
    await Promise.all(Array.from({ length: 5_000 }, (_, i) => p.publish(body, props(`burst-${i}`))));
    expect(await messageCount(queue)).toBe(5_000);
  });

  it('stops cleanly: waits for confirms, is idempotent, refuses later publishes', async () => {
    const exchange = newExchange();
    const queue = await newQueue(exchange);
    const p = publisher({ exchange });
    await p.start();

    const pending = Promise.all(
      Array.from({ length: 50 }, (_, i) => p.publish(Buffer.from(`{"i":${i}}`), props(`stop-${i}`))),
    );
    const first = p.stop();
    expect(p.stop()).toBe(first);
    await first;
    await expect(pending).resolves.toHaveLength(50);
    expect(await messageCount(queue)).toBe(50);

    expect(p.state).toBe('stopped');
    expect(p.connected).toBe(false);
    await expect(p.publish(Buffer.from('{}'), props('too-late'))).rejects.toMatchObject({
      reason: 'stopped',
    });
    await p.stop();
  });

  it('stop() cancels a pending reconnect', async () => {
    const exchange = newExchange();
    const proxy = await startFaultProxy(amqpUrl);
    proxies.push(proxy);
    const p = publisher({ exchange, url: proxy.url, reconnect: { initialMs: 20, maxMs: 50 } });
    await p.start();
    proxy.cut();
    await waitFor(() => !p.connected, { what: 'publisher to notice the cut' });

    await p.stop();
    proxy.restore();
    // Ten times the longest backoff: a surviving timer would have dialled in by now.
    await sleep(500);
    expect(proxy.connections).toBe(0);
    expect(p.state).toBe('stopped');
  });

  it('bindQueue is idempotent and explains a conflicting re-declaration', async () => {
    const exchange = newExchange();
    const queue = uniqueName('amqp_q');
    queues.push(queue);
    const first = await bindQueue({ url: amqpUrl, exchange, queue, messageTtlMs: 1_800_000 });
    expect(first).toEqual({ queue, messageCount: 0, consumerCount: 0 });
    await expect(bindQueue({ url: amqpUrl, exchange, queue, messageTtlMs: 1_800_000 })).resolves.toEqual(
      first,
    );
    await expect(bindQueue({ url: amqpUrl, exchange, queue, messageTtlMs: 60_000 })).rejects.toThrow(
      /already exists with other settings/,
    );
  });
});
