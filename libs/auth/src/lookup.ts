import { narrowTo, type Database } from '@ep/schema';
import type { Kysely } from 'kysely';
import type { StoredApiKey } from './guard.js';

/** The tables key lookups read. */
export type AuthTables = Pick<Database, 'api_keys' | 'sites'>;

/**
 * The key with this public prefix, with the key of the site it is bound to. Every HTTP service
 * authenticates with this one query; each passes its own typed Kysely instance.
 */
export async function findApiKeyByPrefix<DB extends AuthTables>(
  db: Kysely<DB>,
  prefix: string,
): Promise<StoredApiKey | undefined> {
  const row = await narrowTo<AuthTables>()(db)
    .selectFrom('api_keys as k')
    .leftJoin('sites as s', 's.id', 'k.site_id')
    .select(['k.id', 'k.name', 'k.hash', 'k.scopes', 'k.revoked_at', 's.key as site'])
    .where('k.prefix', '=', prefix)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scopes: row.scopes,
    site: row.site ?? null,
    revokedAt: row.revoked_at,
  };
}
