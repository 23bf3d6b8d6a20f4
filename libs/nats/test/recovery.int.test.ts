import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '@ep/logger';
import { startFaultProxy, waitFor } from '@ep/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connectNats, consumerLag, createConsumer, ensureConsumer, publish } from '../src/index.js';
import { natsFixture, testLogger, type NatsFixture } from './helpers.js';

const parseN = (v: unknown) => (v as { n: number }).n;

describe('consume loop recovery', () => {
  let f: NatsFixture;
  beforeAll(async () => {
    f = await natsFixture('recov');
  });
  afterAll(async () => {
    await f.close();
  });

  it('keeps consuming after its connection is cut and restored', async () => {
    const s = await f.stream({ ackWaitMs: 2_000 });
    const proxy = await startFaultProxy(f.natsUrl);
    const nc = await connectNats({
      url: proxy.url,
      name: 'recovery-worker',
      logger: testLogger(),
      reconnectTimeWaitMs: 100,
    });
    const statuses: string[] = [];
    void (async () => {
      for await (const st of nc.status()) statuses.push(st.type);
    })();
    const received = new Set<number>();
    const loop = f.track(
      createConsumer({
        js: jetstream(nc),
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 4,
        idleHeartbeatMs: 1_000,
        decode: (msg) => parseN(msg.json()),
        handle: async (n) => {
          received.add(n);
        },
      }),
    );
    try {
      await loop.start();
      await publish(f.js, s.subject, { n: 0 }, { msgID: 'before-cut' });
      await waitFor(() => received.has(0), { what: 'first message' });

      proxy.cut();
      await waitFor(() => statuses.includes('disconnect'), { what: 'worker noticed the cut' });
      // Published over the direct connection while the worker cannot reach the server.
      for (let n = 1; n <= 5; n++) await publish(f.js, s.subject, { n }, { msgID: `during-cut-${n}` });
      expect(received.size).toBe(1);

      proxy.restore();
      await waitFor(() => received.size === 6, { what: 'messages published during the cut' });
      await waitFor(async () => (await consumerLag(f.js, s.name, s.durable)) === 0, { what: 'acks' });
      expect([...received].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(statuses).toContain('reconnect');
    } finally {
      await loop.stop();
      await nc.close();
      await proxy.close();
    }
  });

  it('re-opens its iterator when server heartbeats stop arriving', async () => {
    const s = await f.stream({ ackWaitMs: 2_000 });
    const proxy = await startFaultProxy(f.natsUrl);
    // The client's own pings would not notice a slow link; the pull heartbeats must.
    const nc = await connectNats({ url: proxy.url, name: 'hb-worker', logger: testLogger() });
    const lines: { msg?: string }[] = [];
    const logger = createLogger({
      name: 'hb',
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    });
    const received: number[] = [];
    const loop = f.track(
      createConsumer({
        js: jetstream(nc),
        stream: s.name,
        durable: s.durable,
        logger,
        concurrency: 1,
        idleHeartbeatMs: 500,
        decode: (msg) => parseN(msg.json()),
        handle: async (n) => {
          received.push(n);
        },
      }),
    );
    try {
      await loop.start();
      // Every chunk now takes 2 s each way: heartbeats every 500 ms arrive far too late.
      proxy.delay(2_000);
      await waitFor(() => lines.some((l) => l.msg?.includes('heartbeats missed')), {
        what: 'missed heartbeats',
      });
      proxy.delay(0);
      await publish(f.js, s.subject, { n: 7 }, { msgID: 'after-stall' });
      await waitFor(() => received.includes(7), { what: 'message after the stall' });
      expect(lines.filter((l) => l.msg === 'consuming').length).toBeGreaterThanOrEqual(2);
    } finally {
      await loop.stop();
      await nc.close();
      await proxy.close();
    }
  });

  it('re-opens its iterator after the consumer is deleted and provisioned again', async () => {
    const s = await f.stream({ ackWaitMs: 2_000 });
    const received: number[] = [];
    const loop = f.track(
      createConsumer({
        js: f.js,
        stream: s.name,
        durable: s.durable,
        logger: testLogger(),
        concurrency: 1,
        idleHeartbeatMs: 1_000,
        decode: (msg) => parseN(msg.json()),
        handle: async (n) => {
          received.push(n);
        },
      }),
    );
    await loop.start();
    await publish(f.js, s.subject, { n: 1 }, { msgID: 'r-1' });
    await waitFor(() => received.length === 1, { what: 'first message' });

    await f.jsm.consumers.delete(s.name, s.durable);
    await waitFor(() => !loop.consuming, { what: 'loop noticed the deletion' });
    // A re-created durable starts from the beginning of the stream (deliver all).
    await ensureConsumer(f.jsm, s.name, { durable: s.durable, ackWaitMs: 2_000, maxAckPending: 100 });
    await publish(f.js, s.subject, { n: 2 }, { msgID: 'r-2' });
    await waitFor(() => received.includes(2), { what: 'message after re-creation' });
    expect(loop.consuming).toBe(true);
    expect(received).toEqual([1, 1, 2]);
    await loop.stop();
  });
});
