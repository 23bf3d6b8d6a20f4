import type { Logger } from '@ep/logger';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { typeParsers } from './type-parsers.js';

export interface DbOptions {
  /** PostgreSQL connection string (DATABASE_URL). */
  url: string;
  /** Receives pool errors (warn), failed queries (debug) and every query (trace). */
  logger?: Logger;
  /** Most connections the pool opens; pg's default is 10. */
  max?: number;
  /** Shown in pg_stat_activity, so a DBA can tell which service holds a connection. */
  applicationName?: string;
}

function queryLog(logger: Logger) {
  return (event: LogEvent): void => {
    // Only the SQL text is logged, never its parameters: they can carry key hashes and raw uploads.
    if (event.level === 'error') {
      logger.debug({ err: event.error, sql: event.query.sql, ms: event.queryDurationMillis }, 'query failed');
    } else if (logger.isLevelEnabled('trace')) {
      logger.trace({ sql: event.query.sql, ms: event.queryDurationMillis }, 'query');
    }
  };
}

/**
 * A Kysely instance over its own pg Pool, with EP's type parsers (int8 and numeric as numbers,
 * date as 'YYYY-MM-DD', timestamptz as Date). `db.destroy()` ends the pool.
 */
export function createDb<DB>(options: DbOptions): Kysely<DB> {
  const { logger } = options;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    types: typeParsers,
  });
  // An idle client whose connection drops (server restart, failover) emits 'error' on the pool;
  // unhandled, that event would crash the process. The pool replaces the client on next use.
  pool.on('error', (err) => logger?.warn({ err }, 'idle database connection failed'));
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: logger ? queryLog(logger) : undefined,
  });
}

/** Resolves when the database answers a trivial query; for readiness checks. */
export async function pingDb<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
