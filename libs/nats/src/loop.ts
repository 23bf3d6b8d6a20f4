import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import type { ConsumerInfo, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { backoffDelay, sleep, type BackoffOptions } from '@ep/lifecycle';

/** A consume loop, started and stopped by the service's lifecycle. */
export interface ConsumerLoop extends Resource {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while a message iterator is open on the server (for /readyz). */
  readonly consuming: boolean;
}

/** What the loop hands pulled messages to: one message at a time, or batches. */
export interface Dispatcher {
  /**
   * Takes one pulled message. Resolves when the loop may pull the next one, which is how
   * bounded concurrency pushes back on pulling.
   */
  dispatch(msg: JsMsg, consumer: ConsumerInfo): Promise<void>;
  /** Gives a message pulled after stop() back to the server. */
  release(msg: JsMsg): void;
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
      try {
        const { messages, info } = await open();
        current = messages;
        firstAttempt();
        void watch(messages).catch(() => undefined);
        if (signal.aborted) void messages.close();
        else log.info({ stream, durable }, 'consuming');
        for await (const msg of messages) {
          attempt = 0;
          if (signal.aborted) dispatcher.release(msg);
          else await dispatcher.dispatch(msg, info);
        }
        if (!signal.aborted) log.warn('message iterator ended; re-opening');
      } catch (err) {
        firstAttempt();
        if (!signal.aborted) log.warn({ err, attempt }, 'consume failed; re-opening');
      } finally {
        current = undefined;
      }
      if (signal.aborted) break;
      await sleep(backoffDelay(attempt++, REOPEN_BACKOFF), signal);
    }
  }

  return {
    name,
    get consuming() {
      return current !== undefined;
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
        void current?.close();
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
