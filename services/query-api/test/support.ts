import { generateApiKey } from '@ep/auth';
import { natsNames, type NatsNames, type ReadingsBatchInput, type TeststandEventInput } from '@ep/contracts';
import { createDb } from '@ep/db';
import type { HttpServer } from '@ep/http';
import { createLogger, silentLogger } from '@ep/logger';
import { connectNats, publish } from '@ep/nats';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { infraUrls, uniquePrefix, waitFor, type TestDatabase, startStore } from '@ep/testkit';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { sql, type Kysely } from 'kysely';
import { parseQueryApiConfig } from '../src/config.js';
import { createQueryApi } from '../src/query-api.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * One test file's world: a fresh migrated database, its own NATS prefix, the real measurement
 * store running in-process (data reaches PostgreSQL only through it), and the query API
 * listening on a free port. Only the first admin key is inserted directly, as
 * EP_BOOTSTRAP_ADMIN_KEY does at migration time; everything else goes through the API.
 */
export interface QueryTestEnv {
  db: Kysely<Database>;
  names: NatsNames;
  adminKey: string;
  /** http://127.0.0.1:<port> of the running API. */
  baseUrl: string;
  call(method: string, path: string, key?: string, body?: unknown): Promise<Reply>;
  get(path: string, key?: string): Promise<Reply>;
  /** Creates a site through the admin API. */
  addSite(key: string, timezone: string): Promise<void>;
  /** Creates a key through the admin API and returns its secret. */
  addKey(name: string, scopes: string[], site?: string): Promise<string>;
  /** Publishes readings and waits until the store has committed them. */
  store(batch: ReadingsBatchInput): Promise<void>;
  publishTeststand(event: TeststandEventInput): Promise<void>;
  close(): Promise<void>;
}

export async function queryTestEnv(label: string): Promise<QueryTestEnv> {
  const logger = process.env.EP_TEST_LOG
    ? createLogger({ name: 'test', level: process.env.EP_TEST_LOG })
    : silentLogger();
  const testDb: TestDatabase = await createMigratedTestDatabase(label);
  const db = createDb<Database>({ url: testDb.url, max: 2 });
  const admin = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({ name: 'bootstrap', prefix: admin.prefix, hash: admin.hash, scopes: ['admin'], site_id: null })
    .execute();

  const prefix = uniquePrefix(label);
  const names = natsNames(prefix);
  const natsUrl = infraUrls().natsUrl;
  const storeHandle = await startStore({ databaseUrl: testDb.url, natsUrl, prefix });
  const nc = await connectNats({ url: natsUrl, name: `test-${label}`, logger });
  const js: JetStreamClient = jetstream(nc);

  const api = await createQueryApi(
    parseQueryApiConfig({ DATABASE_URL: testDb.url, DATABASE_POOL_SIZE: '4', PORT: '0' }),
    { logger },
  );
  await api.lifecycle.start();
  const app: HttpServer = api.server;
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const call = async (method: string, path: string, key?: string, body?: unknown): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  let batchCount = 0;

  return {
    db,
    names,
    adminKey: admin.secret,
    baseUrl: base,
    call,
    get: (path, key) => call('GET', path, key),
    async addSite(key, timezone) {
      const r = await call('PUT', `/api/v1/admin/sites/${key}`, admin.secret, { name: key, timezone });
      if (r.status !== 201) throw new Error(`site ${key}: ${r.status} ${r.text}`);
    },
    async addKey(name, scopes, site) {
      const r = await call('POST', '/api/v1/admin/keys', admin.secret, {
        name,
        scopes,
        ...(site ? { site } : {}),
      });
      if (r.status !== 201) throw new Error(`key ${name}: ${r.status} ${r.text}`);
      return r.json.secret as string;
    },
    async store(batch) {
      batchCount += 1;
      await publish(js, names.subjects.readings(batch.source, batch.site), batch, { msgID: batch.batchId });
      const want = batchCount;
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM batches`.execute(db);
          if (rows[0]!.n >= want) return true;
          // A batch the store refused never arrives: fail at once with its reason.
          const { rows: refused } = await sql<{ error: string }>`SELECT error FROM rejected_messages`.execute(
            db,
          );
          if (refused.length > 0)
            throw new Error(`store refused a batch: ${refused.map((r) => r.error).join('; ')}`);
          return false;
        },
        { what: `batch ${batch.batchId} stored`, timeoutMs: 30_000 },
      ).catch((err: unknown) => {
        throw new Error(String(err));
      });
    },
    async publishTeststand(event) {
      await publish(js, names.subjects.teststand(event.stand, event.kind), event, { msgID: event.eventId });
      await waitFor(
        async () =>
          (await db
            .selectFrom('teststand_messages')
            .select('id')
            .where('event_id', '=', event.eventId)
            .executeTakeFirst()) !== undefined,
        { what: `test stand event ${event.eventId} stored` },
      );
    },
    async close() {
      await api.lifecycle.stop();
      await storeHandle.stop();
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(names.streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
    },
  };
}

/** Samples every `stepMs` in [from, to), value from `value(ms)`, all good quality. */
export function series(
  from: string,
  to: string,
  stepMs: number,
  value: (ms: number) => number | null,
): [string, number | null, number][] {
  const out: [string, number | null, number][] = [];
  for (let ms = Date.parse(from); ms < Date.parse(to); ms += stepMs)
    out.push([new Date(ms).toISOString(), value(ms), 0]);
  return out;
}
