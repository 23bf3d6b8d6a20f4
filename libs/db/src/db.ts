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

export interface PoolOptions extends DbOptions {
  /** What the error lines call these connections (default "database"). */
  label?: string;
}

/**
 * A pg Pool with EP's type parsers that survives its connections dropping (server restart,
 * failover, a network cut). pg emits 'error' on a client whose connection ends; the pool listens
 * only while the client is idle, so a client checked out between two queries (inside a
 * transaction, say) would emit it unheard, and an unheard 'error' event ends the process. Every
 * client gets a listener of its own: the error is logged, the query in progress fails as it
 * would anyway, and the pool drops the broken client when it is released.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const { logger } = options;
  const label = options.label ?? 'database';
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    types: typeParsers,
  });
  pool.on('error', (err) => logger?.warn({ err }, `idle ${label} connection failed`));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger?.warn({ err }, `${label} connection failed while in use`));
  });
  return pool;
}

/**
 * A Kysely instance over its own pg Pool (createPool: EP's type parsers, connection errors
 * logged, never fatal). `db.destroy()` ends the pool.
 */
export function createDb<DB>(options: DbOptions): Kysely<DB> {
  const { logger } = options;
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool: createPool(options) }),
    log: logger ? queryLog(logger) : undefined,
  });
}

/** Resolves when the database answers a trivial query; for readiness checks. */
export async function pingDb<DB>(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
