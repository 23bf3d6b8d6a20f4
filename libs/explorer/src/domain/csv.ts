import { tzOffsetMs } from './time.js';
import type { Cell } from './series.js';
import { intervalOf, type Resolution } from './resolution.js';

const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export type FileFormat = 'csv' | 'xlsx';

/**
 * The query-api file of what the chart shows, in the site's local time (tz=site): one point's raw
 * samples, one point's buckets (avg, min, max and coverage, as drawn), or several points' avg
 * side by side (/series). Null for several points' raw samples, which no API file holds: their
 * CSV is made here (chartCsv), and there is no xlsx of them.
 */
export function exportPath(
  ids: readonly number[],
  resolution: Resolution,
  from: number,
  to: number,
  format: FileFormat,
): string | null {
  const range = `from=${Math.round(from)}&to=${Math.round(to)}&format=${format}&tz=site`;
  if (resolution === 'raw') return ids.length === 1 ? `/api/v1/points/${ids[0]}/samples?${range}` : null;
  const interval = intervalOf(resolution);
  return ids.length === 1
    ? `/api/v1/points/${ids[0]}/aggregate?${range}&interval=${interval}&fn=avg,min,max`
    : `/api/v1/series?points=${ids.join(',')}&${range}&interval=${interval}&fn=avg`;
}

/** The wall clock of `tz` as spreadsheets read it ("2017-11-05 01:00:00"), and the offset in hours. */
function localCells(ms: number, tz: string): [string, string] {
  const offset = tzOffsetMs(ms, tz);
  const iso = new Date(ms + offset).toISOString();
  return [`${iso.slice(0, 10)} ${iso.slice(11, 19)}`, String(Math.round(offset / 3.6) / 1e6)];
}

/**
 * What the chart shows as CSV, laid out as query-api's local CSV: the wall clock of the site's
 * zone, the UTC offset in hours (which keeps the repeated hour of a DST fall-back apart), then one
 * column per series; a missing or null value is an empty field.
 */
export function chartCsv(
  tz: string,
  labels: readonly string[],
  x: readonly number[],
  ys: readonly (readonly Cell[])[],
): string {
  const lines = [[`time (${tz})`, 'UTC offset (h)', ...labels].map(quote).join(',')];
  for (let i = 0; i < x.length; i++) {
    const row = localCells(x[i]! * 1000, tz);
    for (const col of ys) {
      const v = col[i];
      row.push(v === null || v === undefined ? '' : String(v));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}
