import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFaultProxy } from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connectNats, ensureConsumer, ensureStream, publish } from '../src/index.js';
import { natsFixture, testLogger, type NatsFixture } from './helpers.js';

describe('provisioning and publishing', () => {
  let f: NatsFixture;
  beforeAll(async () => {
    f = await natsFixture('prov');
  });
  afterAll(async () => {
    await f.close();
  });

  it('stores a message published twice with one msgID once', async () => {
    const s = await f.stream();
    const first = await publish(f.js, s.subject, { reading: 1 }, { msgID: 'poll:site:0600' });
    const second = await publish(f.js, s.subject, { reading: 1 }, { msgID: 'poll:site:0600' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const info = await f.jsm.streams.info(s.name);
    expect(info.state.messages).toBe(1);
    // And the stored body is the JSON of the object, with the msgID header set.
    const stored = await f.jsm.streams.getMessage(s.name, { seq: first.seq });
    expect(stored?.json()).toEqual({ reading: 1 });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('poll:site:0600');
  });

  it('provisions the same stream and consumer concurrently from several connections', async () => {
    const name = `${f.prefix.toUpperCase()}_RACE`;
    const spec = { name, subjects: [`${f.prefix}.race.>`], maxAgeMs: 60_000, duplicateWindowMs: 30_000 };
    const connections = await Promise.all(
      [1, 2, 3].map((i) => connectNats({ url: f.natsUrl, name: `prov-${i}`, logger: testLogger() })),
    );
    try {
      const managers = await Promise.all(connections.map((nc) => jetstreamManager(nc)));
      const streams = await Promise.all(managers.map((jsm) => ensureStream(jsm, spec)));
      expect(new Set(streams.map((s) => s.created)).size).toBe(1);
      const consumer = { durable: 'store', ackWaitMs: 1_000, maxAckPending: 50, maxDeliver: 5 };
      await Promise.all(managers.map((jsm) => ensureConsumer(jsm, name, consumer)));
      // Again, sequentially: nothing changes and nothing fails.
      await ensureStream(f.jsm, spec);
      const again = await ensureConsumer(f.jsm, name, consumer);
      const consumers = await f.jsm.consumers.list(name).next();
      expect(consumers.map((c) => c.name)).toEqual(['store']);
      expect(again.config.ack_wait).toBe(nanos(1_000));
      expect(again.config.max_deliver).toBe(5);
      expect(again.config.ack_policy).toBe('explicit');
    } finally {
      await f.jsm.streams.delete(name).catch(() => undefined);
      await Promise.all(connections.map((nc) => nc.close()));
    }
  });

  it('updates an existing stream and consumer to a changed spec', async () => {
    const name = `${f.prefix.toUpperCase()}_UPD`;
    try {
      await ensureStream(f.jsm, { name, subjects: [`${f.prefix}.upd.a.>`], maxAgeMs: 60_000 });
      await ensureConsumer(f.jsm, name, {
        durable: 'w',
        ackWaitMs: 1_000,
        maxAckPending: 10,
        filterSubjects: [`${f.prefix}.upd.a.>`],
      });
      const stream = await ensureStream(f.jsm, {
        name,
        subjects: [`${f.prefix}.upd.a.>`, `${f.prefix}.upd.b.>`],
        maxAgeMs: 120_000,
        duplicateWindowMs: 10_000,
      });
      expect(stream.config.subjects.sort()).toEqual([`${f.prefix}.upd.a.>`, `${f.prefix}.upd.b.>`]);
      expect(stream.config.max_age).toBe(nanos(120_000));
      expect(stream.config.duplicate_window).toBe(nanos(10_000));
      const consumer = await ensureConsumer(f.jsm, name, {
        durable: 'w',
        ackWaitMs: 3_000,
        maxAckPending: 20,
        filterSubjects: [`${f.prefix}.upd.b.>`],
      });
      expect(consumer.config.ack_wait).toBe(nanos(3_000));
      expect(consumer.config.max_ack_pending).toBe(20);
      expect(consumer.config.filter_subject).toBe(`${f.prefix}.upd.b.>`);
    } finally {
      await f.jsm.streams.delete(name).catch(() => undefined);
    }
  });

  it('retries a publish across a reconnect under the same msgID, storing it once', async () => {
    const s = await f.stream();
    const proxy = await startFaultProxy(f.natsUrl);
    const nc = await connectNats({
      url: proxy.url,
      name: 'publisher',
      logger: testLogger(),
      reconnectTimeWaitMs: 100,
    });
    try {
      proxy.cut();
      // Short PubAck timeouts so the outage spans several attempts; some may reach the server
      // late, after their attempt gave up, and then the next one is a duplicate.
      const pending = publish(
        jetstream(nc),
        s.subject,
        { reading: 42 },
        { msgID: 'retry-me', timeoutMs: 300, attempts: 20 },
      );
      await new Promise((resolve) => setTimeout(resolve, 800));
      proxy.restore();
      const ack = await pending;
      expect(ack.stream).toBe(s.name);
      const info = await f.jsm.streams.info(s.name);
      expect(info.state.messages).toBe(1);
    } finally {
      await nc.close();
      await proxy.close();
    }
  });

  it('fails with a clear message when no stream captures the subject', async () => {
    await expect(
      publish(f.js, `${f.prefix}.nowhere`, { x: 1 }, { msgID: 'lost', attempts: 2, timeoutMs: 500 }),
    ).rejects.toThrow(/no stream answered/);
  });
});
