import amqp, { type ConsumeMessage } from 'amqplib';
import { queueArguments, type TapOptions } from './args.js';

/** One received message as the tap prints it. */
export interface TappedMessage {
  messageId: string | undefined;
  type: string | undefined;
  /** AMQP timestamp (seconds since the epoch) as ISO time. */
  timestamp: string | undefined;
  headers: Record<string, unknown>;
  redelivered: boolean;
  bytes: number;
  body?: unknown;
}

export interface Tap {
  /** The queue bound (the broker's name for a temporary queue). */
  queue: string;
  /** Resolves when `count` messages were printed or stop() was called. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export function describeMessage(msg: ConsumeMessage, bodies: boolean): TappedMessage {
  const { properties } = msg;
  const out: TappedMessage = {
    messageId: properties.messageId as string | undefined,
    type: properties.type as string | undefined,
    timestamp:
      typeof properties.timestamp === 'number'
        ? new Date(properties.timestamp * 1000).toISOString()
        : undefined,
    headers: (properties.headers ?? {}) as Record<string, unknown>,
    redelivered: msg.fields.redelivered,
    bytes: msg.content.length,
  };
  if (bodies) {
    const text = msg.content.toString('utf8');
    try {
      out.body = properties.contentType === 'application/json' ? JSON.parse(text) : text;
    } catch {
      out.body = text;
    }
  }
  return out;
}

/**
 * Declares the exchange (durable fanout, as the notifier does) and the queue with its TTL /
 * dead-letter arguments, binds them and hands every message to `print`, acking it afterwards.
 */
export async function startTap(options: TapOptions, print: (message: TappedMessage) => void): Promise<Tap> {
  const connection = await amqp.connect(options.url);
  let closed = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  connection.on('error', () => undefined);
  connection.on('close', () => {
    closed = true;
    finish();
  });
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange(options.exchange, 'fanout', { durable: true });
    const args = queueArguments(options);
    const declared = options.queue
      ? await channel.assertQueue(options.queue, { durable: true, arguments: args })
      : await channel.assertQueue('', { exclusive: true, autoDelete: true, arguments: args });
    await channel.bindQueue(declared.queue, options.exchange, '');
    await channel.prefetch(options.prefetch);
    let seen = 0;
    if (options.count === 0) finish();
    await channel.consume(declared.queue, (msg) => {
      if (!msg) return finish(); // the broker cancelled the consumer (queue deleted)
      if (options.count !== undefined && seen >= options.count) return;
      print(describeMessage(msg, options.bodies));
      channel.ack(msg);
      seen += 1;
      if (options.count !== undefined && seen >= options.count) finish();
    });
    return {
      queue: declared.queue,
      done,
      async stop() {
        finish();
        if (!closed) await connection.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}
