import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsNames, storedEventId } from '@ep/contracts';
import { consumerLag } from '@ep/nats';
import { startFaultProxy, storedReadingsEvent, waitFor, type FaultProxy } from '@ep/testkit';
import type { Notifier } from '../src/notifier.js';
import {
  collect,
  createTestBed,
  publishStored,
  startTestNotifier,
  type QueueCollector,
  type TestBed,
} from './helpers.js';

describe('notifier with the broker connection cut and restored', () => {
  let bed: TestBed;
  let proxy: FaultProxy;
  let notifier: Notifier;
  let queue: QueueCollector;
  let base: string;

  beforeAll(async () => {
    bed = await createTestBed('outage');
    proxy = await startFaultProxy(bed.urls.amqpUrl);
    ({ notifier, base } = await startTestNotifier(bed, {
      AMQP_URL: proxy.url,
      EP_NOTIFIER_CONCURRENCY: '4',
      EP_NOTIFIER_RETRY_DELAY_MS: '200',
      EP_AMQP_RECONNECT_INITIAL_MS: '100',
      EP_AMQP_RECONNECT_MAX_MS: '400',
      EP_NOTIFIER_ACK_WAIT_MS: '10000',
    }));
    queue = collect(bed.urls.amqpUrl, bed.queue);
  });

  afterAll(async () => {
    await notifier?.lifecycle.stop('test done');
    await proxy?.close();
    await queue?.stop();
    await bed?.cleanup();
  });

  const names = () => natsNames(bed.prefix);
  const readyz = async () => {
    const res = await fetch(`${base}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: { name: string; ok: boolean }[] } };
  };

  it('stops pulling while RabbitMQ is unreachable, then delivers every event (repeats keep their message_id)', async () => {
    const events = Array.from({ length: 300 }, (_, i) => storedReadingsEvent(3, 20, `siemens:outage:${i}`));
    const before = events.slice(0, 150);
    const during = events.slice(150);
    // Published without waiting for the notifier, so the cut lands while events are in flight.
    const publishing = (async () => {
      for (const event of before) await publishStored(bed.js, bed.prefix, event);
    })();
    await waitFor(() => queue.ids().size >= 20, { what: 'the first events on the queue' });

    proxy.cut();
    await publishing;
    await waitFor(() => notifier.consumer.paused, { what: 'the consumer paused' });
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks).toContainEqual({
      name: 'amqp',
      ok: false,
      error: expect.stringMatching(/disconnected/),
    });
    expect(down.body.checks).toContainEqual({ name: 'nats', ok: true });

    // While paused the loop takes no more: of what is published now, at most a full pull
    // (concurrency 4) reaches the client buffer; the rest stays pending in the stream.
    for (const event of during) await publishStored(bed.js, bed.prefix, event);
    const consumer = await bed.js.consumers.get(names().streams.stored, names().consumers.notifier);
    const info = await consumer.info();
    expect(info.num_pending).toBeGreaterThanOrEqual(during.length - 4);
    expect(notifier.publisher.connected).toBe(false);

    proxy.restore();
    await waitFor(() => events.every((e) => queue.ids().has(storedEventId(e))), {
      what: 'every event on the queue after the outage',
      timeoutMs: 40_000,
    });
    await waitFor(
      async () => (await consumerLag(bed.js, names().streams.stored, names().consumers.notifier)) === 0,
      {
        what: 'every event acked',
      },
    );
    expect((await readyz()).status).toBe(200);

    // Every message is one of our events; a repeat (published before the cut, confirm lost) is
    // the same message with the same message_id and body.
    const byId = new Map(events.map((e) => [storedEventId(e), e]));
    for (const m of queue.messages) expect(m.body).toEqual(byId.get(m.messageId!));
    expect(queue.ids().size).toBe(events.length);
  }, 90_000);
});
