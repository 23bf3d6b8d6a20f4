/**
 * Suite `notifier`: stored events per second through the notifier (NATS `<P>_STORED` → durable
 * pull consumer → confirm channel → fanout exchange → a bound durable queue) next to raw amqplib
 * confirm-publishing of the very same messages (same bodies, properties and headers) with the same
 * number of unconfirmed publishes in flight, in the same run, against the same broker and queue.
 *
 * Both rates are measured where a downstream system sees them, as arrivals on the bound queue,
 * leaving out the first fifth of each run on both sides (connection set-up; the notifier's fresh
 * process warming up). The notifier runs as its own process, as deployed (compiled, `start:dist`), with the backlog
 * already in the stream. Rounds alternate raw and notifier, and the round with the median ratio
 * is reported, since the machine is shared and its load moves during a run.
 */
import { natsNames, streamSpecs, storedEventId, type StoredReadings } from '@ep/contracts';
import { ensureStream } from '@ep/nats';
import { freePort, infraUrls, storedReadingsEvent, uniqueName, uniquePrefix } from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp, { type Channel, type ConfirmChannel } from 'amqplib';
import type { BenchContext, Measurement, Suite } from '../harness.js';
import { buildServices, startService, type ServiceProcess } from '../services.js';

/** Unconfirmed publishes at most, in both runs: the notifier's EP_AMQP_MAX_IN_FLIGHT (its default). */
const IN_FLIGHT = 64;
/** Events the notifier has in progress (publishing, or acking to NATS once confirmed): its default. */
const NOTIFIER_CONCURRENCY = 128;

/**
 * Counts arrivals on the queue. The rate is taken between the arrival of message `from` and of
 * message `to`: the first messages of a run (connection set-up, a cold JIT in the notifier's
 * fresh process) are left out of both sides alike.
 */
async function arrivals(channel: Channel, queue: string) {
  let count = 0;
  let marks = new Map<number, number>();
  let target = Infinity;
  let reached: () => void = () => undefined;
  const { consumerTag } = await channel.consume(
    queue,
    () => {
      count += 1;
      if (marks.has(count)) marks.set(count, performance.now());
      if (count >= target) reached();
    },
    { noAck: true },
  );
  return {
    /** Arms the counter for a run of `n` messages; the rate skips the first `skip` of them. */
    expect(n: number, skip: number) {
      count = 0;
      target = Infinity;
      marks = new Map([
        [skip + 1, 0],
        [n, 0],
      ]);
    },
    /** Resolves with messages per second between arrival `skip + 1` and arrival `n`. */
    async rate(n: number, skip: number): Promise<number> {
      target = n;
      if (count < n) await new Promise<void>((resolve) => (reached = resolve));
      return ((n - skip - 1) * 1000) / (marks.get(n)! - marks.get(skip + 1)!);
    },
    cancel: () => channel.cancel(consumerTag),
  };
}

/** The raw baseline: amqplib confirm-publishing with at most IN_FLIGHT unconfirmed messages. */
async function rawPublish(
  channel: ConfirmChannel,
  exchange: string,
  events: StoredReadings[],
): Promise<void> {
  let inFlight = 0;
  let wake: () => void = () => undefined;
  for (const event of events) {
    while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
    inFlight += 1;
    // The same properties and headers the notifier sets.
    channel.publish(
      exchange,
      '',
      Buffer.from(JSON.stringify(event)),
      {
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        type: event.type,
        messageId: storedEventId(event),
        timestamp: Math.floor(Date.parse(event.storedAt) / 1000),
        headers: { 'x-ep-site': event.site, 'x-ep-source': event.source },
      },
      (err) => {
        if (err) throw err;
        inFlight -= 1;
        wake();
      },
    );
  }
  await channel.waitForConfirms();
}

/** Runs the notifier as its own process, as deployed, against `prefix` and `exchange`. */
function startNotifier(prefix: string, exchange: string, port: number): ServiceProcess {
  const urls = infraUrls();
  return startService('notifier', {
    NATS_URL: urls.natsUrl,
    AMQP_URL: urls.amqpUrl,
    EP_NATS_PREFIX: prefix,
    EP_AMQP_EXCHANGE: exchange,
    EP_AMQP_MAX_IN_FLIGHT: String(IN_FLIGHT),
    EP_NOTIFIER_CONCURRENCY: String(NOTIFIER_CONCURRENCY),
    PORT: String(port),
    LOG_LEVEL: 'warn',
  });
}

