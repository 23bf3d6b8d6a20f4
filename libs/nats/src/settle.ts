import type { Logger } from '@ep/logger';
import type { Delivery } from './delivery.js';
import { PermanentError } from './errors.js';
import type { ConsumerMetrics, TerminateReason } from './metrics.js';
import type { Outcome } from './outcome.js';

/** What `onInvalid` is told about a message that was terminated instead of handled. */
export interface InvalidMessage {
  /** The consume loop's name. */
  consumer: string;
  subject: string;
  /** Stream sequence, to look the message up in the stream later. */
  seq: number;
  deliveryCount: number;
  /** invalid: decode threw; permanent: the handler threw a PermanentError; exhausted: max deliveries reached. */
  reason: TerminateReason;
  error: unknown;
  data: Uint8Array;
  headers: Record<string, string>;
}

export interface SettlerOptions {
  name: string;
  log: Logger;
  metrics: ConsumerMetrics;
  onInvalid?: (invalid: InvalidMessage) => void | Promise<void>;
  /** Redelivery delay after a handler failure, in ms. */
  nakDelayMs: number;
  /** Wait for the server to confirm each ack (see ConsumerOptions.confirmAcks). */
  confirmAcks: boolean;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false };

// Acks and naks are publishes: on a closed connection nats.js throws. The message is then
// redelivered after its ack wait, which is the outcome we want anyway.
function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    /* the server redelivers */
  }
}

/** How each delivery ends: ack after success, nak after a transient failure, term otherwise. */
export function createSettler<T>(options: SettlerOptions, decode: (delivery: Delivery) => T) {
  const { name, log, metrics, onInvalid, nakDelayMs, confirmAcks } = options;
  let held: Delivery[] | undefined;

  async function reject(delivery: Delivery, error: unknown, reason: TerminateReason): Promise<void> {
    // Term first: a message that cannot be handled must never loop, even if recording it fails.
    quietly(() => delivery.raw.term());
    metrics.terminated(reason, 1);
    const level = reason === 'exhausted' ? 'error' : 'warn';
    log[level](
      {
        err: error,
        subject: delivery.subject,
        seq: delivery.seq,
        deliveryCount: delivery.deliveryCount,
        reason,
      },
      'message terminated',
    );
    if (!onInvalid) return;
    try {
      await onInvalid({
        consumer: name,
        subject: delivery.subject,
        seq: delivery.seq,
        deliveryCount: delivery.deliveryCount,
        reason,
        error,
        data: delivery.data,
        headers: delivery.headers,
      });
    } catch (err) {
      log.error({ err, seq: delivery.seq }, 'onInvalid failed; the message stays in the stream at this seq');
    }
  }

  async function succeeded(deliveries: Delivery[]): Promise<void> {
    metrics.handled(deliveries.length);
    if (!confirmAcks) {
      for (const d of deliveries) quietly(() => d.raw.ack());
      return;
    }
    const confirmed = await Promise.all(
      deliveries.map((d) =>
        d.raw.ackAck().then(
          (ok) => ok,
          () => false,
        ),
      ),
    );
    const lost = deliveries.filter((_, i) => !confirmed[i]).map((d) => d.seq);
    if (lost.length > 0) {
      // Handled but the ack did not arrive: the message comes again, and handlers are idempotent.
      log.warn({ seqs: lost }, 'ack not confirmed; the message will be redelivered');
    }
  }

  /** Nak for redelivery after `delayMs`; a delivery that was the last allowed is terminated as exhausted. */
  async function retry(deliveries: Delivery[], error: unknown, maxDeliver: number, delayMs: number) {
    const exhausted = deliveries.filter((d) => maxDeliver > 0 && d.deliveryCount >= maxDeliver);
    const retried = exhausted.length === 0 ? deliveries : deliveries.filter((d) => !exhausted.includes(d));
    for (const d of retried) quietly(() => d.raw.nak(delayMs));
    metrics.failed(deliveries.length);
    if (retried.length > 0) {
      log.warn(
        { err: error, seqs: retried.map((d) => d.seq), nakDelayMs: delayMs },
        'handler failed; message will be redelivered',
      );
    }
    for (const d of exhausted) {
      const cause = error instanceof Error ? error.message : String(error);
      await reject(
        d,
        new Error(`gave up after ${d.deliveryCount} deliveries: ${cause}`, { cause: error }),
        'exhausted',
      );
    }
  }

  return {
    reject,
    time: metrics.time,

    /** Decodes, or terminates and reports the message when it cannot be decoded. */
    async decode(delivery: Delivery): Promise<Decoded<T>> {
      try {
        return { ok: true, value: decode(delivery) };
      } catch (err) {
        await reject(delivery, err, 'invalid');
        return { ok: false };
      }
    },

    /** Acks after the side effect is durable; waits for the server to confirm each ack, if asked to. */
    succeeded,

    /**
     * A handler threw. PermanentError → terminate; the last allowed delivery → terminate as
     * exhausted (so it is recorded rather than silently dropped by the server); else nak.
     */
    async failed(deliveries: Delivery[], error: unknown, maxDeliver: number): Promise<void> {
      if (error instanceof PermanentError) {
        for (const d of deliveries) await reject(d, error, 'permanent');
        return;
      }
      await retry(deliveries, error, maxDeliver, nakDelayMs);
    },

    /**
     * Settles each delivery of a batch by its own outcome (same order): acks together (as
     * succeeded), naks after their delay (as failed), terms recorded as a PermanentError is.
     * Outcomes that do not match the batch one to one are a bug in the handler: all are nak'd.
     */
    async settle(deliveries: Delivery[], outcomes: readonly Outcome[], maxDeliver: number): Promise<void> {
      if (!Array.isArray(outcomes) || outcomes.length !== deliveries.length) {
        const got = Array.isArray(outcomes) ? `${outcomes.length} outcomes` : String(outcomes);
        const error = new Error(`handleBatch returned ${got} for a batch of ${deliveries.length}`);
        await retry(deliveries, error, maxDeliver, nakDelayMs);
        return;
      }
      let acked: Delivery[] | undefined;
      let naked: Map<number, Delivery[]> | undefined;
      for (let i = 0; i < deliveries.length; i++) {
        const d = deliveries[i]!;
        const o = outcomes[i]!;
        if (o.kind === 'ack') (acked ??= []).push(d);
        else if (o.kind === 'nak') {
          const delay = o.delayMs ?? nakDelayMs;
          naked ??= new Map();
          const group = naked.get(delay);
          if (group) group.push(d);
          else naked.set(delay, [d]);
        } else {
          const error = o.reason instanceof Error ? o.reason : new PermanentError(o.reason);
          await reject(d, error, 'permanent');
        }
      }
      if (naked) {
        for (const [delay, group] of naked)
          await retry(group, new Error('the batch handler asked for a redelivery'), maxDeliver, delay);
      }
      if (acked) await succeeded(acked);
    },

    /**
     * Hands a message that was pulled but never started back to the server for prompt
     * redelivery; between hold() and flushHeld() the nak waits (see ConsumerLoop.pause).
     */
    release(delivery: Delivery): void {
      if (held) held.push(delivery);
      else quietly(() => delivery.raw.nak());
    },

    /** From now on release() only collects, until flushHeld(). */
    hold(): void {
      held ??= [];
    },

    /** Naks what release() collected since hold(), and releases at once again. */
    flushHeld(): void {
      const list = held;
      held = undefined;
      if (list) for (const d of list) quietly(() => d.raw.nak());
    },
  };
}

export type Settler<T> = ReturnType<typeof createSettler<T>>;
