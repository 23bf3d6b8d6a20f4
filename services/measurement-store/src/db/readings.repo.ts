import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import type { UploadStatus } from '@ep/schema';
import { from as copyFrom } from 'pg-copy-streams';
import {
  binaryCopyHeader,
  binaryCopyTrailer,
  encodeHourRows,
  encodeSampleRows,
  ROWS_PER_CHUNK,
} from './copy-binary.js';
import {
  pointKey,
  type HourAggregate,
  type PointUpsert,
  type RegisteredPoint,
  type SampleRow,
} from '../domain/readings.js';

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

export interface BatchClaim {
  batchId: string;
  source: string;
  siteId: number;
  uploadId: string | null;
  points: number;
  samples: number;
}

/**
 * Inserts a `batches` row per input batch, sorted, and returns the ids that were new. An id
 * already there (or committed meanwhile by another store, whose insert this one waits for) is
 * a replay: its samples are already stored.
 */
export async function claimBatches(client: SqlClient, claims: readonly BatchClaim[]): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const sorted = [...claims].sort((a, b) => (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0));
  const { rows } = await client.query<{ batch_id: string }>(
    `INSERT INTO batches (batch_id, source, site_id, upload_id, points, samples, inserted, revised, unchanged)
     SELECT x.batch_id, x.source, x.site_id, x.upload_id, x.points, x.samples, 0, 0, 0
     FROM jsonb_to_recordset($1::jsonb) AS x(batch_id text, source text, site_id int, upload_id text, points int, samples int)
     ON CONFLICT (batch_id) DO NOTHING
     RETURNING batch_id`,
    [
      JSON.stringify(
        sorted.map((c) => ({
          batch_id: c.batchId,
          source: c.source,
          site_id: c.siteId,
          upload_id: c.uploadId,
          points: c.points,
          samples: c.samples,
        })),
      ),
    ],
  );
  return new Set(rows.map((r) => r.batch_id));
}

export interface BatchCountsRow {
  batchId: string;
  inserted: number;
  revised: number;
  unchanged: number;
}

export async function setBatchCounts(client: SqlClient, counts: readonly BatchCountsRow[]): Promise<void> {
  if (counts.length === 0) return;
  await client.query(
    `UPDATE batches b SET inserted = x.inserted, revised = x.revised, unchanged = x.unchanged
     FROM jsonb_to_recordset($1::jsonb) AS x(batch_id text, inserted int, revised int, unchanged int)
     WHERE b.batch_id = x.batch_id`,
    [JSON.stringify(counts.map((c) => ({ batch_id: c.batchId, ...c })))],
  );
}

interface PointRow {
  id: number;
  site_id: number;
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit: string | null;
  kind: string | null;
  states: Record<string, string> | null;
  description: string | null;
  interval_seconds: number | null;
  meta: Record<string, unknown>;
}

const toRegistered = (r: PointRow): RegisteredPoint => ({
  id: r.id,
  siteId: r.site_id,
  node: r.node,
  device: r.device,
  parameter: r.parameter,
  name: r.name,
  unit: r.unit,
  kind: r.kind,
  states: r.states,
});

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether upserting `p` would change the stored row. */
function needsWrite(p: PointUpsert, row: PointRow | undefined): boolean {
  if (!row) return true;
  if (p.name !== row.name) return true;
  if (p.unit !== undefined && p.unit !== row.unit) return true;
  if (p.kind !== undefined && p.kind !== row.kind) return true;
  if (p.states !== undefined && !jsonEqual(p.states, row.states)) return true;
  if (p.description !== undefined && p.description !== row.description) return true;
  if (p.intervalSeconds !== undefined && p.intervalSeconds !== row.interval_seconds) return true;
  if (p.meta !== undefined && Object.entries(p.meta).some(([k, v]) => !jsonEqual(v, row.meta[k])))
    return true;
  return false;
}

const POINT_COLUMNS =
  'id, site_id, node, device, parameter, name, unit, kind, states, description, interval_seconds, meta';

