import type { Database } from '@ep/schema';
import { sql, type Kysely, type Selectable } from 'kysely';

// The operators' queries over the store's tables. query-api has its own for its admin API:
// each program owns its queries (no shared god package), the schema is the contract.
/** The tables the CLI's commands touch (`migrate` itself takes any Kysely). */
export type CliTables = Pick<Database, 'sites' | 'api_keys'>;
type Db = Kysely<CliTables>;

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

export interface KeyListing {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  site: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

/** Inserts a key (hash only). False when a key with that prefix exists already. */
export async function insertKey(
  db: Db,
  key: { name: string; prefix: string; hash: string; scopes: string[]; siteId: number | null },
): Promise<{ id: number } | undefined> {
  return db
    .insertInto('api_keys')
    .values({ name: key.name, prefix: key.prefix, hash: key.hash, scopes: key.scopes, site_id: key.siteId })
    .onConflict((oc) => oc.column('prefix').doNothing())
    .returning('id')
    .executeTakeFirst();
}

export async function listKeys(db: Db): Promise<KeyListing[]> {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('sites as s', 's.id', 'k.site_id')
    .select(['k.id', 'k.name', 'k.prefix', 'k.scopes', 's.key as site', 'k.created_at', 'k.revoked_at'])
    .orderBy('k.id')
    .execute();
}

/** Revokes a key; 'missing' when there is no such key, 'already' when it was revoked before. */
export async function revokeKey(db: Db, id: number): Promise<'revoked' | 'already' | 'missing'> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (row) return 'revoked';
  const exists = await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
  return exists ? 'already' : 'missing';
}
