import { ReadingsBatchV1, SAMPLES_PER_BATCH, type NatsNames, type ReadingsBatch } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { startMessageSpan, type MessageSpan } from '@ep/telemetry';
import {
  createConsumer,
  PermanentError,
  publish,
  type ConsumerLoop,
  type Delivery,
  type InvalidMessage,
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

export interface GatherLimits {
  /** Most input batches (messages) per write transaction. */
  maxMessages: number;
  /** A write transaction is cut once it holds this many samples. */
  maxSamples: number;
  /** Longest wait for a write to fill after its first message, in ms. */
  maxWaitMs: number;
  /** Write transactions at once in this process (each holds one database connection). */
  maxWrites: number;
}

interface Item {
  batch: ReadingsBatch;
  delivery: Delivery;
  /** From gathering to ack; its trace goes on in the stored event's headers. */
  span: MessageSpan;
  resolve: () => void;
  reject: (err: unknown) => void;
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
 * The readings consumer. Each delivery is handed to a gatherer that cuts write batches by
 * message count, sample count and time; each write is one transaction, after which one stored
 * event per input batch is published (msgID = batchId) and only then are the messages acked.
 * Messages for an unknown site are terminated and recorded, without holding up the others.
 * Up to `maxWrites` writes run at once per process, and the next write gathers meanwhile.
 */
export function createReadingsConsumer(deps: {
  js: JetStreamClient;
  names: NatsNames;
  db: Kysely<Database>;
  writer: ReadingsWriter;
  logger: Logger;
  limits: GatherLimits;
  registry?: Registry;
  nakDelayMs?: number;
}): ConsumerLoop {
  const { js, names, db, writer, limits } = deps;
  const logger = deps.logger.child({ component: 'readings' });
  let pending: Item[] = [];
  let pendingSamples = 0;
  let timer: NodeJS.Timeout | undefined;
  const ready: Item[][] = [];
  let writing = 0;
  let closing = false;
  const sites = new Map<string, SiteRef>();

  function cut(): void {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    ready.push(pending);
    pending = [];
    pendingSamples = 0;
    pump();
  }

  function pump(): void {
    while (writing < limits.maxWrites && ready.length > 0) {
      const group = ready.shift()!;
      writing += 1;
      void process(group).finally(() => {
        writing -= 1;
        pump();
      });
    }
  }

  async function resolveSites(keys: string[]): Promise<void> {
    // Unknown keys are looked up every time: a site added with the CLI is picked up at once.
    const missing = keys.filter((k) => !sites.has(k));
    if (missing.length === 0) return;
    for (const site of await findSites(db, missing)) sites.set(site.key, site);
  }

  async function process(group: Item[]): Promise<void> {
    try {
      await resolveSites([...new Set(group.map((i) => i.batch.site))]);
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    const accepted: Item[] = [];
    for (const item of group) {
      const site = sites.get(item.batch.site);
      if (site) accepted.push(item);
      else
        item.reject(
          new PermanentError(
            `unknown site "${item.batch.site}" in batch ${item.batch.batchId}; add it with ` +
              `\`pnpm ep sites add ${item.batch.site} --tz <IANA zone>\` (e.g. --tz America/Chicago) and publish again`,
          ),
        );
    }
    if (accepted.length === 0) return;
    try {
      const batches: AcceptedBatch[] = accepted.map((i) => ({
        batch: i.batch,
        site: sites.get(i.batch.site)!,
      }));
      const { events, dropped } = await writer.write(batches);
      // After the commit: a crash from here on redelivers, and the replay publishes the same ids.
      // The first of two copies of one batch (a redelivery while the first was in hand) speaks
      // for both: its span goes on in the stored event, its seq in a rejected_messages record.
      const byBatch = new Map<string, Item>();
      for (const item of accepted)
        if (!byBatch.has(item.batch.batchId)) byBatch.set(item.batch.batchId, item);
      await Promise.all(
        events.map((event) =>
          publish(js, names.subjects.storedReadings(event.site), event, {
            msgID: event.batchId,
            headers: byBatch.get(event.batchId)?.span.nextHop() ?? {},
          }),
        ),
      );
      for (const d of dropped) {
        const item = byBatch.get(d.batchId)!;
        logger.warn(
          { batchId: d.batchId, dropped: d.samples.length },
          'samples with unusable timestamps dropped',
        );
        await insertRejected(db, {
          consumer: names.consumers.storeReadings,
          subject: item.delivery.subject,
          stream_seq: item.delivery.seq,
          error:
            `batch ${d.batchId}: ${d.samples.length} sample(s) dropped, the rest stored: ` +
            d.samples
              .slice(0, 20)
              .map((s) => `point ${s.point} sample ${s.index} (ts ${JSON.stringify(s.ts)}): ${s.reason}`)
              .join('; '),
          data: null,
        }).catch((err: unknown) => logger.error({ err }, 'could not record dropped samples'));
      }
      for (const item of accepted) item.resolve();
    } catch (err) {
      for (const item of accepted) item.reject(err);
    }
  }

  const loop = createConsumer<ReadingsBatch>({
    js,
    stream: names.streams.readings,
    durable: names.consumers.storeReadings,
    name: 'store-readings',
    logger,
    decode: jsonDecoder((v) => ReadingsBatchV1.parse(v)),
    onInvalid: recordInvalid(db, logger),
    // Messages of the writes running plus one gathering, by count and by samples: a backlog of
    // 5,000-sample upload batches would otherwise put 300 of them (1.5 M samples) in memory,
    // decoded. Never below three upload batches a write, or a small STORE_BATCH_SAMPLES would
    // make the store take such batches one at a time. Raw messages pulled ahead: one write's worth.
    concurrency: limits.maxMessages * (limits.maxWrites + 1),
    budget: {
      max: Math.max(limits.maxSamples, 3 * SAMPLES_PER_BATCH) * (limits.maxWrites + 1),
      weigh: sampleCount,
    },
    prefetch: limits.maxMessages,
    ...(deps.registry ? { registry: deps.registry } : {}),
    ...(deps.nakDelayMs !== undefined ? { nakDelayMs: deps.nakDelayMs } : {}),
    handle(batch, delivery) {
      if (closing) return Promise.reject(new Error('store is stopping; the message will be redelivered'));
      return new Promise<void>((resolve, reject) => {
        const span = startMessageSpan('store readings', delivery.headers);
        pending.push({
          batch,
          delivery,
          span,
          resolve: () => {
            span.end();
            resolve();
          },
          reject: (err) => {
            span.end(err);
            reject(err);
          },
        });
        pendingSamples += sampleCount(batch);
        if (pending.length >= limits.maxMessages || pendingSamples >= limits.maxSamples) cut();
        else timer ??= setTimeout(cut, limits.maxWaitMs);
      });
    },
  });

  return {
    name: 'store-readings',
    get consuming() {
      return loop.consuming;
    },
    start: () => loop.start(),
    async stop() {
      // Finish the write in hand; give back (nak, un-acked) what was gathered but not started.
      closing = true;
      clearTimeout(timer);
      const abandoned = [...pending, ...ready.flat()];
      pending = [];
      ready.length = 0;
      for (const item of abandoned)
        item.reject(new Error('store is stopping; the message will be redelivered'));
      await loop.stop();
    },
  };
}
