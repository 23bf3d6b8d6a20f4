import { createDb } from '@ep/db';
import type { Database } from '@ep/schema';
import { sql, type Kysely, type Selectable } from 'kysely';

// The operators' queries over the store's tables. query-api has its own for its admin API:
// each program owns its queries (no shared god package), the schema is the contract.
/** The tables the CLI's commands touch (`migrate` itself takes any Kysely). */
export type CliTables = Pick<Database, 'sites' | 'api_keys'>;
type Db = Kysely<CliTables>;

/**
 * A command's database, opened on first use (a usage error never connects) from DATABASE_URL or
 * the local default, and closed by the command when it ends.
 */
export function commandDb<T>(env: Record<string, string | undefined>, max = 1) {
  let db: Kysely<T> | undefined;
  return {
    open: (): Kysely<T> =>
      (db ??= createDb<T>({
        url: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/ep',
        max,
        applicationName: 'ep-cli',
      })),
    close: async (): Promise<void> => {
      await db?.destroy();
    },
  };
}

export type SiteRow = Selectable<Database['sites']>;

export async function listSites(db: Db): Promise<SiteRow[]> {
  return db.selectFrom('sites').selectAll().orderBy('key').execute();
}

export async function findSite(db: Db, key: string): Promise<SiteRow | undefined> {
  return db.selectFrom('sites').selectAll().where('key', '=', key).executeTakeFirst();
}

/** Inserts the site; undefined when one with that key exists already. */
export async function insertSite(
  db: Db,
  site: { key: string; name: string; timezone: string },
): Promise<SiteRow | undefined> {
  return db
    .insertInto('sites')
    .values(site)
    .onConflict((oc) => oc.column('key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Whether PostgreSQL knows the zone: daily rollups are computed with `AT TIME ZONE` in SQL. */
export async function databaseKnowsZone(db: Db, zone: string): Promise<boolean> {
  const { rows } = await sql<{
    ok: boolean;
  }>`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ${zone}) AS ok`.execute(db);
  return rows[0]?.ok === true;
}
