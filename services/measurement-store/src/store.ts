import { natsNames } from '@ep/contracts';
import { createDb, pingDb, typeParsers } from '@ep/db';
import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { connectNats, consumerLag } from '@ep/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { createStoreMetrics } from './adapters/metrics.js';
import { provisionMeasurementStreams } from './adapters/provision.js';
import { createReadingsConsumer, type GatherLimits } from './adapters/readings-consumer.js';
import { createReadingsWriter } from './adapters/readings-writer.js';
import { createTeststandConsumer } from './adapters/teststand-consumer.js';
import type { Database } from '@ep/schema';

export interface StoreOptions {
  databaseUrl: string;
  natsUrl: string;
  /** EP_NATS_PREFIX. */
  prefix: string;
  logger: Logger;
  /** Write batch bounds; defaults suit production (see config.ts). */
  limits?: Partial<GatherLimits>;
  /** Ack wait of the durable consumers, in ms (provisioning). */
  ackWaitMs?: number;
  /** Metrics go here; a fresh registry otherwise. */
  registry?: Registry;
}

export const DEFAULT_LIMITS: GatherLimits = {
  maxMessages: 100,
  maxSamples: 50_000,
  maxWaitMs: 200,
  maxWrites: 2,
};

/** The store's clients and loops, as lifecycle resources plus what /readyz checks. */
export interface StoreParts {
  resources: Resource[];
  db: Kysely<Database>;
  nc: NatsConnection;
  registry: Registry;
  checks: { name: string; check: () => Promise<void> }[];
}

/**
 * Connects to PostgreSQL and NATS, provisions streams and consumers, and builds both consume
 * loops. Nothing consumes until the returned resources are started (in order).
 */
export async function buildStore(options: StoreOptions): Promise<StoreParts> {
  const { logger } = options;
  const names = natsNames(options.prefix);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const registry = options.registry ?? new Registry();

  const db = createDb<Database>({
    url: options.databaseUrl,
    logger,
    max: 4,
    applicationName: 'measurement-store',
  });
  // The write path needs raw clients for COPY: one per concurrent write.
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: limits.maxWrites,
    application_name: 'measurement-store-writer',
    types: typeParsers,
  });
  pool.on('error', (err) => logger.warn({ err }, 'idle writer connection failed'));

  let nc: NatsConnection;
  try {
    nc = await connectNats({ url: options.natsUrl, name: 'measurement-store', logger });
  } catch (err) {
    await db.destroy();
    await pool.end();
    throw err;
  }
  const js = jetstream(nc);
  await provisionMeasurementStreams(await jetstreamManager(nc), {
    prefix: options.prefix,
    ...(options.ackWaitMs !== undefined ? { ackWaitMs: options.ackWaitMs } : {}),
  });

  // Lag is read from the server at scrape time, so it is current and costs nothing between scrapes.
  const metrics = createStoreMetrics(registry, async () => {
    const out: { stream: string; lag: number }[] = [];
    for (const [stream, durable] of [
      [names.streams.readings, names.consumers.storeReadings],
      [names.streams.teststand, names.consumers.storeTeststand],
    ] as const) {
      // NATS unreachable: /readyz says so; the gauge keeps its last value.
      const lag = await consumerLag(js, stream, durable).catch(() => undefined);
      if (lag !== undefined) out.push({ stream, lag });
    }
    return out;
  });

  const writer = createReadingsWriter({ pool, logger, metrics });
  const readings = createReadingsConsumer({ js, names, db, writer, logger, limits, registry });
  const teststand = createTeststandConsumer({ js, names, db, logger, registry, metrics });

  const connections: Resource = {
    name: 'connections',
    async stop() {
      await nc.drain().catch(() => nc.close());
      await db.destroy();
      await pool.end();
    },
  };
  return {
    // Stopped in reverse: the loops finish their writes before the connections close.
    resources: [connections, readings, teststand],
    db,
    nc,
    registry,
    checks: [
      { name: 'postgres', check: () => pingDb(db) },
      {
        name: 'nats',
        check: async () => {
          if (nc.isClosed()) throw new Error('connection closed');
          await nc.flush();
        },
      },
    ],
  };
}

/**
 * Runs a whole measurement store in this process (no HTTP server): for other services'
 * integration tests and benchmarks, which need readings written through the real store.
 * Expects a database migrated by @ep/schema; provisions the streams itself.
 */
export async function startMeasurementStore(options: StoreOptions): Promise<{ stop(): Promise<void> }> {
  const parts = await buildStore(options);
  const started: Resource[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const r of [...started].reverse()) {
        try {
          await r.stop();
        } catch (err) {
          options.logger.error({ err, resource: r.name }, 'stop failed');
        }
      }
    })());
  try {
    for (const r of parts.resources) {
      started.push(r);
      await r.start?.();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { stop };
}
