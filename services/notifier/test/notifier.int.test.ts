import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '@ep/contracts';
import {
  natsNames,
  StoredReadingsV1,
  storedEventId,
  StoredTeststandV1,
  streamSpecs,
  type StoredReadings,
} from '@ep/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { consumerLag, ensureStream } from '@ep/nats';
import { storedReadingsEvent, storedTeststandEvent, storedTeststandEvents, waitFor } from '@ep/testkit';
import { joinReadingsParts } from '../src/domain/split.js';
import type { Notifier } from '../src/notifier.js';
import {
  collect,
  createTestBed,
  publishStored,
  startTestNotifier,
  type QueueCollector,
  type TestBed,
} from './helpers.js';

const MAX_BYTES = 20_000;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('notifier', () => {
  let bed: TestBed;
  let notifier: Notifier;
  let queue: QueueCollector;
  let base: string;

  beforeAll(async () => {
    bed = await createTestBed('notif');
    ({ notifier, base } = await startTestNotifier(bed, {
      EP_AMQP_MAX_MESSAGE_BYTES: String(MAX_BYTES),
      EP_NOTIFIER_CONCURRENCY: '8',
    }));
    queue = collect(bed.urls.amqpUrl, bed.queue);
  });

  afterAll(async () => {
    await notifier?.lifecycle.stop('test done');
    await queue?.stop();
    await bed?.cleanup();
  });

  const lag = () =>
    consumerLag(bed.js, natsNames(bed.prefix).streams.stored, natsNames(bed.prefix).consumers.notifier);

  /** The value of one sample of the notifier's /metrics (0 when it has none yet). */
  const metric = async (sample: RegExp) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split('\n').find((l) => sample.test(l));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('puts every stored event on the exchange once confirmed, with its properties, and skips an undecodable one', async () => {
    const readings = Array.from({ length: 20 }, (_, i) => storedReadingsEvent(2, 5, `siemens:r${i}:0`));
    const stands = [storedTeststandEvent(1), storedTeststandEvent(2, 'stand_b')];
    for (const [i, event] of readings.entries()) {
      await publishStored(bed.js, bed.prefix, event, i === 3 ? { traceparent: TRACEPARENT } : undefined);
      if (i === 10)
        await bed.js.publish(`${bed.prefix}.stored.readings.broken`, 'not json', { msgID: 'broken' });
    }
    for (const event of stands) await publishStored(bed.js, bed.prefix, event);
    const all: StoredEvent[] = [...readings, ...stands];

    await waitFor(() => all.every((e) => queue.ids().has(storedEventId(e))), {
      what: 'every event on the queue',
    });
    await waitFor(async () => (await lag()) === 0, {
      what: 'consumer caught up (the broken message terminated)',
    });

    for (const event of all) {
      const got = queue.messages.find((m) => m.messageId === storedEventId(event))!;
      expect(got.type).toBe(event.type);
      expect(got.contentType).toBe('application/json');
      expect(got.persistent).toBe(true);
      expect(got.exchange).toBe(bed.exchange);
      expect(got.timestamp).toEqual(new Date(Math.floor(Date.parse(event.storedAt) / 1000) * 1000));
      expect(got.body).toEqual(event);
      if (event.type === 'readings.stored') {
        expect(got.headers).toMatchObject({ 'x-ep-site': event.site, 'x-ep-source': event.source });
      } else if (event.type === 'teststand.stored') {
        expect(got.headers).toMatchObject({ 'x-ep-stand': event.event.stand });
      }
    }
    const traced = queue.messages.find((m) => m.messageId === storedEventId(readings[3]!))!;
    expect(traced.headers['traceparent']).toBe(TRACEPARENT);
    expect(queue.messages.find((m) => m.messageId === 'broken')).toBeUndefined();

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/ep_amqp_published_total\{[^}]*\} 22\b/);
    expect(metrics).toMatch(/ep_amqp_confirmed_total\{[^}]*\} 22\b/);
    // Every message found a queue: the counter is registered but has no sample yet.
    expect(metrics).toContain('# TYPE ep_amqp_returned_total counter');
    expect(metrics).not.toMatch(/ep_amqp_returned_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/ep_amqp_publish_confirm_seconds_count\{[^}]*\} 22\b/);
    expect(metrics).toMatch(/ep_notifier_events_total\{type="teststand.stored"\} 2\b/);
    expect(metrics).toMatch(/ep_notifier_backlog_messages 0\b/);
    expect(metrics).toMatch(/ep_nats_messages_terminated_total\{[^}]*reason="invalid"[^}]*\} 1\b/);
  });

  it('splits an event above EP_AMQP_MAX_MESSAGE_BYTES into valid parts that reassemble to the original', async () => {
    const big = storedReadingsEvent(3, 1_500, 'siemens:big:0');
    await publishStored(bed.js, bed.prefix, big);
    const mine = () => queue.messages.filter((m) => m.messageId?.startsWith('siemens:big:0:'));
    const parts = await waitFor(
      () => {
        const got = mine();
        const total = got[0]?.headers['x-ep-parts'] as number | undefined;
        return total !== undefined && new Set(got.map((m) => m.messageId)).size === total ? got : undefined;
      },
      { what: 'every part' },
    );
    const total = parts[0]!.headers['x-ep-parts'] as number;
    expect(total).toBeGreaterThan(5);
    for (const m of parts) {
      const part = m.headers['x-ep-part'] as number;
      expect(m.messageId).toBe(`siemens:big:0:${part}/${total}`);
      expect(m.content.length).toBeLessThanOrEqual(MAX_BYTES);
      expect(m.headers).toMatchObject({ 'x-ep-parts': total, 'x-ep-site': 'carleton' });
      expect(StoredReadingsV1.safeParse(m.body).success).toBe(true);
    }
    const joined = joinReadingsParts(
      parts.map((m) => ({ part: m.headers['x-ep-part'] as number, event: m.body as StoredReadings })),
    );
    expect(joined).toEqual(big);
  });

  it('relays a teststand.stored.events batch as one teststand.stored message per event, and terminates a bad batch', async () => {
    const eventsBefore = await metric(/^ep_notifier_events_total\{type="teststand.stored"\}/);
    const terminatedBefore = await metric(/^ep_nats_messages_terminated_total\{.*reason="invalid"/);
    const items = [
      storedTeststandEvent(101),
      storedTeststandEvent(102, 'stand_b'),
      { ...storedTeststandEvent(103), storedAt: '2026-01-05T06:00:09.500Z' },
      storedTeststandEvent(104, 'stand_c'),
      storedTeststandEvent(105),
    ];
    // A batch with one bad item is refused whole: none of its events may go out.
    const badItem = { ...storedTeststandEvent(201), standState: { ready: 'yes' } };
    const bad = {
      ...storedTeststandEvents([storedTeststandEvent(200)]),
      events: [storedTeststandEvent(200), badItem],
    };
    await bed.js.publish(natsNames(bed.prefix).subjects.storedTeststandEvents, JSON.stringify(bad), {
      msgID: 'bad-batch',
    });
    await publishStored(bed.js, bed.prefix, storedTeststandEvents(items), { traceparent: TRACEPARENT });

    const ids = items.map((e) => e.event.eventId);
    await waitFor(() => ids.every((id) => queue.ids().has(id)), { what: "every batch's event on the queue" });
    await waitFor(async () => (await lag()) === 0, { what: 'consumer caught up' });

    for (const item of items) {
      const got = queue.messages.filter((m) => m.messageId === item.event.eventId);
      expect(got).toHaveLength(1);
      const [m] = got;
      expect(m!.type).toBe('teststand.stored');
      expect(m!.contentType).toBe('application/json');
      expect(m!.persistent).toBe(true);
      expect(m!.timestamp).toEqual(new Date(Math.floor(Date.parse(item.storedAt) / 1000) * 1000));
      expect(m!.headers).toEqual({ 'x-ep-stand': item.event.stand, traceparent: TRACEPARENT });
      expect(StoredTeststandV1.parse(m!.body)).toEqual(item);
      expect(m!.body).toEqual(item);
    }
    expect(queue.messages.some((m) => m.messageId?.startsWith('teststand1/demo/Inbound:20'))).toBe(false);
    expect(await metric(/^ep_notifier_events_total\{type="teststand.stored"\}/)).toBe(eventsBefore + 5);
    expect(await metric(/^ep_nats_messages_terminated_total\{.*reason="invalid"/)).toBe(terminatedBefore + 1);
  });

  it('provisions the STORED stream as measurement-store does (neither changes what the other made)', async () => {
    const jsm = await jetstreamManager(bed.nc);
    const stream = natsNames(bed.prefix).streams.stored;
    const before = (await jsm.streams.info(stream)).config;
    // What measurement-store runs at boot: every stream of the one spec (libs/contracts).
    for (const spec of Object.values(streamSpecs(bed.prefix))) await ensureStream(jsm, spec);
    const after = (await jsm.streams.info(stream)).config;
    expect(after).toEqual(before);
    expect(after).toMatchObject({
      subjects: [`${bed.prefix}.stored.>`],
      retention: 'limits',
      storage: 'file',
    });
  });

  it('reports the broker and NATS as ready', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'amqp', ok: true },
        { name: 'nats', ok: true },
      ],
    });
  });
});
