import type { Kysely } from 'kysely';
import type { StoredApiKey } from './guard.js';

/** The columns of the shared schema (owned by measurement-store) that key lookups read. */
interface AuthTables {
  api_keys: {
    id: number;
    name: string;
    prefix: string;
    hash: string;
    scopes: string[];
    site_id: number | null;
    revoked_at: Date | null;
  };
  sites: { id: number; key: string };
}

/**
 * The key with this public prefix, with the key of the site it is bound to. Every HTTP service
 * authenticates with this one query; each passes its own typed Kysely instance.
 */
export async function findApiKeyByPrefix(
  // Any service's Kysely<Database> whose schema has api_keys and sites (the shared one does).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  prefix: string,
): Promise<StoredApiKey | undefined> {
  const row = await (db as Kysely<AuthTables>)
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