/**
 * Registers points: new ones are inserted, known ones get the metadata the batch carries
 * (fields it leaves out are kept; meta is merged). Samples are not touched, so a metadata-only
 * batch only updates metadata. Rows are read first and written only when something differs,
 * so the common case (known points, same metadata) takes no row locks.
 */
export async function upsertPoints(
  client: SqlClient,
  points: readonly PointUpsert[],
): Promise<RegisteredPoint[]> {
  if (points.length === 0) return [];
  const keys = JSON.stringify(
    points.map((p) => ({ site_id: p.siteId, node: p.node, device: p.device, parameter: p.parameter })),
  );
  const existing = await client.query<PointRow>(
    `SELECT ${POINT_COLUMNS.split(', ')
      .map((c) => `p.${c}`)
      .join(', ')}
     FROM jsonb_to_recordset($1::jsonb) AS x(site_id int, node text, device text, parameter text)
     JOIN points p ON p.site_id = x.site_id AND p.node = x.node AND p.device = x.device AND p.parameter = x.parameter`,
    [keys],
  );
  const rowKey = (r: PointRow) => pointKey(r.site_id, r.node, r.device, r.parameter);
  const keyOf = (p: PointUpsert) => pointKey(p.siteId, p.node, p.device, p.parameter);
  const byKey = new Map(existing.rows.map((r) => [rowKey(r), r]));
  // `points` is sorted by key (mergePoints), so concurrent writers lock rows in one order.
  const toWrite = points.filter((p) => needsWrite(p, byKey.get(keyOf(p))));
  if (toWrite.length > 0) {
    const written = await client.query<PointRow>(
      `INSERT INTO points AS p (site_id, source, node, device, parameter, name, unit, kind, states, description, interval_seconds, meta)
       SELECT x.site_id, x.source, x.node, x.device, x.parameter, x.name, x.unit, x.kind, x.states, x.description,
              x.interval_seconds, COALESCE(x.meta, '{}'::jsonb)
       FROM jsonb_to_recordset($1::jsonb)
         AS x(site_id int, source text, node text, device text, parameter text, name text, unit text, kind text,
              states jsonb, description text, interval_seconds int, meta jsonb, ord int)
       ORDER BY x.ord
       ON CONFLICT (site_id, node, device, parameter) DO UPDATE SET
         name = EXCLUDED.name,
         unit = COALESCE(EXCLUDED.unit, p.unit),
         kind = COALESCE(EXCLUDED.kind, p.kind),
         states = COALESCE(EXCLUDED.states, p.states),
         description = COALESCE(EXCLUDED.description, p.description),
         interval_seconds = COALESCE(EXCLUDED.interval_seconds, p.interval_seconds),
         meta = p.meta || EXCLUDED.meta,
         updated_at = now()
       RETURNING ${POINT_COLUMNS}`,
      [
        JSON.stringify(
          toWrite.map((p, ord) => ({
            ord,
            site_id: p.siteId,
            source: p.source,
            node: p.node,
            device: p.device,
            parameter: p.parameter,
            name: p.name,
            unit: p.unit ?? null,
            kind: p.kind ?? null,
            states: p.states ?? null,
            description: p.description ?? null,
            interval_seconds: p.intervalSeconds ?? null,
            meta: p.meta ?? null,
          })),
        ),
      ],
    );
    for (const r of written.rows) byKey.set(rowKey(r), r);
  }
  return points.map((p) => {
    const row = byKey.get(keyOf(p));
    if (!row) throw new Error(`point ${p.name} was neither found nor inserted`);
    return toRegistered(row);
  });
}

