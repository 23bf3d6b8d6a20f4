import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { SampleRow } from '../domain/readings.js';
import { binaryCopyHeader, binaryCopyTrailer, encodeSampleRows, ROWS_PER_CHUNK } from './copy-binary.js';
import type { SqlClient } from './session.js';

/** Binary COPY of `count` items into `target`, encoded chunk by chunk by `encode`. */
export async function copyBinary(
  client: SqlClient,
  target: string,
  count: number,
  encode: (from: number, to: number) => Buffer,
): Promise<void> {
  if (count === 0) return;
  function* chunks() {
    yield binaryCopyHeader();
    for (let i = 0; i < count; i += ROWS_PER_CHUNK) yield encode(i, Math.min(count, i + ROWS_PER_CHUNK));
    yield binaryCopyTrailer();
  }
  await pipeline(
    Readable.from(chunks()),
    client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`)),
  );
}

/**
 * Binary COPY of sample rows: no number or timestamp text to format here or to parse in the
 * server, which made text COPY the costliest step of a write. `withBatch` adds the batch index
 * as a first column (the staging table).
 */
async function copySamples(
  client: SqlClient,
  target: string,
  rows: readonly SampleRow[],
  withBatch: boolean,
): Promise<void> {
  await copyBinary(client, target, rows.length, (from, to) => encodeSampleRows(rows, from, to, withBatch));
}

/** Stages rows that may exist already, for upsertStagedSamples. */
export async function copyRows(client: SqlClient, rows: readonly SampleRow[]): Promise<void> {
  await copySamples(client, 'store_rows (b, point_id, ts, value, quality)', rows, true);
}

/**
 * Copies rows known to be new straight into measurements: no staging, no conflict check. A row
 * that exists after all fails the whole write with a unique violation (23505), never silently.
 */
export async function copyMeasurements(client: SqlClient, rows: readonly SampleRow[]): Promise<void> {
  await copySamples(client, 'measurements (point_id, ts, value, quality)', rows, false);
}

export interface StagedTotals {
  /** Staged rows that were new keys. */
  inserted: number;
  /** Staged rows that replaced a different stored value or quality. */
  revised: number;
}

/**
 * Upserts the staged rows into measurements (last write wins; a row whose value and quality are
 * equal is left alone) and keeps the rows it changed, with whether they existed before, in
 * store_changed.
 */
export async function upsertStagedSamples(client: SqlClient): Promise<StagedTotals> {
  // `old` reads the snapshot before the insert: it tells a revision from an insert, since a
  // partitioned table cannot return xmax. Only rows inside their point's stored time span can
  // exist already, so appended data (the usual case) costs no lookup here.
  await client.query(`
    WITH old AS (
      SELECT r.point_id, r.ts FROM store_rows r
      JOIN points p ON p.id = r.point_id AND r.ts BETWEEN p.first_ts AND p.last_ts
      JOIN measurements m ON m.point_id = r.point_id AND m.ts = r.ts
    ), up AS (
      INSERT INTO measurements AS m (point_id, ts, value, quality)
      SELECT point_id, ts, value, quality FROM store_rows ORDER BY point_id, ts
      ON CONFLICT (point_id, ts) DO UPDATE SET value = EXCLUDED.value, quality = EXCLUDED.quality
      WHERE (m.value, m.quality) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.quality)
      RETURNING m.point_id, m.ts, m.value, m.quality
    )
    INSERT INTO store_changed (point_id, ts, value, quality, existed)
    SELECT up.point_id, up.ts, up.value, up.quality, old.point_id IS NOT NULL
    FROM up LEFT JOIN old USING (point_id, ts)`);
  const { rows } = await client.query<{ inserted: number; revised: number }>(`
    SELECT (count(*) FILTER (WHERE NOT existed))::int AS inserted, (count(*) FILTER (WHERE existed))::int AS revised
    FROM store_changed`);
  return rows[0]!;
}
