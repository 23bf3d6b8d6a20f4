import type { Logger } from '@ep/logger';
import type { ConsumerInfo, JetStreamClient } from '@nats-io/jetstream';
import type { Registry } from 'prom-client';
import { toDelivery, type Delivery } from './delivery.js';
import { createConsumeLoop, type ConsumerLoop, type Dispatcher } from './loop.js';
import { consumerMetrics } from './metrics.js';
import type { Outcome } from './outcome.js';
import { createSettler, type InvalidMessage, type Settler } from './settle.js';
import { Slots } from './slots.js';

/** Options shared by single-message and batch consumers. */
export interface ConsumerOptions<T> {
  js: JetStreamClient;
  stream: string;
  /** An existing durable pull consumer (see ensureConsumer). */
  durable: string;
  /** Names the loop in logs, metrics (`consumer` label) and the lifecycle; defaults to the durable. */
  name?: string;
  logger: Logger;
  /** Turns a delivery into a typed value, typically `(msg) => Schema.parse(msg.json())`; a throw terminates the message. */
  decode: (delivery: Delivery) => T;
  /** Told about every terminated message so the service can record it. */
  onInvalid?: (invalid: InvalidMessage) => void | Promise<void>;
  /** Redelivery delay after a handler failure, in ms (default 1000). */
  nakDelayMs?: number;
  /**
   * Wait for the server to confirm each ack (ackAck, default true), and log the ones it did not.
   * Off, a plain ack is sent and the handler's slot is free at once: about a request less per
   * message. Either way an ack lost on its way means one redelivery, so turn it off only where
   * handling twice is harmless and throughput matters (the notifier: a repeat keeps its
   * message_id).
   */
  confirmAcks?: boolean;
  /** Idle heartbeat of the pull requests, in ms (nats.js default: 15 s). Two missed re-open the iterator. */
  idleHeartbeatMs?: number;
  /** Metrics go here when given. */
  registry?: Registry;
  /** How long stop() waits for running handlers, in ms (default 10 s; below the lifecycle deadline). */
  stopTimeoutMs?: number;
}

export interface SingleConsumerOptions<T> extends ConsumerOptions<T> {
  /** Handlers running at once in this process. */
  concurrency: number;
  /**
   * A second bound on the decoded messages in hand: their summed weight (the store weighs a
   * readings batch by its samples), so that a few large messages cannot fill the process as many
   * small ones may. A message heavier than `max` still runs, alone. While it is full the loop
   * pulls nothing; the raw messages nats.js already holds are bounded by `prefetch`. A `weigh`
   * that throws or gives no finite number ≥ 0 terminates and reports the message, as a decode
   * failure does.
   */
  budget?: { max: number; weigh: (value: NoInfer<T>) => number };
  /** Messages nats.js keeps pulled ahead of the handlers (default: concurrency). */
  prefetch?: number;
  /** Does the work; resolve only once the side effect is durable. Throw PermanentError for messages that can never succeed. */
  handle: (value: NoInfer<T>, delivery: Delivery) => Promise<void>;
}

/** One decoded message of a batch. */
export interface BatchItem<T> {
  value: T;
  msg: Delivery;
}

export interface BatchConsumerOptions<T> extends ConsumerOptions<T> {
  /** Most messages per handleBatch call. The consumer's maxAckPending must be at least this. */
  maxBatch: number;
  /**
   * A second cut, by weight (the store weighs a readings message by its samples): a batch is
   * handed over once its summed weight reaches `max`, and a message that would take it past
   * `max` starts the next batch, so a batch never weighs more than `max` unless one message
   * does alone. A `weigh` that throws or gives no finite number ≥ 0 terminates and reports the
   * message, as a decode failure does.
   */
  budget?: { max: number; weigh: (value: NoInfer<T>) => number };
  /** Longest wait for a batch to fill after its first message, in ms; keep it well under ackWait. */
  maxWaitMs: number;
  /**
   * Batches handled at once in this process (default 1). While all are busy, a complete batch
   * waits for one (two at most: one cut by time, one by size) and nothing more is pulled, so a
   * process holds at most concurrency + 2 batches (plus `prefetch` raw messages in nats.js).
   */
  concurrency?: number;
  /** Messages nats.js keeps pulled ahead of the batches (default: maxBatch). */
  prefetch?: number;
  /**
   * Handles the items at once (one database transaction for many messages). Resolves either
   * nothing (every item acked) or one Outcome per item, in order: `outcome.ack`,
   * `outcome.nak(delayMs?)` or `outcome.term(reason)`, so one bad message does not decide the
   * others'. A throw settles the whole batch: nak'd (a PermanentError: terminated).
   */
  handleBatch: (items: BatchItem<NoInfer<T>>[]) => Promise<readonly Outcome[] | void>;
}

