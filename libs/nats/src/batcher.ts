import { createHash } from 'node:crypto';

export interface BatcherOptions<T> {
  /** Most items per batch. */
  maxItems: number;
  /**
   * A second cut, by weight (a publisher weighs an item by its encoded bytes, to stay under the
   * server's max_payload): a batch is cut once its weight reaches `maxWeight`, and an item that
   * would take it past `maxWeight` starts the next one; an item heavier than that goes alone.
   */
  maxWeight?: number;
  weigh?: (item: T) => number;
  /** Longest wait for a batch to fill after its first item, in ms. */
  maxWaitMs: number;
  /**
   * Sends a batch; resolve only once it is durable (a JetStream PubAck). Batches are started in
   * the order they were cut and may overlap.
   */
  send: (items: T[]) => Promise<void>;
}

export interface Batcher<T> {
  /** Adds an item; resolves when its batch was sent, rejects with the batch's error. */
  add(item: T): Promise<void>;
  /**
   * Sends what is gathered now, without waiting for the batch to fill; resolves when every batch
   * sent so far has settled (sent or failed: each caller learns which from add()).
   */
  flush(): Promise<void>;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers items added one at a time (an MQTT message each) into batches sent together (one NATS
 * message), cut at `maxItems`, at `maxWeight` or `maxWaitMs` after the first item. Under a burst
 * the batches fill at once; a lone item waits at most `maxWaitMs`. Each caller learns whether
 * its own item was sent, so it acknowledges its source (a PUBACK) only then.
 */
export function createBatcher<T>(options: BatcherOptions<T>): Batcher<T> {
  const { maxItems, maxWaitMs, send } = options;
  if (!Number.isInteger(maxItems) || maxItems < 1)
    throw new Error(`maxItems must be a positive integer, got ${maxItems}`);
  const maxWeight = options.maxWeight ?? Infinity;
  const weigh = options.weigh ?? (() => 0);
  let pending: Pending<T>[] = [];
  let weight = 0;
  let timer: NodeJS.Timeout | undefined;
  const sending = new Set<Promise<void>>();

  function cut(): void {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    weight = 0;
    if (batch.length === 0) return;
    // Through a promise, so that a send that throws at once fails its batch rather than the caller.
    const p: Promise<void> = Promise.resolve(batch.map((e) => e.item))
      .then(send)
      .then(
        () => {
          for (const entry of batch) entry.resolve();
        },
        (err: unknown) => {
          for (const entry of batch) entry.reject(err);
        },
      );
    const tracked = p.finally(() => sending.delete(tracked));
    sending.add(tracked);
  }

  return {
    add(item) {
      const w = weigh(item);
      if (pending.length > 0 && weight + w > maxWeight) cut();
      const done = new Promise<void>((resolve, reject) => pending.push({ item, resolve, reject }));
      weight += w;
      if (pending.length >= maxItems || weight >= maxWeight) cut();
      else if (pending.length === 1) timer = setTimeout(cut, maxWaitMs);
      return done;
    },
    async flush() {
      cut();
      await Promise.all([...sending]);
    },
  };
}

/**
 * A deterministic msgID for a message carrying many items (`<kind>:<hash of their ids>:<count>`):
 * the same items in the same order give the same id, so a publish retried, or a batch re-sent
 * after a redelivery, is stored once by the stream's duplicate window.
 */
export function batchMsgID(kind: string, ids: Iterable<string>): string {
  const hash = createHash('sha256');
  let count = 0;
  for (const id of ids) {
    hash.update(id).update('\n');
    count++;
  }
  return `${kind}:${hash.digest('base64url').slice(0, 22)}:${count}`;
}