/** The middle value (the lower middle one of an even count, so that it is one of the values). */
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

async function run(ctx: BenchContext): Promise<Measurement[]> {
  const urls = infraUrls();
  const exchange = uniqueName('bench_notifier');
  const queue = uniqueName('bench_notifier_q');
  // Rounds alternate raw and notifier so that load from elsewhere on the machine hits both alike.
  const rounds = ctx.quick ? 1 : 5;
  const count = ctx.quick ? 1_000 : 3_000;
  const skip = count / 5;
  // A readings event as measurement-store emits it: 5 points of 100 samples (~20 KB).
  const events = Array.from({ length: count }, (_, i) => storedReadingsEvent(5, 100, `siemens:bench:${i}`));
  const bytes = Buffer.byteLength(JSON.stringify(events[0]));

  ctx.log('compiling the notifier (tsc -b)');
  buildServices('notifier');
  const nc = await connectNats({ servers: urls.natsUrl });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const connection = await amqp.connect(urls.amqpUrl);
  const admin = await connection.createChannel();
  const streams: string[] = [];
  let notifier: ServiceProcess | undefined;
  const raws: number[] = [];
  const throughs: number[] = [];
  try {
    await admin.assertExchange(exchange, 'fanout', { durable: true });
    await admin.assertQueue(queue, { durable: true });
    await admin.bindQueue(queue, exchange, '');
    const counter = await arrivals(await connection.createChannel(), queue);
    ctx.log(
      `${count} events of ${bytes} bytes per run, at most ${IN_FLIGHT} unconfirmed publishes on both sides, ${rounds} round(s)`,
    );

    for (let round = 1; round <= rounds; round++) {
      // 1. Raw amqplib, the same messages.
      counter.expect(count, skip);
      const confirm = await connection.createConfirmChannel();
      await rawPublish(confirm, exchange, events);
      raws.push(await counter.rate(count, skip));
      await confirm.close();

      // 2. The notifier, with the same events already waiting in its stream.
      counter.expect(count, skip);
      const prefix = uniquePrefix('bnotif');
      const names = natsNames(prefix);
      streams.push(names.streams.stored);
      await ensureStream(jsm, streamSpecs(prefix).stored);
      for (let i = 0; i < events.length; i += 256) {
        await Promise.all(
          events.slice(i, i + 256).map((event) =>
            js.publish(names.subjects.storedReadings(event.site), JSON.stringify(event), {
              msgID: event.batchId,
            }),
          ),
        );
      }
      notifier = startNotifier(prefix, exchange, await freePort());
      throughs.push(await Promise.race([counter.rate(count, skip), notifier.exited]));
      await notifier.stop();
      ctx.log(
        `round ${round}: raw amqplib ${raws.at(-1)!.toFixed(0)} msg/s, notifier ${throughs.at(-1)!.toFixed(0)} events/s`,
      );
    }
    await counter.cancel();
    // Load from elsewhere moves both rates from round to round; the ratio within a round, where
    // both ran seconds apart, moves less. Report the round with the median ratio.
    const ratios = throughs.map((t, i) => t / raws[i]!);
    const mid = ratios.indexOf(median(ratios));
    ctx.log(`ratios by round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; reporting round ${mid + 1}`);
    return [
      {
        name: `events through the notifier (${bytes} B, window ${IN_FLIGHT}, median of ${rounds} rounds)`,
        value: throughs[mid]!,
        unit: 'events/s',
        baseline: raws[mid]!,
      },
    ];
  } finally {
    await notifier?.stop();
    await admin.deleteQueue(queue).catch(() => undefined);
    await admin.deleteExchange(exchange).catch(() => undefined);
    await connection.close().catch(() => undefined);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
}

export const notifierSuite: Suite = {
  name: 'notifier',
  description:
    'stored events/s through the notifier (NATS → confirmed AMQP) vs raw amqplib confirm-publishing',
  run,
};
