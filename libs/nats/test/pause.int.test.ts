import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import {
  consumerLag,
  createBatchConsumer,
  createConsumer,
  publish,
  type ConsumerLoop,
} from '../src/index.js';
import { natsFixture, sleep, testLogger, type NatsFixture, type TestStream } from './helpers.js';

// The ack wait is long on purpose: a message stranded by a pause (pulled, then neither handled
// nor given back) would only come back after it, far later than every wait below.
const ACK_WAIT_MS = 30_000;

function gate() {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const n = (d: { json(): unknown }) => (d.json() as { n: number }).n;

describe('pausing a consume loop', () => {
  let f: NatsFixture;
  beforeAll(async () => {
    f = await natsFixture('pause');
  });
  afterAll(async () => {
    await f.close();
  });

  async function publishRange(s: TestStream, from: number, to: number) {
    for (let i = from; i < to; i++) await publish(f.js, s.subject, { n: i }, { msgID: `p-${i}` });
  }

  /** While paused: nothing is handed over, and the server holds no pull request of ours. */
  async function expectIdle(s: TestStream, loop: ConsumerLoop, handled: () => number, fresh: number) {
    const before = handled();
    await sleep(800);
    expect(handled()).toBe(before);
    expect(loop.paused).toBe(true);
    expect(loop.consuming).toBe(false);
    const info = await f.jsm.consumers.info(s.name, s.durable);
    expect(info.num_waiting).toBe(0);
    expect(info.num_pending).toBeGreaterThanOrEqual(fresh);
  }

  it('a paused consumer receives nothing new and loses nothing it held', async () => {
    const s = await f.stream({ ackWaitMs: ACK_WAIT_MS, maxAckPending: 1_000 });
    const seen: number[] = [];
    const release = gate();
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 2,
        // More pulled ahead than handled at once: at the pause, nats.js holds messages that no
        // handler has seen yet, and a third one waits for a slot.
        prefetch: 10,
        decode: n,
        handle: async (value) => {
          seen.push(value);
          if (value < 2) await release.promise;
        },
      }),
    );
    await publishRange(s, 0, 30);
    await loop.start();
    await waitFor(() => seen.length === 2, { what: 'two handlers holding their messages' });
    // Let nats.js fill its buffer behind the two held handlers.
    await sleep(300);

    loop.pause('downstream away');
    // The two handlers in progress finish and are acked; the rest in hand was given back (nak'd,
    // still counted as ack-pending by the server until it is delivered again).
    release.open();
    await publishRange(s, 30, 40);
    await expectIdle(s, loop, () => seen.length, 10);
    expect(seen.slice().sort((a, b) => a - b)).toEqual([0, 1]);

    loop.resume();
    expect(loop.paused).toBe(false);
    // Every message, those given back included, well before the ack wait could have helped.
    await waitFor(() => seen.length >= 40, { what: 'all 40 handled', timeoutMs: 10_000 });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'all acked' });
    // Each exactly once: the held two were acked, the rest never reached a handler before the pause.
    expect(seen.slice().sort((a, b) => a - b)).toEqual([...Array(40).keys()]);
    await loop.stop();
  });

  it('a paused batch consumer gives back the batch it was gathering and loses nothing', async () => {
    const s = await f.stream({ ackWaitMs: ACK_WAIT_MS, maxAckPending: 1_000 });
    const batches: number[][] = [];
    const loop = f.track(
      createBatchConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        maxBatch: 50,
        // Long: the batch gathering at the pause is never handed over by time while paused.
        maxWaitMs: 2_500,
        decode: n,
        handleBatch: async (items) => {
          batches.push(items.map((i) => i.value));
        },
      }),
    );
    await loop.start();
    await publishRange(s, 0, 5);
    await waitFor(async () => (await f.jsm.consumers.info(s.name, s.durable)).num_ack_pending === 5, {
      what: 'five messages gathering',
    });
    loop.pause();
    await publishRange(s, 5, 10);
    await expectIdle(s, loop, () => batches.length, 5);
    expect(batches).toEqual([]);

    loop.resume();
    await waitFor(() => batches.flat().length >= 10, { what: 'all 10 handled', timeoutMs: 10_000 });
    await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'all acked' });
    expect(batches.flat().sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    await loop.stop();
  });

  it('a consumer paused before it starts pulls nothing until resumed', async () => {
    const s = await f.stream({ ackWaitMs: ACK_WAIT_MS });
    const seen: number[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 2,
        decode: n,
        handle: async (value) => {
          seen.push(value);
        },
      }),
    );
    await publishRange(s, 0, 3);
    loop.pause();
    await loop.start();
    await expectIdle(s, loop, () => seen.length, 3);
    loop.resume();
    await waitFor(() => seen.length === 3, { what: 'all three handled' });
    await loop.stop();
  });
});
