import { toLocalIso } from './time.js';
import type { Cell } from './series.js';

const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * What the chart shows as CSV: a time column in the site's zone (ISO with offset) and one column
 * per series; a missing or null value is an empty field.
 */
export function chartCsv(
  tz: string,
  labels: readonly string[],
  x: readonly number[],
  ys: readonly (readonly Cell[])[],
): string {
  const lines = [[`time (${tz})`, ...labels].map(quote).join(',')];
  for (let i = 0; i < x.length; i++) {
    const row = [toLocalIso(x[i]! * 1000, tz)];
    for (const col of ys) {
      const v = col[i];
      row.push(v === null || v === undefined ? '' : String(v));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}
