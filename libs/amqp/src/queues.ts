import { connect, type ConsumeMessage } from 'amqplib';

export interface BindQueueOptions {
  url: string;
  exchange: string;
  /** Declared durable if missing, so a queue can be bound before the publisher first ran. */
  exchangeType?: 'fanout' | 'topic' | 'direct' | 'headers';
  queue: string;
  /** Ignored by fanout exchanges. */
  routingKey?: string;
  /** x-message-ttl: messages older than this are dropped (or dead-lettered). The legacy system used 30 min. */
  messageTtlMs?: number;
  /** x-dead-letter-exchange: where expired or rejected messages go instead of being dropped. */
  deadLetterExchange?: string;
}

export interface QueueInfo {
  queue: string;
  messageCount: number;
  consumerCount: number;
}

/**
 * Declares a durable queue and binds it to the exchange, for downstream consumers and the
 * operator CLI. Idempotent with the same settings; RabbitMQ refuses to change a queue's
 * arguments in place, which is reported with the way out.
 */
export async function bindQueue(options: BindQueueOptions): Promise<QueueInfo> {
  const { exchange, queue } = options;
  const model = await connect(options.url);
  try {
    const ch = await model.createChannel();
    // A refused declaration also arrives as a channel 'error' event, which must not go unheard.
    ch.on('error', () => undefined);
    try {
      await ch.assertExchange(exchange, options.exchangeType ?? 'fanout', { durable: true });
      const info = await ch.assertQueue(queue, {
        durable: true,
        messageTtl: options.messageTtlMs,
        deadLetterExchange: options.deadLetterExchange,
      });
      await ch.bindQueue(queue, exchange, options.routingKey ?? '');
      return { queue: info.queue, messageCount: info.messageCount, consumerCount: info.consumerCount };
    } catch (err) {
      if ((err as { code?: number }).code === 406) {
        throw new Error(
          `exchange "${exchange}" or queue "${queue}" already exists with other settings; ` +
            `delete it, or set TTL/dead-lettering with a broker policy instead (${(err as Error).message})`,
          { cause: err },
        );
      }
      throw err;
    }
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** One message taken from a queue, with its body parsed when it is JSON. */
export interface ConsumedMessage {
  content: Buffer;
  /** The parsed body when content_type is application/json and it parses; undefined otherwise. */
  body: unknown;
  messageId: string | undefined;
  type: string | undefined;
  contentType: string | undefined;
  /** delivery_mode 2: the broker writes it to disk. */
  persistent: boolean;
  timestamp: Date | undefined;
  headers: Record<string, unknown>;
  exchange: string;
  redelivered: boolean;
}

export interface ConsumeQueueOptions {
  url: string;
  queue: string;
  /** How many unacknowledged messages the broker sends ahead (default 10). */
  prefetch?: number;
  /** Ends the iteration; unacknowledged messages go back to the queue. */
  signal?: AbortSignal;
}

function toConsumed(msg: ConsumeMessage): ConsumedMessage {
  const p = msg.properties;
  const contentType = p.contentType as string | undefined;
  let body: unknown;
  if (contentType?.startsWith('application/json')) {
    try {
      body = JSON.parse(msg.content.toString('utf8'));
    } catch {
      body = undefined;
    }
  }
  return {
    content: msg.content,
    body,
    messageId: p.messageId as string | undefined,
    type: p.type as string | undefined,
    contentType,
    persistent: p.deliveryMode === 2,
    // AMQP timestamps are whole seconds.
    timestamp: typeof p.timestamp === 'number' ? new Date(p.timestamp * 1000) : undefined,
    headers: (p.headers ?? {}) as Record<string, unknown>,
    exchange: msg.fields.exchange,
    redelivered: msg.fields.redelivered,
  };
}

/**
 * Yields the messages of a queue as they arrive, for tests and the operator CLI. A message is
 * acked when the loop asks for the next one, so one abandoned by `break`, an exception or the
 * signal is returned to the queue. Ends with an error if the connection drops (no reconnect).
 */
export async function* consumeQueue(options: ConsumeQueueOptions): AsyncGenerator<ConsumedMessage> {
  const model = await connect(options.url);
  const buffered: ConsumeMessage[] = [];
  // undefined while running; null when asked to stop; an Error when the broker ended it.
  let ended: Error | null | undefined;
  let wake: (() => void) | undefined;
  const end = (why: Error | null) => {
    ended ??= why;
    wake?.();
  };
  const onAbort = () => end(null);
  try {
    model.on('error', () => undefined);
    model.on('close', () => end(new Error('connection to RabbitMQ closed')));
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    await ch.prefetch(options.prefetch ?? 10);
    await ch.consume(options.queue, (msg) => {
      if (msg === null)
        end(new Error(`consumer of "${options.queue}" cancelled by the broker (queue deleted?)`));
      else {
        buffered.push(msg);
        wake?.();
      }
    });
    if (options.signal?.aborted) return;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (;;) {
      if (ended !== undefined) {
        if (ended) throw ended;
        return;
      }
      const msg = buffered.shift();
      if (msg) {
        yield toConsumed(msg);
        ch.ack(msg);
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await model.close().catch(() => undefined);
  }
}
