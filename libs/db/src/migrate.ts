import type { Logger } from '@ep/logger';
import { Migrator, type Kysely, type Migration } from 'kysely';

export type { Migration } from 'kysely';

export interface MigrateOptions {
  logger?: Logger;
}

export interface MigrateResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** How many of the given migrations were already applied before this call. */
  alreadyApplied: number;
}

/** A migration run failed; `migration` names the one that threw, when one did. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(migration ? `migration "${migration}" failed: ${reason}` : `migrations could not run: ${reason}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/**
 * Applies every migration of `migrations` not yet applied, in name order (timestamp-named, so
 * that is creation order), all in one transaction: a failure applies none of this run's.
 *
 * Safe to run from several processes at once (a migration Job and a developer, or replicas):
 * kysely's PostgreSQL adapter takes a session `pg_advisory_lock` before reading which migrations
 * are applied, so a process that waited finds them done and applies nothing. The bookkeeping
 * tables it creates first tolerate the concurrent `CREATE TABLE IF NOT EXISTS` race (it re-checks
 * on error). Both are covered by this package's integration tests.
 */
export async function migrate<DB>(
  db: Kysely<DB>,
  migrations: Record<string, Migration>,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const { logger } = options;
  const migrator = new Migrator({
    db,
    // Static provider: services import their migrations, so bundles and images need no
    // migrations folder at run time.
    provider: { getMigrations: async () => migrations },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, error);
  }
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  for (const name of applied) logger?.info({ migration: name }, 'migration applied');
  const alreadyApplied = Object.keys(migrations).length - applied.length;
  logger?.info({ applied: applied.length, alreadyApplied }, 'database schema up to date');
  return { applied, alreadyApplied };
}
