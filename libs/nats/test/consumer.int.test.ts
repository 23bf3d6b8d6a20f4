import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import { Registry } from 'prom-client';
import {
  consumerLag,
  createBatchConsumer,
  createConsumer,
  PermanentError,
  publish,
  type InvalidMessage,
} from '../src/index.js';
import { natsFixture, sleep, testLogger, type NatsFixture } from './helpers.js';

interface Reading {
  n: number;
}
const parseReading = (v: unknown): Reading => {
  if (typeof v !== 'object' || v === null || typeof (v as Reading).n !== 'number')
    throw new Error('not a reading');
  return { n: (v as Reading).n };
};
const encoder = new TextEncoder();

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

describe('consume loop', () => {
  let f: NatsFixture;
  beforeAll(async () => {
    f = await natsFixture('cons');
  });
  afterAll(async () => {
    await f.close();
  });

  it('redelivers a message whose handler threw, then acks it when the handler succeeds', async () => {
    const s = await f.stream({ ackWaitMs: 2_000 });
    const registry = new Registry();
    const deliveries: number[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 2,
        nakDelayMs: 50,
        registry,
        decode: (msg) => parseReading(msg.json()),
        handle: async (_value, msg) => {
          deliveries.push(msg.deliveryCount);
          if (msg.deliveryCount === 1) throw new Error('database briefly unavailable');
        },
      }),
    );
    await loop.start();
    expect(loop.consuming).toBe(true);
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'redeliver-1' });
    await waitFor(() => deliveries.length >= 2, { what: 'second delivery' });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'ack' });
    expect(deliveries).toEqual([1, 2]);
    expect(await metricValue(registry, 'ep_nats_messages_failed_total', { consumer: s.durable })).toBe(1);
    expect(await metricValue(registry, 'ep_nats_messages_handled_total', { consumer: s.durable })).toBe(1);
    await loop.stop();
  });

  it('terminates an unparseable message, reports it once and never retries it', async () => {
    const ackWaitMs = 1_000;
    const s = await f.stream({ ackWaitMs });
    const invalid: InvalidMessage[] = [];
    const handled: Reading[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 1,
        decode: (msg) => parseReading(msg.json()),
        handle: async (value) => {
          handled.push(value);
        },
        onInvalid: (m) => {
          invalid.push(m);
        },
      }),
    );
    await loop.start();
    await publish(f.js, s.subject, encoder.encode('{"n": 1,'), { msgID: 'broken-json' });
    await publish(f.js, s.subject, { unexpected: true }, { msgID: 'wrong-shape' });
    await publish(f.js, s.subject, { n: 3 }, { msgID: 'fine' });
    await waitFor(() => invalid.length >= 2 && handled.length >= 1, { what: 'all three settled' });
    // Past two ack waits: a message that was only nak-ed or left un-acked would be back by now.
    await sleep(ackWaitMs * 2.5);
    expect(invalid.map((m) => [m.seq, m.reason, m.deliveryCount])).toEqual([
      [1, 'invalid', 1],
      [2, 'invalid', 1],
    ]);
    expect(new TextDecoder().decode(invalid[0]?.data)).toBe('{"n": 1,');
    expect(invalid[1]?.headers['Nats-Msg-Id']).toBe('wrong-shape');
    expect(handled).toEqual([{ n: 3 }]);
    const info = await f.jsm.consumers.info(s.name, s.durable);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    await loop.stop();
  });

  it('terminates and reports a message whose handler throws a PermanentError', async () => {
    const s = await f.stream({ ackWaitMs: 1_000 });
    const invalid: InvalidMessage[] = [];
    let calls = 0;
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 1,
        decode: (msg) => parseReading(msg.json()),
        handle: async () => {
          calls += 1;
          throw new PermanentError('site "atlantis" does not exist');
        },
        onInvalid: (m) => {
          invalid.push(m);
        },
      }),
    );
    await loop.start();
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'unknown-site' });
    await waitFor(() => invalid.length === 1, { what: 'onInvalid' });
    await sleep(2_500);
    expect(calls).toBe(1);
    expect(invalid[0]?.reason).toBe('permanent');
    expect(String(invalid[0]?.error)).toContain('atlantis');
    await loop.stop();
  });

  it('gives up after maxDeliver failed deliveries and reports the message as exhausted', async () => {
    const s = await f.stream({ ackWaitMs: 1_000, maxDeliver: 3 });
    const invalid: InvalidMessage[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 1,
        nakDelayMs: 20,
        decode: (msg) => parseReading(msg.json()),
        handle: async () => {
          throw new Error('still failing');
        },
        onInvalid: (m) => {
          invalid.push(m);
        },
      }),
    );
    await loop.start();
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'doomed' });
    await waitFor(() => invalid.length === 1, { what: 'exhausted report' });
    expect(invalid[0]?.reason).toBe('exhausted');
    expect(invalid[0]?.deliveryCount).toBe(3);
    await loop.stop();
  });

  it('passes headers such as traceparent through to the handler', async () => {
    const s = await f.stream();
    const seen: Record<string, string>[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 1,
        decode: (msg) => parseReading(msg.json()),
        handle: async (_v, msg) => {
          seen.push(msg.headers);
        },
      }),
    );
    await loop.start();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'traced', headers: { traceparent } });
    await waitFor(() => seen.length === 1, { what: 'delivery' });
    expect(seen[0]?.['traceparent']).toBe(traceparent);
    await loop.stop();
  });

  it('never runs more handlers at once than its concurrency', async () => {
    const s = await f.stream();
    let running = 0;
    let peak = 0;
    let done = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 3,
        decode: (msg) => parseReading(msg.json()),
        handle: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await gate;
          running -= 1;
          done += 1;
        },
      }),
    );
    for (let i = 0; i < 20; i++) await publish(f.js, s.subject, { n: i }, { msgID: `c-${i}` });
    await loop.start();
    await waitFor(() => running === 3, { what: 'three handlers running' });
    // Give a loop that ignored the bound every chance to start a fourth before the gate opens.
    await sleep(300);
    open();
    await waitFor(() => done === 20, { what: 'all handled' });
    expect(peak).toBe(3);
    await loop.stop();
  });

  it('with confirmAcks off, acks every handled message once and none comes back', async () => {
    const ackWaitMs = 1_000;
    const s = await f.stream({ ackWaitMs });
    const deliveries: number[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 4,
        confirmAcks: false,
        decode: (msg) => parseReading(msg.json()),
        handle: async (r) => {
          deliveries.push(r.n);
        },
      }),
    );
    for (let i = 0; i < 20; i++) await publish(f.js, s.subject, { n: i }, { msgID: `plain-${i}` });
    await loop.start();
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'all acked' });
    // Past the ack wait twice over: an ack the server had not taken would have been redelivered.
    await sleep(2.5 * ackWaitMs);
    expect(deliveries.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await loop.stop();
  });

  it('keeps the summed weight of the messages in hand within its budget', async () => {
    const s = await f.stream();
    let weight = 0;
    const sums: number[] = [];
    const handled: number[] = [];
    const invalid: InvalidMessage[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 10,
        decode: (msg) => parseReading(msg.json()),
        // Weigh a reading by its n: at most 100 in hand, whatever the count allows.
        budget: { max: 100, weigh: (r) => r.n },
        onInvalid: (m) => {
          invalid.push(m);
        },
        handle: async (r) => {
          weight += r.n;
          sums.push(weight);
          await sleep(20);
          weight -= r.n;
          handled.push(r.n);
        },
      }),
    );
    const ns = [40, 40, 40, 10, 10, 90, 250, 5, 5, 60];
    for (const [i, n] of ns.entries()) await publish(f.js, s.subject, { n }, { msgID: `w-${i}` });
    // A message that weighs less than nothing is terminated and reported like an undecodable one.
    await publish(f.js, s.subject, { n: -3 }, { msgID: 'w-negative' });
    await loop.start();
    await waitFor(() => handled.length === ns.length && invalid.length === 1, { what: 'all settled' });
    expect(invalid[0]).toMatchObject({ reason: 'invalid' });
    expect(String(invalid[0]!.error)).toMatch(/weighs this message -3/);
    // Nothing pushed the sum past 100, except 250, which exceeds the budget alone and ran by itself.
    expect(sums.filter((sum) => sum > 100)).toEqual([250]);
    expect(Math.max(...sums.filter((sum) => sum <= 100))).toBeGreaterThan(40);
    expect(handled.sort((a, b) => a - b)).toEqual([...ns].sort((a, b) => a - b));
    await loop.stop();
  });

  it('stop() waits for running handlers up to its timeout and leaves unfinished messages for redelivery', async () => {
    const s = await f.stream({ ackWaitMs: 1_000 });
    const started: number[] = [];
    const finished: number[] = [];
    let releaseSlow: () => void = () => undefined;
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    let releaseQuick: () => void = () => undefined;
    const quickGate = new Promise<void>((resolve) => {
      releaseQuick = resolve;
    });
    const first = createConsumer({
      js: f.js,
      stream: s.name,
      durable: s.durable,
      logger: testLogger(),
      concurrency: 2,
      stopTimeoutMs: 500,
      decode: (msg) => parseReading(msg.json()),
      handle: async (value) => {
        started.push(value.n);
        // n=1 is held until after stop() gave up on it; n=2 finishes while stop() waits.
        await (value.n === 1 ? slowGate : quickGate);
        finished.push(value.n);
      },
    });
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'slow' });
    await publish(f.js, s.subject, { n: 2 }, { msgID: 'quick' });
    await first.start();
    await waitFor(() => started.length === 2, { what: 'both handlers running' });
    const stopped = first.stop();
    releaseQuick();
    await stopped;
    expect(finished).toEqual([2]);

    // The held message was never acked, so a new worker gets it again; the finished one is gone.
    // (Were the held handler to finish now, it would still ack: its side effect would be done.)
    const redelivered: [number, number][] = [];
    const second = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 2,
        decode: (msg) => parseReading(msg.json()),
        handle: async (value, msg) => {
          redelivered.push([value.n, msg.deliveryCount]);
        },
      }),
    );
    await second.start();
    await waitFor(() => redelivered.length >= 1, { what: 'redelivery' });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'caught up' });
    expect(redelivered).toEqual([[1, 2]]);
    releaseSlow();
    await second.stop();
  });

  it('delivers batches of at most maxBatch and acks them', async () => {
    const s = await f.stream();
    const batches: number[][] = [];
    for (let i = 0; i < 25; i++) await publish(f.js, s.subject, { n: i }, { msgID: `b-${i}` });
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        maxBatch: 10,
        maxWaitMs: 200,
        decode: (msg) => parseReading(msg.json()),
        handleBatch: async (items) => {
          batches.push(items.map((i) => i.value.n));
        },
      }),
    );
    await loop.start();
    await waitFor(() => batches.flat().length === 25, { what: 'all 25 readings' });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'acks' });
    expect(batches.flat().sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(batches.every((b) => b.length <= 10)).toBe(true);
    // The backlog was there before start: the first batch is full.
    expect(batches[0]).toHaveLength(10);
    await loop.stop();
  });

  it('redelivers a whole batch when handleBatch throws, and terminates undecodable items alone', async () => {
    const s = await f.stream({ ackWaitMs: 2_000 });
    const attempts: [number[], number[]][] = [];
    const invalid: InvalidMessage[] = [];
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'x-1' });
    await publish(f.js, s.subject, encoder.encode('garbage'), { msgID: 'x-2' });
    await publish(f.js, s.subject, { n: 3 }, { msgID: 'x-3' });
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        maxBatch: 10,
        maxWaitMs: 100,
        nakDelayMs: 50,
        decode: (msg) => parseReading(msg.json()),
        onInvalid: (m) => {
          invalid.push(m);
        },
        handleBatch: async (items) => {
          attempts.push([items.map((i) => i.value.n), items.map((i) => i.msg.deliveryCount)]);
          if (attempts.length === 1) throw new Error('transaction aborted');
        },
      }),
    );
    await loop.start();
    await waitFor(() => attempts.length >= 2, { what: 'retry of the batch' });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'acks' });
    expect(attempts[0]).toEqual([
      [1, 3],
      [1, 1],
    ]);
    // The retry may arrive as one batch or two; either way both items come back, redelivered.
    const retried = attempts.slice(1);
    expect(retried.flatMap(([values]) => values).sort()).toEqual([1, 3]);
    expect(retried.flatMap(([, counts]) => counts)).toEqual([2, 2]);
    expect(invalid.map((m) => m.seq)).toEqual([2]);
    await loop.stop();
  });
});
