import { findApiKeyByPrefix } from '@ep/auth';
import { natsNames } from '@ep/contracts';
import { createDb, pingDb } from '@ep/db';
import { createHttpServer, httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import { connectNats } from '@ep/nats';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { uploadIngestApp } from './app.js';
import { createIngestMetrics, withPassMetrics, withRequestMetrics } from './adapters/metrics.js';
import { withTracing } from './adapters/tracing.js';
import type { UploadIngestConfig } from './config.js';
import type { IngestTables } from './db/tables.js';
import { countUploads } from './db/uploads.repo.js';
import { createFilePasses } from './use-cases/file-passes.js';
import { createUploadIngester } from './use-cases/ingest-upload.js';

export interface UploadIngest extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  db: Kysely<IngestTables>;
  nc: NatsConnection;
  registry: Registry;
}

/**
 * Connects to PostgreSQL and NATS (failing fast when NATS is unreachable) and builds the HTTP
 * server with the upload API into a lifecycle: connections first, the server last, so stop()
 * lets requests in flight finish before their connections close. Nothing listens before
 * lifecycle.start().
 */
export async function createUploadIngest(
  config: UploadIngestConfig,
  deps: ServiceDeps,
): Promise<UploadIngest> {
  const { logger } = deps;
  const lifecycle = serviceLifecycle(deps);
  const db = createDb<IngestTables>({
    url: config.DATABASE_URL,
    logger,
    max: 8,
    applicationName: 'upload-ingest',
  });
  lifecycle.add({ name: 'postgres', stop: () => db.destroy() });
  let nc: NatsConnection;
  try {
    nc = await connectNats({ url: config.NATS_URL, name: 'upload-ingest', logger });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  lifecycle.add({ name: 'nats', stop: () => nc.drain().catch(() => nc.close()) });

  const registry = new Registry();
  const metrics = createIngestMetrics(registry, () => countUploads(db));
  const server = await createHttpServer({
    logger,
    name: 'upload-ingest',
    docs: {
      title: 'EP upload-ingest',
      description: 'Siemens Insight and Automated Logic CSV uploads',
      tags: [{ name: 'uploads', description: 'Files exported by building-automation systems, taken in' }],
    },
    ops: {
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
    },
  });
  const passes = createFilePasses({
    js: jetstream(nc),
    names: natsNames(config.EP_NATS_PREFIX),
    samplesPerBatch: config.SAMPLES_PER_BATCH,
    publishConcurrency: config.PUBLISH_CONCURRENCY,
  });
  const ingester = createUploadIngester({
    db,
    logger,
    passes: withPassMetrics(passes, metrics, logger),
    staleSeconds: config.UPLOAD_STALE_SECONDS,
  });
  await server.register(uploadIngestApp, {
    db,
    findKey: (prefix) => findApiKeyByPrefix(db, prefix),
    maxBytes: config.UPLOAD_MAX_BYTES,
    tmpDir: config.UPLOAD_TMP_DIR,
    ingester: withTracing(withRequestMetrics(ingester, metrics)),
  });
  lifecycle.add(httpResource(server, { port: config.PORT }));
  return { lifecycle, server, db, nc, registry };
}
