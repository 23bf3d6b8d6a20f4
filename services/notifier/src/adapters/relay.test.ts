import { describe, expect, it } from '@jest/globals';
import type { Delivery } from '@ep/nats';
import { storedReadingsEvent, storedTeststandEvent, storedTeststandEvents } from '@ep/testkit';
import { decodeEnvelope } from '../domain/envelope.js';
import type { NotifierMetrics } from './metrics.js';
import { createRelay } from './relay.js';
import { Window } from './window.js';

/** A publisher whose confirms the test gives (or refuses) by message id. */
function fakePublisher() {
  const pending = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  const published: string[] = [];
  return {
    published,
    pending,
    publish(_body: Buffer, options: { messageId?: string }) {
      const id = options.messageId ?? '';
      published.push(id);
      return new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    confirm(id: string) {
      pending.get(id)?.resolve();
      pending.delete(id);
    },
    nack(id: string) {
      pending.get(id)?.reject(new Error('nacked'));
      pending.delete(id);
    },
  };
}

function delivery(event: unknown): Delivery {
  return { headers: {}, data: Buffer.from(JSON.stringify(event)) } as unknown as Delivery;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createRelay', () => {
  const batch = storedTeststandEvents([1, 2, 3].map((n) => storedTeststandEvent(n)));
  const ids = batch.events.map((e) => e.event.eventId);

  function relay(windowSize: number, maxMessageBytes = 1_000_000) {
    const publisher = fakePublisher();
    const relayed: Parameters<NotifierMetrics['relayed']>[] = [];
    const handle = createRelay({
      publisher,
      window: new Window(windowSize),
      maxMessageBytes,
      metrics: { relayed: (...args) => void relayed.push(args) },
    });
    return { publisher, relayed, handle };
  }

  it('has every event of a batch in flight at once and resolves only when the broker confirmed each', async () => {
    const { publisher, relayed, handle } = relay(64);
    let done = false;
    const handled = handle(decodeEnvelope(delivery(batch).data), delivery(batch)).then(() => {
      done = true;
    });
    await settle();
    expect(publisher.published).toEqual(ids);
    publisher.confirm(ids[2]!);
    publisher.confirm(ids[0]!);
    await settle();
    expect(done).toBe(false);
    publisher.confirm(ids[1]!);
    await handled;
    // Counted as three test-stand events in three messages, not as one split event.
    expect(relayed).toEqual([['teststand.stored', 3, 3, expect.any(Number)]]);
  });

  it('goes through the confirm window: no more unconfirmed messages than it allows', async () => {
    const { publisher, handle } = relay(2);
    const handled = handle(decodeEnvelope(delivery(batch).data), delivery(batch));
    await settle();
    expect(publisher.published).toEqual(ids.slice(0, 2));
    publisher.confirm(ids[0]!);
    await settle();
    expect(publisher.published).toEqual(ids);
    publisher.confirm(ids[1]!);
    publisher.confirm(ids[2]!);
    await handled;
  });

  it('fails the whole NATS message when one event of the batch is not confirmed', async () => {
    const { publisher, relayed, handle } = relay(64);
    const handled = handle(decodeEnvelope(delivery(batch).data), delivery(batch));
    await settle();
    publisher.confirm(ids[0]!);
    publisher.nack(ids[1]!);
    publisher.confirm(ids[2]!);
    await expect(handled).rejects.toThrow('nacked');
    expect(relayed).toEqual([]);
  });

  it('counts a split readings event as one event in its parts', async () => {
    const event = storedReadingsEvent(6, 400);
    const d = delivery(event);
    const { publisher, relayed, handle } = relay(64, Math.ceil(d.data.byteLength / 3));
    const handled = handle(decodeEnvelope(d.data), d);
    await settle();
    expect(publisher.published.length).toBeGreaterThanOrEqual(3);
    for (const id of [...publisher.pending.keys()]) publisher.confirm(id);
    await handled;
    expect(relayed).toEqual([['readings.stored', 1, publisher.published.length, expect.any(Number)]]);
  });
});
