import { formatUtc } from '@ep/contracts';

/**
 * Rows as an aligned text table, a header line first: times as EP writes them (formatUtc),
 * lists comma-joined, missing values as "-". Every CLI listing prints through it.
 */
export function table(rows: Record<string, unknown>[], columns: string[]): string[] {
  const cell = (v: unknown) =>
    v instanceof Date
      ? formatUtc(v)
      : Array.isArray(v)
        ? v.join(',')
        : v === null || v === undefined
          ? '-'
          : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
}
