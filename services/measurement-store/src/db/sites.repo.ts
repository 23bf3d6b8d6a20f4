import type { Kysely } from 'kysely';
import type { SiteRef } from '../domain/readings.js';
import type { Database } from '@ep/schema';

/** The sites among `keys` that exist (sites are created with `pnpm ep sites add`). */
export async function findSites(db: Kysely<Database>, keys: readonly string[]): Promise<SiteRef[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom('sites')
    .select(['id', 'key', 'timezone'])
    .where('key', 'in', [...keys])
    .execute();
}
