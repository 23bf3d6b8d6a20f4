import type {
  ExplicitPointField,
  Point,
  ReadingsBatch,
  StoredPoint,
  StoredReadings,
  StoredSetpoint,
} from '@ep/contracts';

/**
 * Pure planning of a write: which points to register, which samples to upsert, which months
 * need a partition, and the stored event of each input batch. No I/O here.
 */

export interface SiteRef {
  id: number;
  key: string;
  timezone: string;
}

/** An input batch that parsed and whose site exists. */
export interface AcceptedBatch {
  batch: ReadingsBatch;
  site: SiteRef;
}

/** What the store registers about a point; undefined fields leave the stored value alone. */
export interface PointUpsert {
  siteId: number;
  source: string;
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit?: string;
  kind?: string;
  states?: Record<string, string>;
  description?: string;
  intervalSeconds?: number;
  meta?: Record<string, unknown>;
  /** Fields the source marked explicit: they replace a person's edit (Point.explicit). */
  explicit?: ExplicitPointField[];
}

/** A point as stored, enough to describe it in a stored event. */
export interface RegisteredPoint {
  id: number;
  siteId: number;
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit: string | null;
  kind: string | null;
  states: Record<string, string> | null;
}

export function pointKey(siteId: number, node: string, device: string, parameter: string): string {
  // \u0001 cannot appear in a source's names, so distinct tuples never collide.
  return `${siteId}\u0001${node}\u0001${device}\u0001${parameter}`;
}

const keyOf = (p: { siteId: number; node: string; device: string; parameter: string }) =>
  pointKey(p.siteId, p.node, p.device, p.parameter);

/**
 * One upsert per distinct point over all batches, later batches winning field by field (meta
 * merged). Sorted by key so that concurrent writers lock point rows in the same order and
 * cannot deadlock each other.
 */
