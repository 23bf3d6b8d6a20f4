import { sql, type Kysely } from 'kysely';
import type { Database } from '@ep/schema';

/**
 * Records that a key was used, at most once a minute per key (the WHERE skips the write
 * otherwise), so a busy dashboard does not turn every read into a write.
 */
export async function touchKey(db: Kysely<Database>, id: number): Promise<void> {
  await db
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

export interface KeyRow {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  site: string | null;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function keysQuery(db: Kysely<Database>) {
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

export async function listKeys(db: Kysely<Database>): Promise<KeyRow[]> {
  return keysQuery(db).orderBy('k.id').execute();
}

export async function insertKey(
  db: Kysely<Database>,
  key: { name: string; prefix: string; hash: string; scopes: string[]; siteId: number | null },
): Promise<KeyRow> {
  const { id } = await db
    .insertInto('api_keys')
    .values({ name: key.name, prefix: key.prefix, hash: key.hash, scopes: key.scopes, site_id: key.siteId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return keysQuery(db).where('k.id', '=', id).executeTakeFirstOrThrow();
}

/** Revokes a key (kept for the record); undefined when no such key. Revoking twice keeps the first time. */
export async function revokeKey(db: Kysely<Database>, id: number): Promise<KeyRow | undefined> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  if (!row) return undefined;
  return keysQuery(db).where('k.id', '=', id).executeTakeFirstOrThrow();
}