/** Names of the measurement partitions that exist now. */
export async function listPartitions(client: SqlClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'measurements'::regclass`,
  );
  return rows.map((r) => r.name);
}

/**
 * Creates the partition of each given month (epoch ms of its first instant) that is missing.
 * Runs outside the write transaction: the function serialises creators with a transaction-level
 * advisory lock, which must not be held for a whole write.
 */
export async function ensurePartitions(client: SqlClient, monthStarts: readonly number[]): Promise<void> {
  for (const month of monthStarts) {
    const at = new Date(month).toISOString();
    await client.query('SELECT ensure_measurement_partitions($1::timestamptz, $1::timestamptz)', [at]);
  }
}

/** Empties the write's temp tables (between rounds of one transaction). */
export async function clearStaging(client: SqlClient): Promise<void> {
  await client.query('TRUNCATE store_rows, store_changed, store_hours, store_days');
}

/** Binary COPY of `count` items into `target`, encoded chunk by chunk by `encode`. */
async function copyBinary(
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

/**
 * Locks the written points' rows, in id order, until commit, and returns the time span of each
 * one's stored samples. Two stores writing samples of the same points take turns, so the spans
 * (and "did this sample exist?") are exact, which the append path and the incremental rollups
 * rely on. Points of different sites or files are written in parallel.
 */
export async function lockPoints(
  client: SqlClient,
  pointIds: readonly number[],
): Promise<Map<number, { firstMs: number; lastMs: number }>> {
  const spans = new Map<number, { firstMs: number; lastMs: number }>();
  if (pointIds.length === 0) return spans;
  const { rows } = await client.query<{ id: number; first_ts: Date | null; last_ts: Date | null }>(
    'SELECT id, first_ts, last_ts FROM points WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
    [[...pointIds]],
  );
  for (const r of rows) {
    if (r.first_ts && r.last_ts)
      spans.set(r.id, { firstMs: r.first_ts.getTime(), lastMs: r.last_ts.getTime() });
  }
  return spans;
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

export interface RoundCounts {
  batch: number;
  inserted: number;
  revised: number;
  unchanged: number;
}

/** Inserted / revised / unchanged per input batch of the staged rows (the slow path: a join). */
export async function countStagedPerBatch(client: SqlClient): Promise<RoundCounts[]> {
  const { rows } = await client.query<{ b: number; inserted: number; revised: number; unchanged: number }>(`
    SELECT r.b,
           count(c.point_id) FILTER (WHERE NOT c.existed)::int AS inserted,
           count(c.point_id) FILTER (WHERE c.existed)::int AS revised,
           count(*) FILTER (WHERE c.point_id IS NULL)::int AS unchanged
    FROM store_rows r LEFT JOIN store_changed c USING (point_id, ts)
    GROUP BY r.b`);
  return rows.map((r) => ({ batch: r.b, inserted: r.inserted, revised: r.revised, unchanged: r.unchanged }));
}

const ROLLUP_AGGREGATES = `
  min(m.value), max(m.value), sum(m.value), count(*)::int, count(m.value)::int,
  (count(*) FILTER (WHERE m.quality = 0))::int,
  min(m.ts), (array_agg(m.value ORDER BY m.ts))[1],
  max(m.ts), (array_agg(m.value ORDER BY m.ts DESC))[1]`;

const ROLLUP_UPDATE = `
  min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count,
  value_count = EXCLUDED.value_count, good_count = EXCLUDED.good_count,
  first_ts = EXCLUDED.first_ts, first_value = EXCLUDED.first_value,
  last_ts = EXCLUDED.last_ts, last_value = EXCLUDED.last_value`;

// Folds the aggregates of samples new to a bucket into its stored row: exact, because new
// samples are new keys (a disjoint set). LEAST/GREATEST skip nulls as min/max do.
const ROLLUP_MERGE = (t: string) => `
  min = LEAST(${t}.min, EXCLUDED.min), max = GREATEST(${t}.max, EXCLUDED.max),
  sum = CASE WHEN ${t}.sum IS NULL THEN EXCLUDED.sum WHEN EXCLUDED.sum IS NULL THEN ${t}.sum ELSE ${t}.sum + EXCLUDED.sum END,
  count = ${t}.count + EXCLUDED.count, value_count = ${t}.value_count + EXCLUDED.value_count,
  good_count = ${t}.good_count + EXCLUDED.good_count,
  first_value = CASE WHEN EXCLUDED.first_ts < ${t}.first_ts THEN EXCLUDED.first_value ELSE ${t}.first_value END,
  first_ts = LEAST(${t}.first_ts, EXCLUDED.first_ts),
  last_value = CASE WHEN EXCLUDED.last_ts > ${t}.last_ts THEN EXCLUDED.last_value ELSE ${t}.last_value END,
  last_ts = GREATEST(${t}.last_ts, EXCLUDED.last_ts)`;

const HOUR = `date_trunc('hour', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;

export interface RollupWork {
  /** Aggregates of appended rows in hours that had no sample before: copied in as they are. */
  newHours: readonly HourAggregate[];
  /** Aggregates of appended rows in hours that may have samples already: folded in. */
  mergeHours: readonly HourAggregate[];
  /** Whether staged rows changed something (store_changed): their hours are recomputed. */
  staged: boolean;
  /** The time zone of each point's site, for its daily buckets. */
  zones: ReadonlyMap<number, string>;
}

/**
 * Brings every hourly and daily bucket the write touched up to date. Hourly buckets are UTC
 * hours; daily buckets are the site's local calendar days (23, 24 or 25 hours long), from local
 * midnight to the next.
 *
 * Appended rows are new keys (a disjoint set), so their aggregates are exact additions: copied
 * in for hours without samples, folded into the stored row otherwise. Hours of staged rows that
 * changed are recomputed from the raw rows. Days whose midnights fall on UTC hours (every zone
 * with whole-hour offsets) are then summed from their 24 (23, 25) hourly rows; other days (e.g.
 * India's +05:30) are aggregated from the raw rows.
 */
export async function refreshRollups(client: SqlClient, work: RollupWork): Promise<void> {
  const { newHours, mergeHours, staged, zones } = work;
  // A row that exists after all fails the write with a unique violation, never silently.
  await copyBinary(
    client,
    'measurements_hourly (point_id, bucket, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)',
    newHours.length,
    (from, to) => encodeHourRows(newHours, from, to),
  );
  if (mergeHours.length > 0) {
    await copyBinary(client, 'store_hours', mergeHours.length, (from, to) =>
      encodeHourRows(mergeHours, from, to),
    );
    // SQL evaluates the SET list against the old row, so first_value/last_value read the old
    // first_ts/last_ts whatever their order in the list.
    await client.query(`
      INSERT INTO measurements_hourly AS h
        (point_id, bucket, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
      SELECT * FROM store_hours ORDER BY point_id, bucket
      ON CONFLICT (point_id, bucket) DO UPDATE SET ${ROLLUP_MERGE('h')}`);
  }
  // After the merge above, so recomputed buckets are right whatever it did to them.
  if (staged) {
    await client.query(`
      INSERT INTO measurements_hourly AS h
        (point_id, bucket, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
      SELECT k.point_id, k.bucket, ${ROLLUP_AGGREGATES}
      FROM (SELECT DISTINCT point_id, ${HOUR} AS bucket FROM store_changed) k
      JOIN measurements m ON m.point_id = k.point_id AND m.ts >= k.bucket AND m.ts < k.bucket + interval '1 hour'
      GROUP BY k.point_id, k.bucket
      ORDER BY k.point_id, k.bucket
      ON CONFLICT (point_id, bucket) DO UPDATE SET ${ROLLUP_UPDATE}`);
  }
  await markDays(client, [...newHours, ...mergeHours], zones);
  if (staged) {
    await client.query(`
      INSERT INTO store_days
      SELECT point_id, tz, day, (day::timestamp AT TIME ZONE tz), ((day + 1)::timestamp AT TIME ZONE tz), false
      FROM (
        SELECT DISTINCT h.point_id, s.timezone AS tz, d.day
        FROM (SELECT DISTINCT point_id, ${HOUR} AS hour FROM store_changed) h
        JOIN points p ON p.id = h.point_id JOIN sites s ON s.id = p.site_id
        CROSS JOIN LATERAL (VALUES ((h.hour AT TIME ZONE s.timezone)::date),
                                   (((h.hour + interval '59 minutes 59.999999 seconds') AT TIME ZONE s.timezone)::date)) d(day)
      ) k
      ON CONFLICT (point_id, day) DO NOTHING`);
    await client.query(`
      UPDATE store_days SET aligned = extract(epoch FROM bucket)::bigint % 3600 = 0
                                  AND extract(epoch FROM bucket_end)::bigint % 3600 = 0`);
  }
  await client.query(`
    INSERT INTO measurements_daily AS d
      (point_id, day, bucket, bucket_end, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
    SELECT b.point_id, b.day, b.bucket, b.bucket_end,
           min(h.min), max(h.max), sum(h.sum), sum(h.count)::int, sum(h.value_count)::int, sum(h.good_count)::int,
           min(h.first_ts), (array_agg(h.first_value ORDER BY h.bucket))[1],
           max(h.last_ts), (array_agg(h.last_value ORDER BY h.bucket DESC))[1]
    FROM store_days b
    JOIN measurements_hourly h ON h.point_id = b.point_id AND h.bucket >= b.bucket AND h.bucket < b.bucket_end
    WHERE b.aligned
    GROUP BY b.point_id, b.day, b.bucket, b.bucket_end
    ORDER BY b.point_id, b.day
    ON CONFLICT (point_id, day) DO UPDATE SET bucket = EXCLUDED.bucket, bucket_end = EXCLUDED.bucket_end, ${ROLLUP_UPDATE}`);
  // The day is matched on the local date itself; the bucket range, widened by the largest DST
  // step, only lets the index find the rows.
  await client.query(`
    INSERT INTO measurements_daily AS d
      (point_id, day, bucket, bucket_end, min, max, sum, count, value_count, good_count, first_ts, first_value, last_ts, last_value)
    SELECT b.point_id, b.day, b.bucket, b.bucket_end, ${ROLLUP_AGGREGATES}
    FROM store_days b
    JOIN measurements m ON m.point_id = b.point_id
      AND m.ts >= b.bucket - interval '3 hours' AND m.ts < b.bucket_end + interval '3 hours'
      AND (m.ts AT TIME ZONE b.tz)::date = b.day
    WHERE NOT b.aligned
    GROUP BY b.point_id, b.day, b.bucket, b.bucket_end
    ORDER BY b.point_id, b.day
    ON CONFLICT (point_id, day) DO UPDATE SET bucket = EXCLUDED.bucket, bucket_end = EXCLUDED.bucket_end, ${ROLLUP_UPDATE}`);
}

/**
 * Records in store_days the local days the hours fall in. PostgreSQL converts each distinct
 * (zone, hour) once (an hour of a half-hour zone can straddle two days); the points' days are
 * then put together here, so the work does not grow with the number of points.
 */
async function markDays(
  client: SqlClient,
  hours: readonly HourAggregate[],
  zones: ReadonlyMap<number, string>,
): Promise<void> {
  if (hours.length === 0) return;
  const zoneHours = new Map<string, { tz: string; hour: number }>();
  for (const h of hours) {
    const tz = zones.get(h.pointId)!;
    zoneHours.set(`${tz}\u0001${h.hourMs}`, { tz, hour: h.hourMs });
  }
  const { rows } = await client.query<{ tz: string; hour_ms: number; d1: string; d2: string }>(
    `SELECT x.tz, x.hour_ms,
            (to_timestamp(x.hour_ms / 1000) AT TIME ZONE x.tz)::date::text AS d1,
            ((to_timestamp(x.hour_ms / 1000) + interval '59 minutes 59.999999 seconds') AT TIME ZONE x.tz)::date::text AS d2
     FROM jsonb_to_recordset($1::jsonb) AS x(tz text, hour_ms bigint)`,
    [JSON.stringify([...zoneHours.values()].map((z) => ({ tz: z.tz, hour_ms: z.hour })))],
  );
  const daysOf = new Map(rows.map((r) => [`${r.tz}\u0001${r.hour_ms}`, [r.d1, r.d2]]));
  const pointDays = new Map<string, { point_id: number; tz: string; day: string }>();
  for (const h of hours) {
    const tz = zones.get(h.pointId)!;
    for (const day of daysOf.get(`${tz}\u0001${h.hourMs}`)!)
      pointDays.set(`${h.pointId}\u0001${day}`, { point_id: h.pointId, tz, day });
  }
  await client.query(
    `INSERT INTO store_days
     SELECT point_id, tz, day, bucket, bucket_end,
            extract(epoch FROM bucket)::bigint % 3600 = 0 AND extract(epoch FROM bucket_end)::bigint % 3600 = 0
     FROM (
       SELECT x.point_id, x.tz, x.day, (x.day::timestamp AT TIME ZONE x.tz) AS bucket,
              ((x.day + 1)::timestamp AT TIME ZONE x.tz) AS bucket_end
       FROM jsonb_to_recordset($1::jsonb) AS x(point_id int, tz text, day date)
     ) d
     ON CONFLICT (point_id, day) DO NOTHING`,
    [JSON.stringify([...pointDays.values()])],
  );
}

export interface PointExtent {
  pointId: number;
  firstMs: number;
  lastMs: number;
  lastValue: number | null;
  lastQuality: number;
}

/**
 * Moves each written point's first_ts / last_ts / last value outwards (every written row now
 * equals the stored one). Points are only written when that changes them.
 */
export async function refreshPointExtent(client: SqlClient, extents: readonly PointExtent[]): Promise<void> {
  if (extents.length === 0) return;
  await client.query(
    `UPDATE points p SET
      first_ts = LEAST(p.first_ts, x.first_ts),
      last_ts = GREATEST(p.last_ts, x.last_ts),
      last_value = CASE WHEN p.last_ts IS NULL OR x.last_ts >= p.last_ts THEN x.last_value ELSE p.last_value END,
      last_quality = CASE WHEN p.last_ts IS NULL OR x.last_ts >= p.last_ts THEN x.last_quality ELSE p.last_quality END,
      updated_at = now()
    FROM (
      SELECT * FROM jsonb_to_recordset($1::jsonb)
        AS x(point_id int, first_ts timestamptz, last_ts timestamptz, last_value float8, last_quality int2)
    ) x
    WHERE p.id = x.point_id
      AND (p.first_ts IS NULL OR x.first_ts < p.first_ts OR p.last_ts IS NULL OR x.last_ts > p.last_ts
           OR (x.last_ts = p.last_ts AND (p.last_value, p.last_quality) IS DISTINCT FROM (x.last_value, x.last_quality)))`,
    [
      JSON.stringify(
        extents.map((e) => ({
          point_id: e.pointId,
          first_ts: new Date(e.firstMs).toISOString(),
          last_ts: new Date(e.lastMs).toISOString(),
          last_value: e.lastValue,
          last_quality: e.lastQuality,
        })),
      ),
    ],
  );
}

export interface UploadProgress {
  uploadId: string;
  batches: number;
  samples: number;
}

/**
 * Adds newly stored batches to their uploads' counters. The upload becomes 'stored' once every
 * batch landed and upload-ingest has marked it 'published' (it sets the total `batches` while
 * 'publishing'); upload-ingest makes the same check when it sets 'published', so whichever
 * happens last flips the status.
 */
// Typed against the schema's union; inlined as SQL literals (constants, never input).
const PUBLISHED: UploadStatus = 'published';
const STORED: UploadStatus = 'stored';

export async function addUploadProgress(
  client: SqlClient,
  progress: readonly UploadProgress[],
): Promise<void> {
  if (progress.length === 0) return;
  const sorted = [...progress].sort((a, b) => (a.uploadId < b.uploadId ? -1 : 1));
  await client.query(
    `UPDATE uploads u SET
       samples_stored = u.samples_stored + x.samples,
       batches_stored = u.batches_stored + x.batches,
       status = CASE WHEN u.status = '${PUBLISHED}' AND u.batches_stored + x.batches >= u.batches
                     THEN '${STORED}' ELSE u.status END,
       updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS x(upload_id text, batches int, samples int)
     WHERE u.id = x.upload_id`,
    [JSON.stringify(sorted.map((p) => ({ upload_id: p.uploadId, batches: p.batches, samples: p.samples })))],
  );
}
