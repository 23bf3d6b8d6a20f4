import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, startFaultProxy, waitFor, type TestDatabase } from '@ep/testkit';
import { sql, type Generated, type Kysely } from 'kysely';
import { createDb, pingDb } from './index.js';

interface Database {
  sample: {
    id: Generated<number>;
    big: number;
    amount: number;
    day: string;
    at: Date;
  };
}

describe('createDb', () => {
  let testDb: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    testDb = await createTestDatabase('db');
    db = createDb<Database>({ url: testDb.url, applicationName: 'ep-db-test' });
    await sql`create table sample (
      id bigint generated always as identity primary key,
      big bigint not null,
      amount numeric not null,
      day date not null,
      at timestamptz not null
    )`.execute(db);
  });
  afterAll(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it('answers a ping and names itself in pg_stat_activity', async () => {
    await expect(pingDb(db)).resolves.toBeUndefined();
    const { rows } = await sql<{ name: string }>`select current_setting('application_name') as name`.execute(
      db,
    );
    expect(rows[0]?.name).toBe('ep-db-test');
  });

  it('returns bigint and numeric columns as numbers, date as text, timestamptz as Date', async () => {
    await db
      .insertInto('sample')
      .values({
        big: 9_007_199_254_740_991,
        amount: 12.375,
        day: '2026-03-29',
        at: new Date('2026-03-29T01:30:00Z'),
      })
      .execute();
    const row = await db.selectFrom('sample').selectAll().executeTakeFirstOrThrow();
    expect(row).toEqual({
      id: 1,
      big: Number.MAX_SAFE_INTEGER,
      amount: 12.375,
      day: '2026-03-29',
      at: new Date('2026-03-29T01:30:00Z'),
    });
    const { rows } = await sql<{
      n: number;
      total: number;
    }>`select count(*) as n, sum(big) as total from sample`.execute(db);
    // count(*) is int8, sum(bigint) is numeric.
    expect(rows[0]).toEqual({ n: 1, total: Number.MAX_SAFE_INTEGER });
  });

  it('fails the query rather than round an int8 beyond 2^53', async () => {
    await expect(sql`select 9007199254740993::bigint as v`.execute(db)).rejects.toThrow(/MAX_SAFE_INTEGER/);
    // The connection is still usable afterwards.
    await expect(pingDb(db)).resolves.toBeUndefined();
  });

  it('survives a connection dropped inside a transaction (found by the system test: it ended the process)', async () => {
    const proxy = await startFaultProxy(testDb.url);
    const warnings: string[] = [];
    const logger = {
      warn: (_: unknown, msg: string) => warnings.push(msg),
      debug: () => undefined,
      isLevelEnabled: () => false,
    } as unknown as Parameters<typeof createDb>[0]['logger'];
    const cut = createDb<Database>({ url: proxy.url, logger, max: 1 });
    try {
      const failed = cut.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        // Between two queries: no query of this client is under way when its connection goes.
        proxy.cut();
        await waitFor(() => warnings.some((w) => w.includes('while in use')), { what: 'the error heard' });
        await sql`select 2`.execute(trx);
      });
      await expect(failed).rejects.toThrow();
      proxy.restore();
      // The broken client was dropped: the pool's one connection is a new one.
      await expect(pingDb(cut)).resolves.toBeUndefined();
    } finally {
      await cut.destroy();
      await proxy.close();
    }
  });
});
