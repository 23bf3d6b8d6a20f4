import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { generateApiKey } from '@ep/auth';
import { natsNames } from '@ep/contracts';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { infraUrls, uniquePrefix, waitFor, type TestDatabase, startStore } from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@ep/nats';
import type { sql } from 'kysely';
import type { IngestTables } from '../src/db/tables.js';
import { parseUploadIngestConfig } from '../src/config.js';
import { createUploadIngest } from '../src/upload-ingest.js';

/** SAMPLES_PER_BATCH of the service under test: small, so that fixtures span several batches. */
export const TEST_SAMPLES_PER_BATCH = 1000;

export const fixturePath = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
export const fixture = (name: string) => readFileSync(fixturePath(name));

/** One test file's world: its own database, NATS prefix, a real store and a listening upload-ingest. */
export async function uploadTestEnv(label: string, options: { maxBytes: number }) {
  const logger = silentLogger();
  const testDb: TestDatabase = await createMigratedTestDatabase(label);
  const db = createDb<IngestTables>({ url: testDb.url, max: 3 });
  const prefix = uniquePrefix(label);
  const { natsUrl } = infraUrls();
  const store = await startStore({ databaseUrl: testDb.url, natsUrl, prefix });
  const service = await createUploadIngest(
    parseUploadIngestConfig({
      DATABASE_URL: testDb.url,
      NATS_URL: natsUrl,
      EP_NATS_PREFIX: prefix,
      PORT: '0',
      UPLOAD_MAX_BYTES: String(options.maxBytes),
      SAMPLES_PER_BATCH: String(TEST_SAMPLES_PER_BATCH),
    }),
    { logger, exit: () => undefined },
  );
  await service.lifecycle.start();
  const base = `http://127.0.0.1:${(service.server.server.address() as AddressInfo).port}`;

  async function addKey(name: string, scopes: string[], site?: string): Promise<string> {
    const key = generateApiKey();
    const siteId = site
      ? (await db.selectFrom('sites').select('id').where('key', '=', site).executeTakeFirstOrThrow()).id
      : null;
    await db
      .insertInto('api_keys')
      .values({ name, prefix: key.prefix, hash: key.hash, scopes, site_id: siteId })
      .execute();
    return key.secret;
  }

  return {
    db,
    base,
    prefix,
    addKey,
    async addSite(key: string, timezone: string) {
      await db.insertInto('sites').values({ key, name: key, timezone }).execute();
    },
    /**
     * Waits until the store has committed every batch of an upload. Read from the uploads table:
     * query-api serves it over HTTP (GET /api/v1/uploads/{id}), upload-ingest writes it.
     */
    async waitStored(uploadId: string) {
      return waitFor(
        async () => {
          const row = await db
            .selectFrom('uploads')
            .select(['status', 'samples', 'samples_stored'])
            .where('id', '=', uploadId)
            .executeTakeFirst();
          if (row?.status !== 'stored') return undefined;
          const fraction = row.samples > 0 ? row.samples_stored / row.samples : 1;
          return { status: row.status, progress: { samplesStored: row.samples_stored, fraction } };
        },
        { what: `upload ${uploadId} stored`, timeoutMs: 30_000 },
      );
    },
    async count(query: ReturnType<typeof sql>) {
      const { rows } = await query.execute(db);
      return Number((rows[0] as { n: number }).n);
    },
    async close() {
      await service.lifecycle.stop();
      await store.stop();
      await db.destroy();
      await testDb.drop();
      // The streams of this prefix go too, so repeated runs do not fill the NATS server.
      const nc = await connectNats({ url: natsUrl, name: 'upload-ingest-test-cleanup', logger });
      const jsm = await jetstreamManager(nc);
      const names = natsNames(prefix);
      for (const s of Object.values(names.streams)) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
    },
  };
}

/** A multipart body as the legacy Windows script sends it: one field `file`. */
export function multipart(content: Buffer | string, filename: string, field = 'file'): FormData {
  const form = new FormData();
  form.append(field, new Blob([content]), filename);
  return form;
}
