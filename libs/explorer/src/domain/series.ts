// API answers → chart columns. Times are epoch seconds (uPlot's x). A null value breaks the line
// (a gap); `undefined` only aligns series of different timestamps and is bridged.

export type Sample = [ts: string, value: number | null, quality: number];
export type Cell = number | null | undefined;

export interface RawColumns {
  x: number[];
  /** The value; null where the source had none and where samples are missing (a gap). */
  y: (number | null)[];
  /** The value of samples whose quality is not good (0), else null: drawn as marks. */
  bad: (number | null)[];
  badCount: number;
  /** Times of the nulls inserted to break the line (not samples: left out of downloads). */
  gapAt: number[];
}

/** Median spacing of the samples in seconds, or null with fewer than two. */
export function medianSpacing(x: readonly number[]): number | null {
  if (x.length < 2) return null;
  const step = Math.max(1, Math.floor((x.length - 1) / 1000));
  const d: number[] = [];
  for (let i = step; i < x.length; i += step) d.push((x[i]! - x[i - step]!) / step);
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

/**
 * Raw samples as columns. Where two samples are further apart than 2.5 expected intervals a null
 * is inserted between them, so the chart shows missing data as a gap, not a line across it.
 */
export function rawColumns(samples: readonly Sample[], intervalSeconds: number | null): RawColumns {
  const n = samples.length;
  const t = new Array<number>(n);
  for (let i = 0; i < n; i++) t[i] = Date.parse(samples[i]![0]) / 1000;
  const expected = intervalSeconds ?? medianSpacing(t) ?? Infinity;
  const x: number[] = [];
  const y: (number | null)[] = [];
  const bad: (number | null)[] = [];
  const gapAt: number[] = [];
  let badCount = 0;
  for (let i = 0; i < n; i++) {
    const [, value, quality] = samples[i]!;
    if (i > 0 && t[i]! - t[i - 1]! > 2.5 * expected) {
      x.push(t[i - 1]! + expected);
      gapAt.push(t[i - 1]! + expected);
      y.push(null);
      bad.push(null);
    }
    x.push(t[i]!);
    y.push(value);
    if (quality !== 0) badCount++;
    bad.push(quality !== 0 && value !== null ? value : null);
  }
  return { x, y, bad, badCount, gapAt };
}

export interface Bucket {
  start: string;
  count: number;
  coverage: number | null;
  avg?: number | null;
  min?: number | null;
  max?: number | null;
}

export interface AggregateColumns {
  x: number[];
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  /** Percent of expected good samples per bucket (null when the interval is unknown). */
  coverage: (number | null)[];
}

export function aggregateColumns(buckets: readonly Bucket[]): AggregateColumns {
  const out: AggregateColumns = { x: [], avg: [], min: [], max: [], coverage: [] };
  for (const b of buckets) {
    out.x.push(Date.parse(b.start) / 1000);
    out.avg.push(b.avg ?? null);
    out.min.push(b.min ?? null);
    out.max.push(b.max ?? null);
    out.coverage.push(b.coverage === null ? null : Math.round(b.coverage * 1000) / 10);
  }
  return out;
}

/**
 * Several tables on one x: the sorted union of their times; a table without a row at some time
 * gets `undefined` there (bridged), its own nulls stay null (gaps).
 */
export function joinTables(tables: readonly { x: readonly number[]; ys: readonly (readonly Cell[])[] }[]): {
  x: number[];
  ys: Cell[][];
} {
  if (tables.length === 1) return { x: [...tables[0]!.x], ys: tables[0]!.ys.map((c) => [...c]) };
  const xs = [...new Set(tables.flatMap((t) => t.x as number[]))].sort((a, b) => a - b);
  const at = new Map(xs.map((v, i) => [v, i]));
  const ys: Cell[][] = [];
  for (const t of tables) {
    for (const col of t.ys) {
      const out = new Array<Cell>(xs.length).fill(undefined);
      t.x.forEach((v, i) => (out[at.get(v)!] = col[i]));
      ys.push(out);
    }
  }
  return { x: xs, ys };
}
