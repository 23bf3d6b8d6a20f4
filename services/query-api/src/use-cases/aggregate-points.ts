import type { Kysely } from 'kysely';
import { aggregateRows, counterDeltas, type AggregateRow } from '../db/aggregate.js';
import { inferIntervalSeconds, type PointRow } from '../db/catalog.js';
import type { Database } from '@ep/schema';
import { fillBuckets, type AggregateValues } from '../domain/aggregate.js';
import {
  chooseSource,
  COUNTER_FNS,
  parseTimeZone,
  type AggregateSource,
  type Bucket,
  type Fn,
  type Interval,
} from '../domain/time.js';

export interface PointAggregate {
  source: AggregateSource;
  intervalSeconds: number | null;
  intervalSource: 'point' | 'inferred' | null;
  buckets: AggregateValues[];
}

/**
 * Aggregates several points over the same buckets. Points are grouped by the table that can
 * answer them (their site's zone decides whether daily rollups fit), one GROUP BY per group.
 */
export async function aggregatePoints(
  db: Kysely<Database>,
  points: PointRow[],
  list: Bucket[],
  interval: Interval,
  tz: string,
  fns: readonly Fn[],
): Promise<Map<number, PointAggregate>> {
  const range = { from: list[0]!.start, to: list[list.length - 1]!.end };
  const bySource = new Map<AggregateSource, PointRow[]>();
  for (const p of points) {
    const source = chooseSource(interval, tz, parseTimeZone(p.site_timezone, 'site timezone'), list);
    bySource.set(source, [...(bySource.get(source) ?? []), p]);
  }
  const wantDelta = fns.some((f) => COUNTER_FNS.includes(f));
  const [groups, intervals, deltas] = await Promise.all([
    Promise.all(
      [...bySource].map(async ([source, group]) => ({
        source,
        rows: await aggregateRows(
          db,
          group.map((p) => p.id),
          source,
          interval,
          tz,
          range,
          fns,
        ),
      })),
    ),
    Promise.all(
      points.map(async (p) =>
        p.interval_seconds
          ? { seconds: p.interval_seconds, from: 'point' as const }
          : { seconds: await inferIntervalSeconds(db, p.id), from: 'inferred' as const },
      ),
    ),
    wantDelta
      ? counterDeltas(
          db,
          points.map((p) => p.id),
          interval,
          tz,
          range,
        )
      : [],
  ]);
  const deltaOf = new Map(deltas.map((d) => [`${d.point_id}:${d.bucket}`, d.delta]));
  const sourceOf = new Map<number, AggregateSource>();
  const statsOf = new Map<number, AggregateRow[]>();
  for (const g of groups) {
    for (const p of bySource.get(g.source)!) sourceOf.set(p.id, g.source);
    for (const r of g.rows) {
      if (wantDelta) r.delta = deltaOf.get(`${r.point_id}:${r.bucket}`) ?? null;
      const list = statsOf.get(r.point_id);
      if (list) list.push(r);
      else statsOf.set(r.point_id, [r]);
    }
  }
  const out = new Map<number, PointAggregate>();
  points.forEach((p, i) => {
    const stats = statsOf.get(p.id) ?? [];
    const known = intervals[i]!;
    out.set(p.id, {
      source: sourceOf.get(p.id)!,
      intervalSeconds: known.seconds ?? null,
      intervalSource: known.seconds ? known.from : null,
      buckets: fillBuckets(list, stats, fns, known.seconds),
    });
  });
  return out;
}
