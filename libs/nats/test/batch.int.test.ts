import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import { consumerLag, createBatchConsumer, outcome, publish, type InvalidMessage } from '../src/index.js';
import { natsFixture, sleep, testLogger, type NatsFixture } from './helpers.js';

const encoder = new TextEncoder();

interface Reading {
  n: number;
}
const parseReading = (v: unknown): Reading => {
  if (typeof v !== 'object' || v === null || typeof (v as Reading).n !== 'number')
    throw new Error('not a reading');
  return { n: (v as Reading).n };
};

describe('batch consumer', () => {
  let f: NatsFixture;
  beforeAll(async () => {
    f = await natsFixture('batch');
  });
  afterAll(async () => {
    await f.close();
  });

  it('a batch with one undecodable message terms that one and acks the rest', async () => {
    const ackWaitMs = 1_000;
    const s = await f.stream({ ackWaitMs });
    const batches: number[][] = [];
    const invalid: InvalidMessage[] = [];
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'u-1' });
    await publish(f.js, s.subject, encoder.encode('{"n": 2,'), { msgID: 'u-2' });
    await publish(f.js, s.subject, { n: 3 }, { msgID: 'u-3' });
    await publish(f.js, s.subject, { n: 4 }, { msgID: 'u-4' });
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        maxBatch: 10,
        maxWaitMs: 200,
        decode: (msg) => parseReading(msg.json()),
        onInvalid: (m) => {
          invalid.push(m);
        },
        handleBatch: async (items) => {
          batches.push(items.map((i) => i.value.n));
          return items.map(() => outcome.ack);
        },
      }),
    );
    await loop.start();
    await waitFor(() => batches.flat().length === 3 && invalid.length === 1, { what: 'all four settled' });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'acks' });
    // Past two ack waits: a message left un-acked or nak'd would have come back by now.
    await sleep(2.5 * ackWaitMs);
    expect(batches).toEqual([[1, 3, 4]]);
    expect(invalid.map((m) => [m.seq, m.reason, m.deliveryCount])).toEqual([[2, 'invalid', 1]]);
    expect(new TextDecoder().decode(invalid[0]!.data)).toBe('{"n": 2,');
    const info = await f.jsm.consumers.info(s.name, s.durable);
    expect(info.num_redelivered).toBe(0);
    await loop.stop();
  });

  it('settles each message of a batch by its own outcome: ack, nak after a delay, term with a reason', async () => {
    const s = await f.stream({ ackWaitMs: 30_000 });
    const calls: [number, number][][] = [];
    const invalid: InvalidMessage[] = [];
    for (const n of [1, 2, 3]) await publish(f.js, s.subject, { n }, { msgID: `o-${n}` });
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        maxBatch: 10,
        maxWaitMs: 100,
        decode: (msg) => parseReading(msg.json()),
        onInvalid: (m) => {
          invalid.push(m);
        },
        handleBatch: async (items) => {
          calls.push(items.map((i) => [i.value.n, i.msg.deliveryCount]));
          return items.map(({ value, msg }) => {
            if (value.n === 2 && msg.deliveryCount === 1) return outcome.nak(400);
            if (value.n === 3) return outcome.term(`site "atlantis" of reading ${value.n} does not exist`);
            return outcome.ack;
          });
        },
      }),
    );
    const started = Date.now();
    await loop.start();
    await waitFor(() => calls.length === 2, { what: 'the nak-ed message back' });
    const back = Date.now() - started;
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'all settled' });
    await sleep(500);
    expect(calls).toEqual([
      [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      [[2, 2]],
    ]);
    // Redelivered after its own delay, not at once and not after the 30 s ack wait.
    expect(back).toBeGreaterThanOrEqual(400);
    expect(back).toBeLessThan(10_000);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toMatchObject({ seq: 3, reason: 'permanent' });
    expect(String(invalid[0]!.error)).toContain('site "atlantis" of reading 3 does not exist');
    await loop.stop();
  });

  it('cuts batches by count and by weight, and never lets a batch outweigh the budget unless one message does', async () => {
    const s = await f.stream({ maxAckPending: 1_000 });
    const batches: number[][] = [];
    const invalid: InvalidMessage[] = [];
    const weights = [40, 40, 40, 10, 10, 90, 250, 5, 5, 5, 5, 5, 5, 5];
    for (const [i, n] of weights.entries()) await publish(f.js, s.subject, { n }, { msgID: `w-${i}` });
    // A message that weighs less than nothing is terminated and reported like an undecodable one.
    await publish(f.js, s.subject, { n: -3 }, { msgID: 'w-negative' });
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        decode: (msg) => parseReading(msg.json()),
        maxBatch: 5,
        budget: { max: 100, weigh: (r) => r.n },
        maxWaitMs: 300,
        prefetch: 50,
        onInvalid: (m) => {
          invalid.push(m);
        },
        handleBatch: async (items) => {
          batches.push(items.map((i) => i.value.n));
        },
      }),
    );
    await loop.start();
    await waitFor(() => batches.flat().length === weights.length && invalid.length === 1, {
      what: 'all settled',
    });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'acks' });
    // The backlog was there before start, so only the last batch was cut by time.
    expect(batches).toEqual([[40, 40], [40, 10, 10], [90], [250], [5, 5, 5, 5, 5], [5, 5]]);
    expect(invalid[0]).toMatchObject({ reason: 'invalid' });
    expect(String(invalid[0]!.error)).toMatch(/weighs this message -3/);
    await loop.stop();
  });
});
