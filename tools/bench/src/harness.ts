import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One number a suite measured, next to the same work done by the bare tool in the same run. */
export interface Measurement {
  name: string;
  value: number;
  /** e.g. `msg/s`, `rows/s`, `ms`. */
  unit: string;
  /** The bare tool (raw js.publish, PostgreSQL COPY, raw amqplib, …) doing the same work. */
  baseline: number;
  /** Whether a ratio above 1 is good (rates) or bad (latencies); default true. */
  higherIsBetter?: boolean;
}

/** A row of tools/bench/results/<suite>.json. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  /** value / baseline; null when the baseline is 0. */
  ratio: number | null;
}

export interface BenchReport {
  suite: string;
  /** ISO time the run started. */
  at: string;
  results: BenchResult[];
}

export interface BenchContext {
  /** A run of a few seconds (CI, smoke checks) instead of a full measurement. */
  quick: boolean;
  /** A suite's own settings from the command line (`--minutes 5` → { minutes: '5' }). */
  options: Record<string, string>;
  record(measurement: Measurement): void;
  /** Progress for the person watching; not part of the results. */
  log(line: string): void;
}

export interface Suite {
  name: string;
  description: string;
  /** Measures; results are passed to ctx.record() or returned, whichever reads better. */
  run(ctx: BenchContext): Promise<void | Measurement[]>;
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** A result row: value and baseline to 2 decimals, ratio to 3. */
export function toResult(m: Measurement): BenchResult {
  return {
    name: m.name,
    value: round(m.value, 2),
    unit: m.unit,
    baseline: round(m.baseline, 2),
    ratio: m.baseline === 0 ? null : round(m.value / m.baseline, 3),
  };
}

/** Runs one suite and collects what it measured. */
export async function runSuite(
  suite: Suite,
  options: { quick: boolean; options?: Record<string, string>; log?: (line: string) => void },
): Promise<{ report: BenchReport; measurements: Measurement[] }> {
  const at = new Date().toISOString();
  const measurements: Measurement[] = [];
  const returned = await suite.run({
    quick: options.quick,
    options: options.options ?? {},
    record: (m) => measurements.push(m),
    log: options.log ?? (() => undefined),
  });
  if (returned) measurements.push(...returned);
  return { report: { suite: suite.name, at, results: measurements.map(toResult) }, measurements };
}

// Decimals of a rate in the thousands are noise; keep them for small values (ms, ratios).
function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 2 });
}

/**
 * The results as an aligned text table. The ratio carries ↑ when higher is better and ↓ when
 * lower is better, so a reader knows which side of 1 is good.
 */
export function formatTable(measurements: Measurement[]): string {
  const header = ['name', 'value', 'unit', 'baseline', 'ratio'];
  const rows = measurements.map((m) => {
    const r = toResult(m);
    const arrow = m.higherIsBetter === false ? '↓' : '↑';
    return [
      r.name,
      formatNumber(r.value),
      r.unit,
      formatNumber(r.baseline),
      r.ratio === null ? 'n/a' : `${r.ratio.toFixed(3)} ${arrow}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  // Text columns align left, numbers right.
  const numeric = [false, true, false, true, true];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Writes `<dir>/<suite>.json` and returns its path. */
export async function writeReport(dir: string, report: BenchReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${report.suite}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
