import type { Bucket, Fn } from './time.js';

/** What the database returns per (point, bucket); see db/aggregate.ts. */
export interface BucketStats {
  /** Bucket start, epoch ms. */
  bucket: number;
  min: number | null;
  max: number | null;
  sum: number | null;
  count: number;
  value_count: number;
  good_count: number;
  first: number | null;
  last: number | null;
  /**
   * For counters: the increase over the bucket, each sample against the one before it (the last
   * one before the bucket included); a drop counts as a reset to zero. Absent unless asked for.
   */
  delta?: number | null;
}

export interface AggregateValues {
  start: number;
  end: number;
  /** Samples in the bucket, null values included. */
  count: number;
  /** Good samples / samples expected from the interval; null when the interval is unknown. */
  coverage: number | null;
  values: Partial<Record<Fn, number | null>>;
}

const HOUR_MS = 3_600_000;

function value(stats: BucketStats | undefined, fn: Fn, bucket: Bucket): number | null {
  if (!stats) return fn === 'count' ? 0 : null;
  switch (fn) {
    case 'avg':
      return stats.value_count > 0 && stats.sum !== null ? stats.sum / stats.value_count : null;
    case 'count':
      return stats.count;
    case 'delta':
      return stats.delta ?? null;
    case 'demand':
      // Energy over the bucket's real length (23 or 25 hours across DST): kWh → kW.
      return stats.delta === null || stats.delta === undefined
        ? null
        : stats.delta / ((bucket.end - bucket.start) / HOUR_MS);
    default:
      return stats[fn];
  }
}

/**
 * Lays the database's buckets onto the full list of buckets (empty ones included, count 0) and
 * computes avg and coverage. Throws if the database produced a bucket the calendar does not
 * have: that would mean SQL and domain/time.ts disagree on bucket edges, and data would vanish.
 */
export function fillBuckets(
  list: readonly Bucket[],
  stats: readonly BucketStats[],
  fns: readonly Fn[],
  intervalSeconds: number | undefined,
): AggregateValues[] {
  const byStart = new Map(stats.map((s) => [s.bucket, s]));
  const out = list.map((b) => {
    const s = byStart.get(b.start);
    byStart.delete(b.start);
    const expected = intervalSeconds ? (b.end - b.start) / 1000 / intervalSeconds : undefined;
    const values: Partial<Record<Fn, number | null>> = {};
    for (const fn of fns) values[fn] = value(s, fn, b);
    return {
      start: b.start,
      end: b.end,
      count: s?.count ?? 0,
      coverage: expected ? (s?.good_count ?? 0) / expected : null,
      values,
    };
  });
  if (byStart.size > 0) {
    const stray = [...byStart.keys()].map((ms) => new Date(ms).toISOString()).join(', ');
    throw new Error(`bucket edges disagree between SQL and calendar: ${stray}`);
  }
  return out;
}
