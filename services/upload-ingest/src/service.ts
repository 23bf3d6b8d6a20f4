import { findApiKeyByPrefix } from '@ep/auth';
import { natsNames } from '@ep/contracts';
import { createDb, pingDb } from '@ep/db';
import { createHttpServer, type HttpServer } from '@ep/http';
import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import { jetstream } from '@nats-io/jetstream';
import { Registry } from 'prom-client';
import { uploadIngestApp } from './app.js';
import { createIngestMetrics } from './adapters/metrics.js';
import type { IngestTables } from './db/tables.js';
import { countUploads } from './db/uploads.repo.js';

export interface ServiceOptions {
  databaseUrl: string;
  natsUrl: string;
  prefix: string;
  logger: Logger;
  maxBytes: number;
  samplesPerBatch: number;
  publishConcurrency: number;
  staleSeconds: number;
  tmpDir?: string;
}

/**
 * Connects the clients and builds the HTTP server with the upload API. The server does not
 * listen yet; `resources` (connections first) go to the lifecycle, which stops them in reverse.
 */
export async function buildService(
  options: ServiceOptions,
): Promise<{ app: HttpServer; resources: Resource[] }> {
  const { logger } = options;
  const db = createDb<IngestTables>({
    url: options.databaseUrl,
    logger,
    max: 8,
    applicationName: 'upload-ingest',
  });
  let nc;
  try {
    nc = await connectNats({ url: options.natsUrl, name: 'upload-ingest', logger });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const registry = new Registry();
  const metrics = createIngestMetrics(registry, () => countUploads(db));
  const app = await createHttpServer({
    logger,
    name: 'upload-ingest',
    docs: { title: 'EP upload-ingest', description: 'Siemens Insight and Automated Logic CSV uploads' },
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
  await app.register(uploadIngestApp, {
    db,
    findKey: (prefix) => findApiKeyByPrefix(db, prefix),
    maxBytes: options.maxBytes,
    tmpDir: options.tmpDir,
    ingest: {
      db,
      js: jetstream(nc),
      names: natsNames(options.prefix),
      logger,
      metrics,
      samplesPerBatch: options.samplesPerBatch,
      publishConcurrency: options.publishConcurrency,
      staleSeconds: options.staleSeconds,
    },
  });
  const connections: Resource = {
    name: 'connections',
    async stop() {
      await nc.drain().catch(() => nc.close());
      await db.destroy();
    },
  };
  return { app, resources: [connections] };
}
