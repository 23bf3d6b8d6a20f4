import { migrate, type MigrateOptions, type MigrateResult } from '@ep/db';
import type { Kysely } from 'kysely';
import { migrations } from './migrations/index.js';

/**
 * Applies every EP migration not yet applied (see @ep/db's `migrate`: one transaction, safe to
 * run from several processes at once). `ep migrate` and the tests' databases run this.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  return migrate(db, migrations, options);
}
