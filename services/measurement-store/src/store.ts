import { natsNames } from '@ep/contracts';
import { createDb, createPool, pingDb } from '@ep/db';
import { httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { connectNats, consumerLag } from '@ep/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { createStoreMetrics } from './adapters/metrics.js';
import { provisionMeasurementStreams } from './adapters/provision.js';
import { createReadingsConsumer, type WriteLimits } from './adapters/readings-consumer.js';
import { createReadingsWriter } from './adapters/readings-writer.js';
import { createTeststandConsumer } from './adapters/teststand-consumer.js';
import type { Database } from '@ep/schema';
import { parseStoreConfig, type StoreConfig } from './config.js';

export interface MeasurementStore extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  db: Kysely<Database>;
  nc: NatsConnection;
  registry: Registry;
}

/**
 * Connects to PostgreSQL and NATS (failing fast when NATS is unreachable), provisions the
 * streams and the store's durable consumers, and wires connections → HTTP ops server → consume
 * loops into a lifecycle that starts them in that order and stops them in reverse: the loops
 * finish their writes first, /readyz answers while they drain, the connections close last.
 * Nothing runs before lifecycle.start().
 */
export async function createMeasurementStore(
  config: StoreConfig,
  deps: ServiceDeps,
): Promise<MeasurementStore> {
  const { logger } = deps;
  const names = natsNames(config.EP_NATS_PREFIX);
  const limits: WriteLimits = {
    maxMessages: config.STORE_BATCH_MESSAGES,
    maxSamples: config.STORE_BATCH_SAMPLES,
    maxWaitMs: config.STORE_BATCH_WAIT_MS,
    maxWrites: config.STORE_WRITES,
  };
  const registry = new Registry();
  const lifecycle = serviceLifecycle(deps);

  const db = createDb<Database>({
    url: config.DATABASE_URL,
    logger,
    max: 4,
    applicationName: 'measurement-store',
  });
  // The write path needs raw clients for COPY: one per concurrent write.
  const pool = createPool({
    url: config.DATABASE_URL,
    logger,
    max: limits.maxWrites,
    applicationName: 'measurement-store-writer',
    label: 'writer',
  });
  lifecycle.add({
    name: 'postgres',
    async stop() {
      await db.destroy();
      await pool.end();
    },
  });

  let nc: NatsConnection;
  try {
    nc = await connectNats({ url: config.NATS_URL, name: 'measurement-store', logger });
  } catch (err) {
    await lifecycle.stop('NATS unreachable');
    throw err;
  }
  lifecycle.add({ name: 'nats', stop: () => nc.drain().catch(() => nc.close()) });
  const js = jetstream(nc);
  await provisionMeasurementStreams(await jetstreamManager(nc), {
    prefix: config.EP_NATS_PREFIX,
    ackWaitMs: config.STORE_ACK_WAIT_MS,
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

  const server = await buildApp({
    logger,
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
  });
  lifecycle.add(httpResource(server, { port: config.PORT }), readings, teststand);
  return { lifecycle, server, db, nc, registry };
}

/** What startMeasurementStore may set besides the connections; defaults as in config.ts. */
export interface StoreOptions {
  databaseUrl: string;
  natsUrl: string;
  /** EP_NATS_PREFIX. */
  prefix: string;
  logger: Logger;
  /** Write batch bounds (STORE_BATCH_*, STORE_WRITES). */
  limits?: Partial<WriteLimits>;
  /** Ack wait of the durable consumers, in ms (STORE_ACK_WAIT_MS). */
  ackWaitMs?: number;
}

/**
 * Runs a whole measurement store in this process, its ops server on a free port: for
 * integration tests (this service's and others') and benchmarks that need readings written
 * through the real store. Expects a database migrated by @ep/schema; provisions the streams itself.
 */
export async function startMeasurementStore(options: StoreOptions): Promise<{ stop(): Promise<void> }> {
  const { limits = {} } = options;
  const config = parseStoreConfig({
    DATABASE_URL: options.databaseUrl,
    NATS_URL: options.natsUrl,
    EP_NATS_PREFIX: options.prefix,
    PORT: '0',
    STORE_BATCH_MESSAGES: limits.maxMessages?.toString(),
    STORE_BATCH_SAMPLES: limits.maxSamples?.toString(),
    STORE_BATCH_WAIT_MS: limits.maxWaitMs?.toString(),
    STORE_WRITES: limits.maxWrites?.toString(),
    STORE_ACK_WAIT_MS: options.ackWaitMs?.toString(),
  });
  const store = await createMeasurementStore(config, { logger: options.logger, exit: () => undefined });
  try {
    await store.lifecycle.start();
  } catch (err) {
    await store.lifecycle.stop('start failed');
    throw err;
  }
  return { stop: () => store.lifecycle.stop('stop requested') };
}