export function mergePoints(batches: readonly AcceptedBatch[]): PointUpsert[] {
  const byKey = new Map<string, PointUpsert>();
  for (const { batch, site } of batches) {
    for (const p of batch.points) {
      const next = toUpsert(site.id, batch.source, p);
      const key = keyOf(next);
      const prev = byKey.get(key);
      byKey.set(key, prev ? mergeUpsert(prev, next) : next);
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

function toUpsert(siteId: number, source: string, p: Point): PointUpsert {
  return {
    siteId,
    source,
    node: p.node,
    device: p.device,
    parameter: p.parameter,
    name: p.name,
    ...(p.unit !== undefined ? { unit: p.unit } : {}),
    ...(p.kind !== undefined ? { kind: p.kind } : {}),
    ...(p.states !== undefined ? { states: p.states } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.intervalSeconds !== undefined ? { intervalSeconds: Math.round(p.intervalSeconds) } : {}),
    ...(p.meta !== undefined ? { meta: p.meta } : {}),
    ...(p.explicit !== undefined && p.explicit.length > 0 ? { explicit: p.explicit } : {}),
  };
}

function mergeUpsert(a: PointUpsert, b: PointUpsert): PointUpsert {
  const merged: PointUpsert = { ...a };
  for (const [k, v] of Object.entries(b))
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  if (a.meta && b.meta) merged.meta = { ...a.meta, ...b.meta };
  if (a.explicit && b.explicit) merged.explicit = [...new Set([...a.explicit, ...b.explicit])];
  return merged;
}

/** Earliest and latest instant a sample may carry; anything else is a producer bug. */
export const MIN_SAMPLE_MS = Date.UTC(1900, 0, 1);
export const MAX_SAMPLE_MS = Date.UTC(2200, 0, 1);

export interface SampleRow {
  /** Index of the input batch in the write (for per-batch counts). */
  batch: number;
  pointId: number;
  ms: number;
  value: number | null;
  quality: number;
}

export interface DroppedSample {
  point: string;
  index: number;
  ts: string | number;
  reason: string;
}

/** Milliseconds since the epoch of a sample timestamp, or NaN when it is not a usable instant. */
export function sampleMs(ts: string | number): number {
  const ms = typeof ts === 'number' ? ts : Date.parse(ts);
  return Number.isFinite(ms) && ms >= MIN_SAMPLE_MS && ms < MAX_SAMPLE_MS ? ms : Number.NaN;
}

// Exactly Date#toISOString()'s shape: such a string is already canonical UTC and is kept as is.
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The sample's instant as canonical UTC ISO text, converting only when it is not already. */
export function utcIso(ts: string | number, ms: number): string {
  return typeof ts === 'string' && ts.length === 24 && CANONICAL_ISO.test(ts)
    ? ts
    : new Date(ms).toISOString();
}

interface ParsedTimes {
  /** Epoch ms per sample; NaN for an unusable timestamp. */
  ms: Float64Array;
  /** Canonical UTC ISO text per sample ('' where ms is NaN). */
  iso: string[];
  /** Whether the usable timestamps strictly increase (then no sample repeats another). */
  increasing: boolean;
}

// Parsing timestamps is the costliest JavaScript work per sample; each point's are parsed once
// per write and shared by partitioning, staging and the stored event.
const parsed = new WeakMap<Point, ParsedTimes>();

/** The point's sample instants, parsed once. */
export function sampleTimes(point: Point): ParsedTimes {
  let t = parsed.get(point);
  if (!t) {
    const n = point.samples.length;
    t = { ms: new Float64Array(n), iso: new Array<string>(n), increasing: true };
    let last = -Infinity;
    for (let i = 0; i < n; i++) {
      const ts = point.samples[i]![0];
      const ms = sampleMs(ts);
      t.ms[i] = ms;
      t.iso[i] = Number.isNaN(ms) ? '' : utcIso(ts, ms);
      if (!Number.isNaN(ms)) {
        if (ms <= last) t.increasing = false;
        last = ms;
      }
    }
    parsed.set(point, t);
  }
  return t;
}

/**
 * The rows of one input batch. Within a batch a repeated (point, ts) keeps its last sample, as
 * a later line of a file corrects an earlier one; samples with an unusable timestamp are
 * dropped and reported, never allowed to sink the rest of the batch.
 */
export function batchRows(
  index: number,
  accepted: AcceptedBatch,
  pointIds: ReadonlyMap<string, number>,
): { rows: SampleRow[]; dropped: DroppedSample[] } {
  const rows: SampleRow[] = [];
  const dropped: DroppedSample[] = [];
  const listed = new Set<number>();
  let repeats = false;
  for (const p of accepted.batch.points) {
    const pointId = pointIds.get(pointKey(accepted.site.id, p.node, p.device, p.parameter));
    if (pointId === undefined) throw new Error(`point ${p.name} was not registered`);
    const t = sampleTimes(p);
    // Strictly increasing timestamps of a point listed once (the usual case) cannot repeat.
    if (listed.has(pointId) || !t.increasing) repeats = true;
    listed.add(pointId);
    for (let i = 0; i < p.samples.length; i++) {
      const ms = t.ms[i]!;
      const [ts, value, quality] = p.samples[i]!;
      if (Number.isNaN(ms))
        dropped.push({
          point: p.name,
          index: i,
          ts,
          reason: 'timestamp is not an instant between 1900 and 2200',
        });
      else rows.push({ batch: index, pointId, ms, value, quality });
    }
  }
  if (!repeats) return { rows, dropped };
  // The last row per (point, ts) wins, in the place of the first.
  const at = new Map<number, Map<number, number>>();
  const out: SampleRow[] = [];
  for (const r of rows) {
    let byMs = at.get(r.pointId);
    if (!byMs) at.set(r.pointId, (byMs = new Map()));
    const prev = byMs.get(r.ms);
    if (prev === undefined) {
      byMs.set(r.ms, out.length);
      out.push(r);
    } else out[prev] = r;
  }
  return { rows: out, dropped };
}

/**
 * Splits the batches of a write into rounds in which no (point, ts) is written twice, keeping
 * their order: one INSERT … ON CONFLICT may not touch a row twice, and the counts of each batch
 * must be measured against what the batches before it left.
 */
export function splitRounds(rowsPerBatch: readonly SampleRow[][]): number[][] {
  const rounds: number[][] = [];
  let current: number[] = [];
  let seen = new Map<number, Set<number>>();
  const clashes = (rows: readonly SampleRow[]) => rows.some((r) => seen.get(r.pointId)?.has(r.ms) === true);
  rowsPerBatch.forEach((rows, i) => {
    if (clashes(rows)) {
      rounds.push(current);
      current = [];
      seen = new Map();
    }
    current.push(i);
    for (const r of rows) {
      let set = seen.get(r.pointId);
      if (!set) seen.set(r.pointId, (set = new Set()));
      set.add(r.ms);
    }
  });
  if (current.length > 0) rounds.push(current);
  return rounds;
}

/** First instant (UTC) of every month the rows touch, as epoch ms, ascending. */
export function monthsTouched(ms: Iterable<number>): number[] {
  const months = new Set<number>();
  // Samples come in time order mostly: skip the date arithmetic while in the same month.
  let from = Infinity;
  let to = -Infinity;
  for (const t of ms) {
    if (t >= from && t < to) continue;
    const d = new Date(t);
    from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    months.add(from);
  }
  return [...months].sort((a, b) => a - b);
}

/** The partition name ensure_measurement_partitions() gives a month. */
export function partitionName(monthStartMs: number): string {
  const d = new Date(monthStartMs);
  return `measurements_${d.getUTCFullYear().toString().padStart(4, '0')}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Aggregates of samples in one UTC hour of one point, as measurements_hourly keeps them. */
export interface HourAggregate {
  pointId: number;
  /** Epoch ms of the start of the UTC hour. */
  hourMs: number;
  min: number | null;
  max: number | null;
  sum: number | null;
  count: number;
  valueCount: number;
  goodCount: number;
  firstMs: number;
  firstValue: number | null;
  lastMs: number;
  lastValue: number | null;
}

const HOUR_MS = 3_600_000;

/**
 * Hourly aggregates of rows, by point and UTC hour (epoch hours are UTC hours). Null values
 * count as samples but not in min/max/sum; quality 0 counts as good.
 */
export function hourlyAggregates(rows: readonly SampleRow[]): HourAggregate[] {
  const all: HourAggregate[] = [];
  const byPoint = new Map<number, Map<number, HourAggregate>>();
  let a: HourAggregate | undefined;
  for (const r of rows) {
    const hourMs = Math.floor(r.ms / HOUR_MS) * HOUR_MS;
    // Rows come grouped by point in time order: usually the same bucket as the row before.
    if (!a || a.pointId !== r.pointId || a.hourMs !== hourMs) {
      let hours = byPoint.get(r.pointId);
      if (!hours) byPoint.set(r.pointId, (hours = new Map()));
      a = hours.get(hourMs);
      if (!a) {
        a = {
          pointId: r.pointId,
          hourMs,
          min: null,
          max: null,
          sum: null,
          count: 0,
          valueCount: 0,
          goodCount: 0,
          firstMs: r.ms,
          firstValue: r.value,
          lastMs: r.ms,
          lastValue: r.value,
        };
        hours.set(hourMs, a);
        all.push(a);
      }
    }
    if (r.ms < a.firstMs) {
      a.firstMs = r.ms;
      a.firstValue = r.value;
    }
    if (r.ms > a.lastMs) {
      a.lastMs = r.ms;
      a.lastValue = r.value;
    }
    a.count += 1;
    if (r.quality === 0) a.goodCount += 1;
    if (r.value !== null) {
      a.valueCount += 1;
      a.sum = a.sum === null ? r.value : a.sum + r.value;
      if (a.min === null || r.value < a.min) a.min = r.value;
      if (a.max === null || r.value > a.max) a.max = r.value;
    }
  }
  return all.sort((x, y) => x.pointId - y.pointId || x.hourMs - y.hourMs);
}

/** Whether a row can be appended without a lookup: outside its point's stored time span. */
export function isAppend(row: SampleRow, span: { firstMs: number; lastMs: number } | undefined): boolean {
  return span === undefined || row.ms > span.lastMs || row.ms < span.firstMs;
}

export interface BatchCounts {
  points: number;
  samples: number;
  inserted: number;
  revised: number;
  unchanged: number;
}

/** The stored event of one input batch: its points with ids and metadata, samples in UTC ISO. */
export function storedEvent(
  accepted: AcceptedBatch,
  points: ReadonlyMap<string, RegisteredPoint>,
  counts: BatchCounts,
  storedAt: Date,
): StoredReadings {
  const { batch, site } = accepted;
  const out: StoredPoint[] = batch.points.map((p) => {
    const reg = points.get(pointKey(site.id, p.node, p.device, p.parameter));
    if (!reg) throw new Error(`point ${p.name} was not registered`);
    return {
      pointId: reg.id,
      node: reg.node,
      device: reg.device,
      parameter: reg.parameter,
      name: reg.name,
      unit: reg.unit,
      kind: reg.kind,
      states: reg.states,
      samples: samplesAsUtc(p),
    };
  });
  return {
    v: 1,
    type: 'readings.stored',
    batchId: batch.batchId,
    source: batch.source,
    site: batch.site,
    storedAt: storedAt.toISOString(),
    ...(batch.origin ? { origin: batch.origin } : {}),
    counts,
    points: out,
  };
}

function samplesAsUtc(p: Point): StoredPoint['samples'] {
  const t = sampleTimes(p);
  const out: StoredPoint['samples'] = [];
  for (let i = 0; i < p.samples.length; i++) {
    const sample = p.samples[i]!;
    if (Number.isNaN(t.ms[i]!)) continue;
    // A sample already in canonical UTC is passed on as it is, without a copy.
    out.push(sample[0] === t.iso[i] ? sample : [t.iso[i]!, sample[1], sample[2]]);
  }
  return out;
}

/** Samples in a batch, as its producer counted them. */
export function sampleCount(batch: ReadingsBatch): number {
  return batch.points.reduce((n, p) => n + p.samples.length, 0);
}

/** The set-point changes a batch carries, as published once stored (one per change, in order). */
export function storedSetpoints(accepted: AcceptedBatch, storedAt: Date): StoredSetpoint[] {
  const { batch } = accepted;
  return (batch.events ?? []).map((e) => ({
    v: 1,
    type: 'setpoint.changed',
    eventId: e.eventId,
    source: batch.source,
    site: batch.site,
    gateway: e.gateway,
    point: e.point,
    ts: new Date(e.ts).toISOString(),
    from: e.from,
    to: e.to,
    origin: e.origin,
    storedAt: storedAt.toISOString(),
  }));
}
