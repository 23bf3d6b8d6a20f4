import { sql, type Kysely } from 'kysely';
import { narrowTo } from '@ep/schema';
import type { AuthTables } from './lookup.js';

// The life of an API key in the database — created, listed, revoked, touched — written once for
// both places that manage keys: the operators' CLI and query-api's admin API.

/** An API key as listed: never its hash. */
export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  /** The key of the site it is bound to; null for a key that sees every site. */
  site: string | null;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const narrow = narrowTo<AuthTables>();

function keysQuery(db: Kysely<AuthTables>) {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('sites as s', 's.id', 'k.site_id')
    .select([
      'k.id',
      'k.name',
      'k.prefix',
      'k.scopes',
      's.key as site',
      'k.created_at',
      'k.revoked_at',
      'k.last_used_at',
    ]);
}

export async function listApiKeys<DB extends AuthTables>(db: Kysely<DB>): Promise<ApiKeyRow[]> {
  return keysQuery(narrow(db)).orderBy('k.id').execute();
}

/**
 * Stores a key (its hash only). Undefined when a key with that prefix exists already: a repeated
 * bootstrap key, or a random prefix collision (1 in 10^12).
 */
export async function insertApiKey<DB extends AuthTables>(
  db: Kysely<DB>,
  key: { name: string; prefix: string; hash: string; scopes: string[]; siteId: number | null },
): Promise<ApiKeyRow | undefined> {
  const inserted = await narrow(db)
    .insertInto('api_keys')
    .values({ name: key.name, prefix: key.prefix, hash: key.hash, scopes: key.scopes, site_id: key.siteId })
    .onConflict((oc) => oc.column('prefix').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return undefined;
  return keysQuery(narrow(db)).where('k.id', '=', inserted.id).executeTakeFirstOrThrow();
}

/**
 * Revokes a key; the row is kept for the record and a second revocation keeps the first time.
 * Undefined when there is no such key; `wasRevoked` tells a repeat.
 */
export async function revokeApiKey<DB extends AuthTables>(
  db: Kysely<DB>,
  id: number,
): Promise<{ key: ApiKeyRow; wasRevoked: boolean } | undefined> {
  const before = await keysQuery(narrow(db)).where('k.id', '=', id).executeTakeFirst();
  if (!before) return undefined;
  await narrow(db)
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .execute();
  const key = await keysQuery(narrow(db)).where('k.id', '=', id).executeTakeFirstOrThrow();
  return { key, wasRevoked: before.revoked_at !== null };
}

/**
 * Records that a key was used, at most once a minute per key (the WHERE skips the write
 * otherwise), so a busy dashboard does not turn every read into a write.
 */
export async function touchApiKey<DB extends AuthTables>(db: Kysely<DB>, id: number): Promise<void> {
  await narrow(db)
    .updateTable('api_keys')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute();
}
