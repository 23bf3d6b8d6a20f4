import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import type { ConsumerInfo, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { backoffDelay, sleep, type BackoffOptions } from '@ep/lifecycle';

/** A consume loop, started and stopped by the service's lifecycle. */
export interface ConsumerLoop extends Resource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while a message iterator is open on the server (for /readyz). */
  readonly consuming: boolean;
  /**
   * Stops pulling until resume(), for a consumer whose downstream is away. Nothing new is
   * handed to the handlers; of what is in hand, a message (or batch) a handler already has
   * finishes and is settled by its outcome, and everything pulled but not yet handed over is
   * nak'd without delay once the iterator is closed (a flush round trip), so the server offers
   * it again at once, never after its ack wait. May be called before start() (the loop then
   * starts paused), and any number of times.
   */
  pause(reason?: string): void;
  /** Pulls again: a fresh iterator, from where the durable consumer stands. */
  resume(): void;
  readonly paused: boolean;
}

/** What the loop hands pulled messages to: one message at a time, or batches. */
export interface Dispatcher {
  /**
   * Takes one pulled message. Resolves when the loop may pull the next one, which is how
   * bounded concurrency pushes back on pulling.
   */
  dispatch(msg: JsMsg, consumer: ConsumerInfo): Promise<void>;
  /** Gives a message pulled after stop() or pause() back to the server. */
  release(msg: JsMsg): void;
  /** The loop paused: give back what was accepted but not handed to a handler; running ones go on. */
  pause(): void;
  resume(): void;
  /** Until flushHeld(), messages given back are only collected (the iterator is closing). */
  hold(): void;
  /** The iterator has closed: nak what was given back meanwhile. */
  flushHeld(): void;
  /** After pulling stopped: hand back what was accepted but not started, wait for the rest. */
  drain(timeoutMs: number): Promise<boolean>;
}

export interface LoopOptions {
  js: JetStreamClient;
  stream: string;
  durable: string;
  name: string;
  log: Logger;
  /** Messages nats.js keeps requested from the server ahead of the handlers. */
  maxMessages: number;
  idleHeartbeatMs?: number;
  stopTimeoutMs: number;
  /** Aborted by stop(); dispatchers watch it too. */
  controller: AbortController;
  dispatcher: Dispatcher;
}

// Between attempts to (re)open the iterator: quick at first (a consumer being re-created),
// capped so a long outage costs one request every few seconds.
const REOPEN_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 5_000 };

/**
 * The loop shared by single-message and batch consumers: open a `consume()` iterator on the
 * durable, feed the dispatcher, and open a new iterator whenever the old one fails or ends
 * (consumer deleted, heartbeats missed, connection closed) until stop().
 */
