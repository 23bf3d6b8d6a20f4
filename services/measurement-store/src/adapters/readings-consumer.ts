import { ReadingsBatchV1, type NatsNames, type ReadingsBatch } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { startMessageSpan, type MessageSpan } from '@ep/telemetry';
import {
  createBatchConsumer,
  outcome,
  publish,
  type BatchItem,
  type ConsumerLoop,
  type InvalidMessage,
  type Outcome,
} from '@ep/nats';
import { jsonDecoder } from './decode.js';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { insertRejected } from '../db/rejected.repo.js';
import type { Database } from '@ep/schema';
import { findSites } from '../db/sites.repo.js';
import { sampleCount, type AcceptedBatch, type SiteRef } from '../domain/readings.js';
import type { ReadingsWriter } from './readings-writer.js';

export interface WriteLimits {
  /** Most input batches (messages) per write transaction. */
  maxMessages: number;
  /** A write transaction holds at most this many samples (unless one input batch has more). */
  maxSamples: number;
  /** Longest wait for a write to fill after its first message, in ms. */
  maxWaitMs: number;
  /** Write transactions at once in this process (each holds one database connection). */
  maxWrites: number;
}

/** Records a terminated message in rejected_messages; logging is left to the consume loop. */
export function recordInvalid(db: Kysely<Database>, logger: Logger) {
  return async (invalid: InvalidMessage): Promise<void> => {
    const reason = invalid.error instanceof Error ? invalid.error.message : String(invalid.error);
    try {
      await insertRejected(db, {
        consumer: invalid.consumer,
        subject: invalid.subject,
        stream_seq: invalid.seq,
        error: `${invalid.reason}: ${reason}`.slice(0, 10_000),
        data: Buffer.from(invalid.data),
      });
    } catch (err) {
      logger.error({ err, seq: invalid.seq }, 'could not record a rejected message');
    }
  };
}

/**
 * The readings consumer: @ep/nats cuts write batches by message count, sample count and time;
 * each is one transaction, after which one stored event per input batch is published
 * (msgID = batchId) and only then are its messages acked. A message for an unknown site is
 * terminated and recorded (the reason says how to add the site) while the rest of its batch is
 * written. Up to `maxWrites` writes run at once per process, and the next one gathers meanwhile.
 */
export function createReadingsConsumer(deps: {
  js: JetStreamClient;
  names: NatsNames;
  db: Kysely<Database>;
  writer: ReadingsWriter;
  logger: Logger;
  limits: WriteLimits;
  registry?: Registry;
  nakDelayMs?: number;
}): ConsumerLoop {
  const { js, names, db, writer, limits } = deps;
  const logger = deps.logger.child({ component: 'readings' });
  const sites = new Map<string, SiteRef>();

  async function resolveSites(items: BatchItem<ReadingsBatch>[]): Promise<void> {
    // Unknown keys are looked up every time: a site added with the CLI is picked up at once.
    const missing = new Set<string>();
    for (const { value } of items) if (!sites.has(value.site)) missing.add(value.site);
    if (missing.size === 0) return;
    for (const site of await findSites(db, [...missing])) sites.set(site.key, site);
  }

  /** One write: outcome per message, in order; a span per message from here to its settling. */
  async function store(items: BatchItem<ReadingsBatch>[]): Promise<Outcome[]> {
    const spans: MessageSpan[] = items.map((i) => startMessageSpan('store readings', i.msg.headers));
    const outcomes: Outcome[] = new Array<Outcome>(items.length).fill(outcome.ack);
    try {
      await resolveSites(items);
    } catch (err) {
      for (const span of spans) span.end(err);
      throw err;
    }
    const accepted: AcceptedBatch[] = [];
    const acceptedAt: number[] = [];
    items.forEach(({ value: batch }, i) => {
      const site = sites.get(batch.site);
      if (site) {
        accepted.push({ batch, site });
        acceptedAt.push(i);
        return;
      }
      const reason = new Error(
        `unknown site "${batch.site}" in batch ${batch.batchId}; add it with ` +
          `\`pnpm ep sites add ${batch.site} --tz <IANA zone>\` (e.g. --tz America/Chicago) and publish again`,
      );
      spans[i]!.end(reason);
      outcomes[i] = outcome.term(reason);
    });
    if (accepted.length === 0) return outcomes;
    try {
      const { events, setpoints, dropped } = await writer.write(accepted);
      // After the commit: a crash from here on redelivers, and the replay publishes the same ids.
      // The first of two copies of one batch (a redelivery while the first was in hand) speaks
      // for both: its span goes on in the stored event, its seq in a rejected_messages record.
      const byBatch = new Map<string, number>();
      for (const i of acceptedAt) {
        const id = items[i]!.value.batchId;
        if (!byBatch.has(id)) byBatch.set(id, i);
      }
      await Promise.all([
        ...events.map((event) =>
          publish(js, names.subjects.storedReadings(event.site), event, {
            msgID: event.batchId,
            headers: spans[byBatch.get(event.batchId)!]?.nextHop() ?? {},
          }),
        ),
        // A set-point change is its own fact downstream (its own AMQP type), id'd by its eventId.
        ...setpoints.map((event) =>
          publish(js, names.subjects.storedSetpoints(event.site), event, { msgID: event.eventId }),
        ),
      ]);
      for (const d of dropped) {
        const delivery = items[byBatch.get(d.batchId)!]!.msg;
        logger.warn(
          { batchId: d.batchId, dropped: d.samples.length },
          'samples with unusable timestamps dropped',
        );
        await insertRejected(db, {
          consumer: names.consumers.storeReadings,
          subject: delivery.subject,
          stream_seq: delivery.seq,
          error:
            `batch ${d.batchId}: ${d.samples.length} sample(s) dropped, the rest stored: ` +
            d.samples
              .slice(0, 20)
              .map((s) => `point ${s.point} sample ${s.index} (ts ${JSON.stringify(s.ts)}): ${s.reason}`)
              .join('; '),
          data: null,
        }).catch((err: unknown) => logger.error({ err }, 'could not record dropped samples'));
      }
      for (const i of acceptedAt) spans[i]!.end();
      return outcomes;
    } catch (err) {
      // Nothing of the write is durable: its messages come again; the unknown-site ones stay terminated.
      logger.warn({ err, batches: accepted.length }, 'write failed; its messages will be redelivered');
      for (const i of acceptedAt) {
        spans[i]!.end(err);
        outcomes[i] = retry;
      }
      return outcomes;
    }
  }
  const retry = outcome.nak(deps.nakDelayMs);

  return createBatchConsumer<ReadingsBatch>({
    js,
    stream: names.streams.readings,
    durable: names.consumers.storeReadings,
    name: 'store-readings',
    logger,
    decode: jsonDecoder((v) => ReadingsBatchV1.parse(v)),
    onInvalid: recordInvalid(db, logger),
    maxBatch: limits.maxMessages,
    budget: { max: limits.maxSamples, weigh: sampleCount },
    maxWaitMs: limits.maxWaitMs,
    concurrency: limits.maxWrites,
    // Raw messages pulled ahead: one write's worth. Decoded ones in hand: the writes running plus
    // the complete ones waiting for a connection (see createBatchConsumer), each bounded by count
    // and samples, so a backlog of large upload batches does not pile up in memory.
    prefetch: limits.maxMessages,
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.nakDelayMs !== undefined ? { nakDelayMs: deps.nakDelayMs } : {}),
    handleBatch: store,
  });
}
