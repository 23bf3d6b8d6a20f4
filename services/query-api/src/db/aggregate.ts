import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BucketStats } from '../domain/aggregate.js';
import type { AggregateSource, Fn, Interval } from '../domain/time.js';
import type { Database } from '@ep/schema';

/** One (point, bucket) of an aggregate query: the domain's bucket statistics, per point. */
export interface AggregateRow extends BucketStats {
  point_id: number;
}

const TRUNC_UNIT: Record<Exclude<Interval, '15m'>, string> = {
  '1h': 'hour',
  '1d': 'day',
  '1w': 'week',
  '1mo': 'month',
};

/**
 * The SQL bucket of a row, matching domain/time.ts bucketStart(): PostgreSQL 15's
 * date_trunc(unit, ts, zone) truncates on the zone's calendar (weeks are ISO, Monday first).
 * A rollup row already is its bucket when the interval equals the rollup's own.
 */
function bucketSql(source: AggregateSource, interval: Interval, tz: string): RawBuilder<Date> {
  const col = sql.ref(source === 'raw' ? 'ts' : 'bucket');
  if (interval === '15m') {
    // Quarter hours of every zone whose offset is a multiple of 15 minutes (all of today's) are UTC quarter hours.
    return sql<Date>`date_bin('15 minutes', ${col}, timestamptz '2000-01-01 00:00:00+00')`;
  }
  if ((source === 'hourly' && interval === '1h') || (source === 'daily' && interval === '1d'))
    return sql<Date>`${col}`;
  return sql<Date>`date_trunc(${sql.lit(TRUNC_UNIT[interval])}, ${col}, ${tz}::text)`;
}

/**
 * Per point and bucket: min, max, sum, count (null values included), value_count, good_count and,
 * when asked for, the first and last values — from raw rows or by merging rollup rows, in one
 * set-based GROUP BY over the index range [from, to). Empty buckets are absent.
 */
export async function aggregateRows(
  db: Kysely<Database>,
  ids: number[],
  source: AggregateSource,
  interval: Interval,
  tz: string,
  range: { from: number; to: number },
  fns: readonly Fn[],
): Promise<AggregateRow[]> {
  // Epoch ms rather than a timestamptz: pg's Date parsing is the slowest part of reading rows.
  const bucket = sql<number>`round(date_part('epoch', ${bucketSql(source, interval, tz)}) * 1000)`;
  const from = new Date(range.from);
  const to = new Date(range.to);
  const wantFirst = fns.includes('first');
  const wantLast = fns.includes('last');
  if (source === 'raw') {
    const { rows } = await sql<AggregateRow>`
      SELECT point_id, ${bucket} AS bucket,
             min(value) AS min, max(value) AS max, sum(value) AS sum,
             count(*)::int AS count, count(value)::int AS value_count,
             (count(*) FILTER (WHERE quality = 0))::int AS good_count,
             ${wantFirst ? sql`(array_agg(value ORDER BY ts))[1]` : sql`NULL::float8`} AS first,
             ${wantLast ? sql`(array_agg(value ORDER BY ts DESC))[1]` : sql`NULL::float8`} AS last
      FROM measurements
      WHERE point_id = ANY(${ids}::int[]) AND ts >= ${from} AND ts < ${to}
      GROUP BY 1, 2
      ORDER BY 1, 2`.execute(db);
    return rows;
  }
  const table = sql.table(source === 'hourly' ? 'measurements_hourly' : 'measurements_daily');
  if ((source === 'hourly' && interval === '1h') || (source === 'daily' && interval === '1d')) {
    // Each rollup row already is one bucket: no grouping to do.
    const { rows } = await sql<AggregateRow>`
      SELECT point_id, ${bucket} AS bucket, min, max, sum, count, value_count, good_count,
             ${wantFirst ? sql`first_value` : sql`NULL::float8`} AS first,
             ${wantLast ? sql`last_value` : sql`NULL::float8`} AS last
      FROM ${table}
      WHERE point_id = ANY(${ids}::int[]) AND bucket >= ${from} AND bucket < ${to}
      ORDER BY 1, bucket`.execute(db);
    return rows;
  }
  const { rows } = await sql<AggregateRow>`
    SELECT point_id, ${bucket} AS bucket,
           min(min) AS min, max(max) AS max, sum(sum) AS sum,
           sum(count)::int AS count, sum(value_count)::int AS value_count, sum(good_count)::int AS good_count,
           ${wantFirst ? sql`(array_agg(first_value ORDER BY first_ts))[1]` : sql`NULL::float8`} AS first,
           ${wantLast ? sql`(array_agg(last_value ORDER BY last_ts DESC))[1]` : sql`NULL::float8`} AS last
    FROM ${table}
    WHERE point_id = ANY(${ids}::int[]) AND bucket >= ${from} AND bucket < ${to}
    GROUP BY 1, 2
    ORDER BY 1, 2`.execute(db);
  return rows;
}

/**
 * Per point and bucket, the use of a counter: each reading's increase over the reading before it
 * (the last one before the range included, so a bucket's use starts where the previous bucket
 * ended). A reading lower than the one before is a reset (meter replaced, rolled over, restarted):
 * its use is counted from zero, never negative. Read from raw rows (resets hide inside rollups).
 * Buckets without two readings are absent.
 */
export async function counterDeltas(
  db: Kysely<Database>,
  ids: number[],
  interval: Interval,
  tz: string,
  range: { from: number; to: number },
): Promise<{ point_id: number; bucket: number; delta: number }[]> {
  const bucket = sql<number>`round(date_part('epoch', ${bucketSql('raw', interval, tz)}) * 1000)`;
  const from = new Date(range.from);
  const to = new Date(range.to);
  const { rows } = await sql<{ point_id: number; bucket: number; delta: number }>`
    SELECT point_id, ${bucket} AS bucket, sum(inc) AS delta
    FROM (
      SELECT point_id, ts,
             CASE WHEN prev IS NULL THEN NULL WHEN value >= prev THEN value - prev ELSE value END AS inc
      FROM (
        SELECT point_id, ts, value, lag(value) OVER (PARTITION BY point_id ORDER BY ts) AS prev
        FROM (
          SELECT point_id, ts, value FROM measurements
          WHERE point_id = ANY(${ids}::int[]) AND ts >= ${from} AND ts < ${to} AND value IS NOT NULL
          UNION ALL
          SELECT p.id, before.ts, before.value
          FROM unnest(${ids}::int[]) AS p(id)
          CROSS JOIN LATERAL (
            SELECT ts, value FROM measurements
            WHERE point_id = p.id AND ts < ${from} AND value IS NOT NULL
            ORDER BY ts DESC LIMIT 1
          ) before
        ) readings
      ) paired
    ) increases
    WHERE ts >= ${from} AND inc IS NOT NULL
    GROUP BY 1, 2
    ORDER BY 1, 2`.execute(db);
  return rows;
}
