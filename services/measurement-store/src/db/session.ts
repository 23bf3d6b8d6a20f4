import type pg from 'pg';

/**
 * The readings write path. It runs on one raw pg client inside one transaction because COPY
 * needs the connection itself, which kysely does not hand out; the statements are plain SQL,
 * each set-based over a whole write batch.
 */
export type SqlClient = pg.ClientBase;

const prepared = new WeakSet<SqlClient>();

/**
 * Session temp tables for the rows of a write (staging) and the keys it changed (for counts and
 * rollups). Created once per connection; ON COMMIT DELETE ROWS empties them at every commit,
 * and temp tables are never WAL-logged.
 */
export async function prepareSession(client: SqlClient): Promise<void> {
  if (prepared.has(client)) return;
  await client.query(`
    CREATE TEMP TABLE IF NOT EXISTS store_rows (
      b int NOT NULL, point_id int NOT NULL, ts timestamptz NOT NULL, value float8, quality int2 NOT NULL
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS store_changed (
      point_id int NOT NULL, ts timestamptz NOT NULL, value float8, quality int2 NOT NULL, existed bool NOT NULL
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS store_hours (
      point_id int NOT NULL, bucket timestamptz NOT NULL, min float8, max float8, sum float8, count int NOT NULL,
      value_count int NOT NULL, good_count int NOT NULL, first_ts timestamptz NOT NULL, first_value float8,
      last_ts timestamptz NOT NULL, last_value float8
    ) ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS store_days (
      point_id int NOT NULL, tz text NOT NULL, day date NOT NULL, bucket timestamptz NOT NULL,
      bucket_end timestamptz NOT NULL, aligned bool NOT NULL, PRIMARY KEY (point_id, day)
    ) ON COMMIT DELETE ROWS;
  `);
  prepared.add(client);
}

/** Empties the write's temp tables (between rounds of one transaction). */
export async function clearStaging(client: SqlClient): Promise<void> {
  await client.query('TRUNCATE store_rows, store_changed, store_hours, store_days');
}
