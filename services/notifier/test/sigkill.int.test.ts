import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsNames, storedEventId, type StoredEvent } from '@ep/contracts';
import { consumerLag } from '@ep/nats';
import {
  startService,
  storedReadingsEvent,
  storedTeststandEvent,
  storedTeststandEvents,
  waitFor,
  type ServiceProcess,
} from '@ep/testkit';
import {
  collect,
  createTestBed,
  publishStored,
  relayedEvents,
  type QueueCollector,
  type StoredMessage,
  type TestBed,
} from './helpers.js';

describe('notifier killed with SIGKILL mid-stream and restarted', () => {
  let bed: TestBed;
  let queue: QueueCollector;
  const children: ServiceProcess[] = [];

  beforeAll(async () => {
    bed = await createTestBed('kill');
    queue = collect(bed.urls.amqpUrl, bed.queue);
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await queue?.stop();
    await bed?.cleanup();
  });

  it('loses no event', async () => {
    const env = {
      NATS_URL: bed.urls.natsUrl,
      AMQP_URL: bed.urls.amqpUrl,
      EP_NATS_PREFIX: bed.prefix,
      EP_AMQP_EXCHANGE: bed.exchange,
      PORT: '0',
      LOG_LEVEL: 'warn',
      EP_NOTIFIER_CONCURRENCY: '4',
      // The killed process's un-acked events come back after this.
      EP_NOTIFIER_ACK_WAIT_MS: '3000',
    };
    // Readings events, single test-stand events and batches of test-stand events (whose
    // NATS message is acked only once all its events are confirmed).
    const first: StoredMessage[] = Array.from({ length: 400 }, (_, i) => {
      if (i % 50 === 0) return storedTeststandEvent(i);
      if (i % 10 === 5)
        return storedTeststandEvents(
          Array.from({ length: 6 }, (_, k) => storedTeststandEvent(1_000 + i * 10 + k, `stand_${k % 3}`)),
        );
      return storedReadingsEvent(3, 20, `siemens:kill:${i}`);
    });
    for (const event of first) await publishStored(bed.js, bed.prefix, event);
    const firstEvents = first.flatMap(relayedEvents);

    const a = startService('notifier', env, { stderr: 'ignore' });
    children.push(a);
    await waitFor(() => queue.ids().size >= 40, {
      what: `the first events (notifier output: ${a.output()})`,
      timeoutMs: 30_000,
    });
    expect(await a.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    // Killed mid-stream: not everything had gone out.
    expect(queue.ids().size).toBeLessThan(firstEvents.length);

    const later: StoredEvent[] = Array.from({ length: 100 }, (_, i) =>
      storedReadingsEvent(2, 10, `siemens:kill:after:${i}`),
    );
    for (const event of later) await publishStored(bed.js, bed.prefix, event);

    const b = startService('notifier', env, { stderr: 'ignore' });
    children.push(b);
    const all: StoredEvent[] = [...firstEvents, ...later];
    expect(all.filter((e) => e.type === 'teststand.stored')).toHaveLength(8 + 40 * 6);
    await waitFor(() => all.every((e) => queue.ids().has(storedEventId(e))), {
      what: `every event after the restart (notifier output: ${b.output()})`,
      timeoutMs: 45_000,
    });
    const names = natsNames(bed.prefix);
    await waitFor(
      async () => (await consumerLag(bed.js, names.streams.stored, names.consumers.notifier)) === 0,
      {
        what: 'every event acked',
      },
    );
    const byId = new Map(all.map((e) => [storedEventId(e), e]));
    for (const m of queue.messages) expect(m.body).toEqual(byId.get(m.messageId!));
    expect(queue.ids().size).toBe(all.length);

    // A SIGTERM stops it cleanly.
    expect(await b.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);
});