function common<T>(options: ConsumerOptions<T>) {
  const name = options.name ?? options.durable;
  const log = options.logger.child({ consumer: name, stream: options.stream, durable: options.durable });
  const controller = new AbortController();
  const settler: Settler<T> = createSettler(
    {
      name,
      log,
      metrics: consumerMetrics(options.registry, name),
      nakDelayMs: options.nakDelayMs ?? 1_000,
      confirmAcks: options.confirmAcks ?? true,
      ...(options.onInvalid ? { onInvalid: options.onInvalid } : {}),
    },
    options.decode,
  );
  const loop = (maxMessages: number, dispatcher: Dispatcher): ConsumerLoop =>
    createConsumeLoop({
      js: options.js,
      stream: options.stream,
      durable: options.durable,
      name,
      log,
      maxMessages,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      controller,
      dispatcher,
      ...(options.idleHeartbeatMs !== undefined ? { idleHeartbeatMs: options.idleHeartbeatMs } : {}),
    });
  return { log, signal: controller.signal, settler, loop };
}

/**
 * A consume loop handling one message at a time per handler, at most `concurrency` at once:
 * ack after `handle` resolves, nak (redeliver after nakDelayMs) when it throws, term and report
 * when the message cannot be decoded or the handler throws a PermanentError.
 */
export function createConsumer<T>(options: SingleConsumerOptions<T>): ConsumerLoop {
  const { budget } = options;
  // Weighing is part of decoding: a message that cannot be weighed cannot be handled either.
  const { log, signal, settler, loop } = common<{ value: T; weight: number }>({
    ...options,
    decode(delivery) {
      const value = options.decode(delivery);
      const weight = budget ? budget.weigh(value) : 1;
      if (!Number.isFinite(weight) || weight < 0)
        throw new Error(
          `the consumer's budget weighs this message ${weight}; a weight is a finite number ≥ 0`,
        );
      return { value, weight };
    },
  });
  const slots = new Slots(options.concurrency, signal, budget?.max);

  async function handleOne(value: T, delivery: Delivery, maxDeliver: number): Promise<void> {
    try {
      const done = settler.time();
      try {
        await options.handle(value, delivery);
      } catch (err) {
        done();
        await settler.failed([delivery], err, maxDeliver);
        return;
      }
      done();
      await settler.succeeded([delivery]);
    } catch (err) {
      // Only a bug in this library gets here; the message is redelivered after its ack wait.
      log.error({ err, seq: delivery.seq }, 'settling a message failed');
    }
  }

  return loop(options.prefetch ?? options.concurrency, {
    async dispatch(msg, consumer: ConsumerInfo) {
      const delivery = toDelivery(msg);
      // Decoded before it takes a slot, as the budget needs its weight. An undecodable message
      // is terminated and reported (onInvalid) before the next is pulled.
      const decoded = await settler.decode(delivery);
      if (!decoded.ok) return;
      const { value, weight } = decoded.value;
      const maxDeliver = consumer.config.max_deliver ?? -1;
      const started = await slots.run(() => handleOne(value, delivery, maxDeliver), weight);
      if (!started) settler.release(delivery);
    },
    release: (msg) => settler.release(toDelivery(msg)),
    hold: () => settler.hold(),
    flushHeld: () => settler.flushHeld(),
    pause: () => slots.pause(),
    resume: () => slots.resume(),
    drain: (timeoutMs) => slots.idle(timeoutMs),
  });
}

/**
 * A consume loop that gathers decoded messages into batches, cut at `maxBatch` messages, at the
 * budget's weight, or `maxWaitMs` after the first, and hands each to `handleBatch` in one call.
 * Each message then ends by its own outcome (all acked when none are returned); undecodable
 * messages never reach a batch: they are terminated and reported alone.
 */
