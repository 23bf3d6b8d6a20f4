import type { HourAggregate } from '../domain/readings.js';
import { encodeHourRows } from './copy-binary.js';
import { copyBinary } from './measurements.repo.js';
import type { SqlClient } from './session.js';

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