export function createConsumeLoop(options: LoopOptions): ConsumerLoop {
  const { js, stream, durable, name, log, controller, dispatcher } = options;
  const signal = controller.signal;
  let current: ConsumerMessages | undefined;
  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let firstAttempt: () => void = () => undefined;
  let paused = false;
  // Each pause() counts, so an iterator closed by one is re-opened at once, not after a backoff.
  let pauses = 0;
  let unpause: () => void = () => undefined;
  let unpaused: Promise<void> = Promise.resolve();
  const aborted = new Promise<void>((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );

  /**
   * Ends an iterator without stranding a message. Its subscription is drained rather than
   * closed: close() unsubscribes at once, and a message the server sent before it saw that would
   * be dropped by the client, un-acked until its ack wait; a drain flushes first, so each such
   * message still arrives and is given back. Messages given back meanwhile are nak'd only once
   * the iterator has ended (hold/flushHeld): a nak sent while the server may still hold one of
   * our pull requests was seen (nats-server 2.9) to redeliver the message into that dead
   * request, stranding it after all. The server drops a pull request nobody listens to, so
   * nothing more is sent. (nc.drain() drains every consume the same way; nats.js 3 does not
   * expose the subscription.)
   */
  function quiesce(messages: ConsumerMessages): void {
    dispatcher.hold();
    const sub = (messages as unknown as { sub?: Subscription }).sub;
    if (sub && !sub.isClosed() && !sub.isDraining()) sub.drain().catch(() => messages.close());
    else void messages.close();
  }

  async function open(): Promise<{ messages: ConsumerMessages; info: ConsumerInfo }> {
    // Workers never create consumers: provisioning (ensureConsumer) is done elsewhere, once.
    const consumer = await js.consumers.get(stream, durable);
    const info = await consumer.info(true);
    const messages = await consumer.consume({
      max_messages: options.maxMessages,
      // Fail the iterator when the consumer or stream disappears instead of waiting silently,
      // so the loop logs it and re-opens (with backoff) once it is provisioned again.
      abort_on_missing_resource: true,
      ...(options.idleHeartbeatMs !== undefined ? { idle_heartbeat: options.idleHeartbeatMs } : {}),
    });
    return { messages, info };
  }

  async function watch(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      switch (s.type) {
        case 'heartbeats_missed':
          // The pull request is lost (server restarted, route broken): start over with a fresh one.
          log.warn({ missed: s.count }, 'consumer heartbeats missed; re-opening');
          void messages.close();
          return;
        case 'consumer_deleted':
        case 'consumer_not_found':
        case 'stream_not_found':
          log.warn({ status: s }, 'consumer gone; re-opening once it is provisioned again');
          break;
        case 'no_responders':
        case 'exceeded_limits':
          log.warn({ status: s }, 'consumer pull problem');
          break;
        default:
          break;
      }
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      if (paused) {
        firstAttempt();
        await Promise.race([unpaused, aborted]);
        continue;
      }
      const opening = pauses;
      try {
        const { messages, info } = await open();
        current = messages;
        firstAttempt();
        void watch(messages).catch(() => undefined);
        if (signal.aborted || paused) quiesce(messages);
        else log.info({ stream, durable }, 'consuming');
        for await (const msg of messages) {
          attempt = 0;
          if (signal.aborted || paused) dispatcher.release(msg);
          else await dispatcher.dispatch(msg, info);
        }
        if (!signal.aborted && pauses === opening) log.warn('message iterator ended; re-opening');
      } catch (err) {
        firstAttempt();
        if (!signal.aborted) log.warn({ err, attempt }, 'consume failed; re-opening');
      } finally {
        current = undefined;
        dispatcher.flushHeld();
      }
      if (signal.aborted) break;
      // Closed by a pause: wait for resume (above), or re-open at once if it already came.
      if (pauses !== opening) continue;
      await sleep(backoffDelay(attempt++, REOPEN_BACKOFF), signal);
    }
  }

  return {
    name,
    get consuming() {
      return current !== undefined;
    },
    get paused() {
      return paused;
    },

    pause(reason) {
      if (paused || signal.aborted) return;
      paused = true;
      pauses += 1;
      unpaused = new Promise((resolve) => {
        unpause = resolve;
      });
      log.info({ reason }, 'consumer paused');
      // Hold first, so what the dispatcher gives back waits for the iterator to close.
      if (current) quiesce(current);
      dispatcher.pause();
    },

    resume() {
      if (!paused) return;
      paused = false;
      dispatcher.resume();
      log.info('consumer resumed');
      unpause();
    },

    async start() {
      if (running || signal.aborted) return;
      // Resolve start() after the first attempt either way: a missing consumer or NATS outage is
      // logged and retried in the background rather than failing the service's boot.
      const opened = new Promise<void>((resolve) => {
        firstAttempt = resolve;
      });
      running = run().catch((err: unknown) => log.error({ err }, 'consume loop crashed'));
      await Promise.race([opened, running]);
    },

    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + options.stopTimeoutMs;
        controller.abort();
        if (current) quiesce(current);
        // The loop ends as soon as the iterator has handed back its buffered messages, or the
        // pending consumers.get() request (bounded by the JetStream API timeout) returns.
        if (running) {
          const timeout = new AbortController();
          await Promise.race([running, sleep(options.stopTimeoutMs, timeout.signal)]);
          timeout.abort();
        }
        const finished = await dispatcher.drain(Math.max(0, deadline - Date.now()));
        if (finished) log.info('consumer stopped');
        else
          log.warn(
            { stopTimeoutMs: options.stopTimeoutMs },
            'handlers still running at stop; their messages will be redelivered',
          );
      })();
      return stopping;
    },
  };
}