export function createBatchConsumer<T>(options: BatchConsumerOptions<T>): ConsumerLoop {
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
    throw new Error(`maxBatch must be a positive integer, got ${options.maxBatch}`);
  }
  const { budget, maxBatch, maxWaitMs } = options;
  if (budget && !(budget.max > 0)) throw new Error(`budget.max must be positive, got ${budget.max}`);
  const weigh = budget?.weigh;
  const maxWeight = budget?.max ?? Infinity;
  const { log, signal, settler, loop } = common(options);
  const slots = new Slots(options.concurrency ?? 1, signal);
  let pending: BatchItem<T>[] = [];
  let pendingWeight = 0;
  let timer: NodeJS.Timeout | undefined;
  let maxDeliver = -1;
  // Paused: a message decoded meanwhile is given back rather than gathered.
  let held = false;

  // Settling (acks, and their confirmations) runs after the batch's slot is free: it needs none
  // of the handler's resources (a database connection), and the next batch should not wait a
  // round trip for it. stop() waits for it (drain).
  const settling = new Set<Promise<void>>();

  async function handle(items: BatchItem<T>[]): Promise<void> {
    const deliveries = items.map((i) => i.msg);
    const done = settler.time();
    let settled: Promise<void>;
    try {
      const outcomes = await options.handleBatch(items);
      done();
      settled =
        outcomes === undefined
          ? settler.succeeded(deliveries)
          : settler.settle(deliveries, outcomes, maxDeliver);
    } catch (err) {
      done();
      settled = settler.failed(deliveries, err, maxDeliver);
    }
    const p: Promise<void> = settled
      .catch((err: unknown) => {
        // Only a bug in this library gets here; the messages are redelivered after their ack wait.
        log.error({ err, seqs: deliveries.map((d) => d.seq) }, 'settling a batch failed');
      })
      .finally(() => settling.delete(p));
    settling.add(p);
  }

  /** The batch gathered so far, now closed. */
  function cut(): BatchItem<T>[] {
    clearTimeout(timer);
    timer = undefined;
    const items = pending;
    pending = [];
    pendingWeight = 0;
    return items;
  }

  async function flush(items: BatchItem<T>[]): Promise<void> {
    if (items.length === 0) return;
    const started = await slots.run(() => handle(items));
    if (!started) for (const item of items) settler.release(item.msg);
  }

  function weightOf(value: T): number {
    const weight = weigh!(value);
    if (!Number.isFinite(weight) || weight < 0)
      throw new Error(`the consumer's budget weighs this message ${weight}; a weight is a finite number ≥ 0`);
    return weight;
  }

  return loop(options.prefetch ?? maxBatch, {
    async dispatch(msg, consumer) {
      maxDeliver = consumer.config.max_deliver ?? -1;
      const delivery = toDelivery(msg);
      const decoded = await settler.decode(delivery);
      if (!decoded.ok) return;
      let weight = 0;
      if (weigh) {
        // Weighing is part of decoding: a message that cannot be weighed cannot be handled either.
        try {
          weight = weightOf(decoded.value);
        } catch (err) {
          await settler.reject(delivery, err, 'invalid');
          return;
        }
        if (pending.length > 0 && pendingWeight + weight > maxWeight) await flush(cut());
      }
      if (held || signal.aborted) {
        settler.release(delivery);
        return;
      }
      pending.push({ value: decoded.value, msg: delivery });
      pendingWeight += weight;
      if (pending.length >= maxBatch || pendingWeight >= maxWeight) await flush(cut());
      else if (pending.length === 1) timer = setTimeout(() => void flush(cut()), maxWaitMs);
    },
    release: (msg) => settler.release(toDelivery(msg)),
    hold: () => settler.hold(),
    flushHeld: () => settler.flushHeld(),
    pause() {
      // A batch still gathering was never handed over: give it back rather than start it now.
      held = true;
      slots.pause();
      for (const item of cut()) settler.release(item.msg);
    },
    resume() {
      held = false;
      slots.resume();
    },
    async drain(timeoutMs) {
      for (const item of cut()) settler.release(item.msg);
      const deadline = Date.now() + timeoutMs;
      if (!(await slots.idle(timeoutMs))) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      });
      const settled = await Promise.race([Promise.all([...settling]).then(() => true), timeout]);
      clearTimeout(timer);
      return settled;
    },
  });
}
