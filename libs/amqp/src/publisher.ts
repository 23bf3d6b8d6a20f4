import type { Logger } from '@ep/logger';
import { connect, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import type { Registry } from 'prom-client';
import { backoffDelay, type BackoffOptions } from '@ep/lifecycle';
import { AmqpPublishError } from './errors.js';
import { createPublisherMetrics } from './metrics.js';

/**
 * - `disconnected`: not connected (before the first connect, or reconnecting); publish rejects.
 * - `connected`: publish is accepted.
 * - `blocked`: connected, but the broker has a resource alarm; publish rejects until it clears.
 * - `stopped`: after stop(); final.
 */
export type PublisherState = 'disconnected' | 'connected' | 'blocked' | 'stopped';

/** A mandatory message the broker could not route to any queue (basic.return). */
export interface ReturnedMessage {
  messageId: string | undefined;
  type: string | undefined;
  replyCode: number;
  replyText: string;
  exchange: string;
  routingKey: string;
  content: Buffer;
}

export interface AmqpPublisherOptions {
  /** amqp:// or amqps:// URL; `?heartbeat=` and other amqplib query options apply. */
  url: string;
  /** Declared durable on every (re)connect, so a broker that lost it gets it back. */
  exchange: string;
  exchangeType?: 'fanout' | 'topic' | 'direct' | 'headers';
  logger: Logger;
  /** In logs, metric labels and as the connection name in the RabbitMQ management UI. */
  name?: string;
  /** Reconnect delays (exponential with jitter); defaults to 500 ms growing to 30 s. */
  reconnect?: BackoffOptions;
  /**
   * Publish with the mandatory flag: a message no queue is bound to comes back as basic.return
   * (counted, logged and passed to `onReturned`) instead of being dropped without a trace. The
   * broker still confirms it, so publish() resolves: it did take responsibility for it.
   */
  mandatory?: boolean;
  onReturned?: (message: ReturnedMessage) => void;
  /** Where the ep_amqp_* metrics go; no metrics when absent. */
  registry?: Registry;
  /** How long stop() waits for outstanding confirms before closing anyway (default 5 s). */
  stopTimeoutMs?: number;
}

export interface PublishProperties {
  /** message_id; consumers de-duplicate on it, so a retried publish must reuse it. */
  messageId: string;
  /** The event name. */
  type: string;
  contentType: string;
  /** Defaults to now; sent as AMQP timestamp, i.e. whole seconds since the epoch. */
  timestamp?: Date;
  /** Trace context and other application headers. */
  headers?: Record<string, unknown>;
  /** Ignored by fanout exchanges. */
  routingKey?: string;
}

export interface AmqpPublisher {
  readonly name: string;
  /** True while a connection and confirm channel are open (also while blocked). */
  readonly connected: boolean;
  readonly state: PublisherState;
  /**
   * Makes one connection attempt and resolves whatever its outcome: when the broker is down,
   * `connected` stays false and the publisher keeps retrying in the background (readiness
   * reports it), so a service can start before its broker. Calling it again does nothing.
   */
  start(): Promise<void>;
  /**
   * Cancels reconnect timers, waits (up to `stopTimeoutMs`) for confirms of messages already
   * sent, closes the connection. Idempotent: later calls return the same promise.
   */
  stop(): Promise<void>;
  /**
   * Publishes one persistent message and resolves once the broker confirmed it (basic.ack).
   * Never waits for a connection: when disconnected or blocked it rejects at once with an
   * AmqpPublishError (`not-connected`, `blocked`), so the caller's own retry policy applies;
   * it also rejects on basic.nack and when the connection drops before the confirm. When the
   * socket buffer is full it waits for it to drain before sending.
   */
  publish(body: Buffer, props: PublishProperties): Promise<void>;
  /** Calls `listener` on every state change; returns a function that removes it. */
  onStateChange(listener: (state: PublisherState) => void): () => void;
}

/** The parts of amqplib 0.10's connection that coalesceWrites uses (not its public API). */
interface MuxedConnection {
  connection?: {
    stream?: { cork?: () => void; uncork?: () => void };
    muxer?: { _readIncoming?: () => void };
  };
}

/**
 * amqplib writes every frame of the messages waiting on its channels with its own socket write
 * (its muxer loops over them once per event-loop turn): a burst of small messages then costs a
 * system call each, the notifier's largest single cost in a test-stand burst (profile). Corking
 * the socket for that loop sends them with one writev. The internals are checked first: with
 * another amqplib this does nothing, and messages go out as before.
 */
function coalesceWrites(model: ChannelModel): void {
  const connection = (model as unknown as MuxedConnection).connection;
  const socket = connection?.stream;
  const muxer = connection?.muxer;
  const read = muxer?._readIncoming;
  if (!socket?.cork || !socket.uncork || !muxer || typeof read !== 'function') return;
  muxer._readIncoming = function readCorked(this: unknown) {
    socket.cork!();
    try {
      read.call(this);
    } finally {
      socket.uncork!();
    }
  };
}

const RETURN_WARNING_EVERY_MS = 60_000;
const DEFAULT_RECONNECT: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** A RabbitMQ publisher on a confirm channel that reconnects by itself. */
export function createAmqpPublisher(options: AmqpPublisherOptions): AmqpPublisher {
  const { url, exchange } = options;
  const exchangeType = options.exchangeType ?? 'fanout';
  const name = options.name ?? `amqp:${exchange}`;
  const reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const logger = options.logger.child({ component: name, exchange });
  const metrics = createPublisherMetrics(options.registry, { publisher: name, exchange });
  const listeners = new Set<(state: PublisherState) => void>();

  let state: PublisherState = 'disconnected';
  let model: ChannelModel | undefined;
  let channel: ConfirmChannel | undefined;
  // Set while the channel's write buffer is over its high-water mark; publishes wait on it.
  let drained: Promise<void> | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;
  let connecting: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt = 0;
  let returnedSinceWarning = 0;
  let lastReturnWarning = -Infinity;

  function setState(next: PublisherState): void {
    if (state === next || state === 'stopped') return;
    state = next;
    metrics.connected(next === 'connected' || next === 'blocked');
    for (const listener of listeners) {
      try {
        listener(next);
      } catch (err) {
        logger.error({ err }, 'state listener threw');
      }
    }
  }

  async function open(): Promise<void> {
    const m = await connect(url, { clientProperties: { connection_name: name } });
    // The broker may announce an alarm right after the handshake, before `model` is set.
    let blocked = false;
    // amqplib emits 'error' before 'close'; without a listener an 'error' would crash the process.
    m.on('error', (err: Error) => logger.warn({ err }, 'connection error'));
    m.on('close', () => lost(m, 'connection closed'));
    m.on('blocked', (reason: string) => {
      blocked = true;
      logger.warn({ reason }, 'broker blocked publishing (resource alarm)');
      if (model === m) setState('blocked');
    });
    m.on('unblocked', () => {
      blocked = false;
      logger.info('broker unblocked publishing');
      if (model === m) setState('connected');
    });

    coalesceWrites(m);
    let ch: ConfirmChannel;
    try {
      ch = await m.createConfirmChannel();
      ch.on('error', (err: Error) => logger.warn({ err }, 'channel error'));
      // On a connection loss the channel closes first, inside amqplib's teardown: let the
      // connection's own 'close' run before we close anything ourselves.
      ch.on('close', () => setImmediate(() => lost(m, 'channel closed')));
      ch.on('return', (msg: Message) => onReturn(msg));
      await ch.assertExchange(exchange, exchangeType, { durable: true });
    } catch (err) {
      await m.close().catch(() => undefined);
      throw err;
    }
    if (stopping) {
      await m.close().catch(() => undefined);
      return;
    }
    model = m;
    channel = ch;
    drained = undefined;
    attempt = 0;
    logger.info({ exchangeType }, 'connected; exchange declared');
    setState(blocked ? 'blocked' : 'connected');
  }

  function lost(m: ChannelModel, why: string): void {
    if (model !== m) return;
    model = undefined;
    channel = undefined;
    drained = undefined;
    logger.warn({ why }, 'lost the broker; unconfirmed publishes are rejected');
    // A channel closed by the server leaves its connection open; a dead connection ignores this.
    m.close().catch(() => undefined);
    setState('disconnected');
    scheduleRetry();
  }

  function scheduleRetry(): void {
    if (stopping || retryTimer) return;
    const delayMs = backoffDelay(attempt, reconnect);
    attempt += 1;
    logger.info({ delayMs, attempt }, 'reconnecting');
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void attemptConnect();
    }, delayMs);
  }

  function attemptConnect(): Promise<void> {
    connecting = open().then(
      () => undefined,
      (err: unknown) => {
        logger.warn({ err, attempt }, 'could not connect to the broker');
        scheduleRetry();
      },
    );
    return connecting;
  }

  function onReturn(msg: Message): void {
    metrics.returned();
    // amqplib puts basic.return's reply code and text into `fields`; its types do not say so.
    const fields = msg.fields as typeof msg.fields & { replyCode: number; replyText: string };
    const returned: ReturnedMessage = {
      messageId: msg.properties.messageId as string | undefined,
      type: msg.properties.type as string | undefined,
      replyCode: fields.replyCode,
      replyText: fields.replyText,
      exchange: fields.exchange,
      routingKey: fields.routingKey,
      content: msg.content,
    };
    // With no queue bound every message comes back: one warning a minute with the count, not a
    // line per message that would bury everything else (make dev, before anyone binds a queue).
    returnedSinceWarning += 1;
    const now = Date.now();
    if (now - lastReturnWarning >= RETURN_WARNING_EVERY_MS) {
      logger.warn(
        {
          returned: returnedSinceWarning,
          messageId: returned.messageId,
          type: returned.type,
          replyText: returned.replyText,
        },
        'messages returned: no queue is bound (all counted in ep_amqp_returned_total; at most one such warning a minute)',
      );
      returnedSinceWarning = 0;
      lastReturnWarning = now;
    }
    try {
      options.onReturned?.(returned);
    } catch (err) {
      logger.error({ err }, 'onReturned threw');
    }
  }

  function waitForDrain(ch: ConfirmChannel): void {
    if (drained) return;
    const pending = new Promise<void>((resolve) => {
      // A closed channel never drains: release the waiters, they then find no channel.
      const done = () => {
        ch.off('drain', done);
        ch.off('close', done);
        if (drained === pending) drained = undefined;
        resolve();
      };
      ch.on('drain', done);
      ch.on('close', done);
    });
    drained = pending;
  }

  function send(ch: ConfirmChannel, body: Buffer, props: PublishProperties): Promise<void> {
    metrics.published();
    const sentAt = performance.now();
    return new Promise<void>((resolve, reject) => {
      const onConfirm = (err: unknown) => {
        if (err == null) {
          metrics.confirmed((performance.now() - sentAt) / 1000);
          resolve();
        } else if (err instanceof Error && err.message === 'message nacked') {
          metrics.nacked();
          reject(
            new AmqpPublishError('nacked', `RabbitMQ nacked message ${props.messageId}`, { cause: err }),
          );
        } else {
          reject(
            new AmqpPublishError(
              'connection-lost',
              `connection lost before RabbitMQ confirmed ${props.messageId}`,
              {
                cause: err,
              },
            ),
          );
        }
      };
      try {
        const ok = ch.publish(
          exchange,
          props.routingKey ?? '',
          body,
          {
            persistent: true,
            mandatory: options.mandatory ?? false,
            messageId: props.messageId,
            type: props.type,
            contentType: props.contentType,
            timestamp: Math.floor((props.timestamp ?? new Date()).getTime() / 1000),
            headers: props.headers,
          },
          onConfirm,
        );
        // false means "buffered, but stop writing": the message is sent, later ones wait.
        if (!ok) waitForDrain(ch);
      } catch (err) {
        // amqplib throws synchronously on a channel that already closed.
        reject(
          new AmqpPublishError('connection-lost', `channel closed before publishing ${props.messageId}`, {
            cause: err,
          }),
        );
      }
    });
  }

  return {
    name,
    get connected() {
      return channel !== undefined;
    },
    get state() {
      return state;
    },

    async start() {
      if (started || stopping) return;
      started = true;
      await attemptConnect();
    },

    stop() {
      stopping ??= (async () => {
        clearTimeout(retryTimer);
        retryTimer = undefined;
        await connecting;
        const m = model;
        const ch = channel;
        model = undefined;
        channel = undefined;
        if (m && ch) {
          // Closing the channel discards confirms still on their way: wait for them first.
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), stopTimeoutMs);
          });
          const outcome = await Promise.race([ch.waitForConfirms().catch(() => undefined), timeout]);
          clearTimeout(timer);
          if (outcome === 'timeout') logger.warn({ stopTimeoutMs }, 'closing with unconfirmed messages');
          await m.close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
        }
        setState('stopped');
        logger.info('stopped');
      })();
      return stopping;
    },

    async publish(body, props) {
      if (stopping) throw new AmqpPublishError('stopped', `${name} is stopped`);
      while (drained) await drained;
      if (stopping) throw new AmqpPublishError('stopped', `${name} is stopped`);
      const ch = channel;
      if (!ch)
        throw new AmqpPublishError('not-connected', `${name} is not connected to RabbitMQ (reconnecting)`);
      if (state === 'blocked') {
        throw new AmqpPublishError('blocked', 'RabbitMQ is blocking publishers (memory or disk alarm)');
      }
      await send(ch, body, props);
    },

    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
