import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@ep/testkit';
import { sql, type Kysely, type Migration } from 'kysely';
import { createDb, migrate, MigrationError } from './index.js';

// Two migrations in the shape services write them: timestamp-named, frozen, on Kysely<any>.
const migrations: Record<string, Migration> = {
  '2026_01_01_000_sites': {
    async up(db) {
      await db.schema
        .createTable('sites')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '2026_01_02_000_seed': {
    // A data migration: if it ran twice the second insert would fail on the primary key.
    async up(db) {
      await db.insertInto('sites').values({ key: 'carleton', timezone: 'America/Chicago' }).execute();
    },
  },
};

describe('migrate', () => {
  let testDb: TestDatabase;
  const dbs: Kysely<unknown>[] = [];
  const open = () => {
    const db = createDb<unknown>({ url: testDb.url, max: 2, applicationName: 'ep-db-test' });
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    testDb = await createTestDatabase('migrate');
  });
  afterAll(async () => {
    for (const db of dbs) await db.destroy();
    await testDb.drop();
  });

  it('applies pending migrations in name order and reports them', async () => {
    const db = open();
    const result = await migrate(db, migrations);
    expect(result).toEqual({ applied: ['2026_01_01_000_sites', '2026_01_02_000_seed'], alreadyApplied: 0 });
    const { rows } = await sql<{ key: string }>`select key from sites`.execute(db);
    expect(rows).toEqual([{ key: 'carleton' }]);
  });

  it('applies nothing on a second run', async () => {
    const result = await migrate(open(), migrations);
    expect(result).toEqual({ applied: [], alreadyApplied: 2 });
  });

  it('applies a newly added migration only', async () => {
    const more = {
      ...migrations,
      '2026_01_03_000_site_name': {
        async up(db: Kysely<unknown>) {
          await db.schema.alterTable('sites').addColumn('name', 'text').execute();
        },
      },
    };
    expect(await migrate(open(), more)).toEqual({ applied: ['2026_01_03_000_site_name'], alreadyApplied: 2 });
  });
});

describe('migrate from several processes at once', () => {
  let testDb: TestDatabase;
  const dbs: Kysely<unknown>[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('migrate_race');
  });
  afterAll(async () => {
    for (const db of dbs) await db.destroy();
    await testDb.drop();
  });

  it('applies each migration exactly once when three instances race on an empty database', async () => {
    // Separate pools stand in for separate processes: each has its own sessions and locks.
    for (let i = 0; i < 3; i += 1) dbs.push(createDb<unknown>({ url: testDb.url, max: 2 }));
    const results = await Promise.all(dbs.map((db) => migrate(db, migrations)));

    const appliedEverywhere = results.flatMap((r) => r.applied).sort();
    expect(appliedEverywhere).toEqual(['2026_01_01_000_sites', '2026_01_02_000_seed']);
    for (const r of results) expect(r.applied.length + r.alreadyApplied).toBe(2);
    const seeded = await sql<{ n: number }>`select count(*) as n from sites`.execute(dbs[0]!);
    expect(seeded.rows[0]?.n).toBe(1);
    const recorded = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(dbs[0]!);
    expect(recorded.rows[0]?.n).toBe(2);
  });
});

describe('a failing migration', () => {
  let testDb: TestDatabase;
  let db: Kysely<unknown>;

  beforeAll(async () => {
    testDb = await createTestDatabase('migrate_fail');
    db = createDb<unknown>({ url: testDb.url, max: 2 });
  });
  afterAll(async () => {
    await db.destroy();
    await testDb.drop();
  });

  it('throws an error naming it, and leaves none of that run applied', async () => {
    const broken: Record<string, Migration> = {
      '2026_02_01_000_ok': {
        async up(db) {
          await db.schema.createTable('first_table').addColumn('id', 'integer').execute();
        },
      },
      '2026_02_02_000_broken': {
        async up(db) {
          await sql`alter table no_such_table add column x integer`.execute(db);
        },
      },
    };
    const error = await migrate(db, broken).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe('2026_02_02_000_broken');
    expect((error as MigrationError).message).toContain('2026_02_02_000_broken');
    expect((error as MigrationError).message).toContain('no_such_table');
    // One transaction per run: the migration before the broken one was rolled back with it.
    const { rows } = await sql<{ t: string | null }>`select to_regclass('first_table')::text as t`.execute(
      db,
    );
    expect(rows[0]?.t).toBeNull();
  });
});
