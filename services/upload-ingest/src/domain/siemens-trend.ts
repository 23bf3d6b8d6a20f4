import { splitCsvLine, trimTrailingEmpty } from './csv.js';
import type { Line } from './lines.js';
import { LocalTimeResolver, parseUsDateTime } from './local-time.js';
import type { ParseContext, ParseEvent, PointInfo } from './model.js';
import { siemensPath } from './names.js';
import { PointCells, withStates } from './values.js';

const POINT_DEF = /^Point_(\d+):$/;
const INTERVAL = /^(\d+)\s*(second|minute|hour|day)s?$/i;
const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/** `15 Minutes` → 900; undefined for anything else. */
function intervalSeconds(text: string): number | undefined {
  const m = INTERVAL.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]!.toLowerCase()]! : undefined;
}

/** The `*** End of Report ***` footer (quoted or not, with or without leading space). */
export function isFooter(text: string): boolean {
  return /^[\s"]*\*+.*End of Report/i.test(text);
}

interface Column {
  id: number;
  info: PointInfo;
  cells: PointCells;
  /** The trend definition's interval, when it is a duration. */
  trendInterval: number | undefined;
}

/**
 * A point's expected interval, with the trend definition's kept in meta when it differs (only
 * then: a report at its trend's own interval carries no more bytes per batch than before).
 */
function withInterval(info: PointInfo, seconds: number, trendInterval: number | undefined): PointInfo {
  const out: PointInfo = { ...info, intervalSeconds: seconds };
  if (trendInterval !== undefined && trendInterval !== seconds)
    out.meta = { ...info.meta, trendIntervalSeconds: trendInterval };
  return out;
}

/**
 * Reads a Siemens Insight Trend Interval Report. Point definitions (`Point_N:,<name>,,<interval>`)
 * come first; the `<>Date,Time,Point_1,…` header maps columns to them; data rows follow until
 * the footer. Points whose definition says `Error: …` are reported and their columns skipped.
 * Bad cells and bad rows are reported and skipped; the rest of the file is kept.
 *
 * A point's expected interval (what coverage counts against) is the report's own: its `Time
 * Interval:` line, or without one the spacing of its first two rows. The trend definition's
 * interval (`5 minutes` on the Point_N: line) is how often the panel sampled, not how often the
 * report lists a value; it is kept in `meta.trendIntervalSeconds`.
 */
export async function* parseSiemensTrend(
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  const { issues } = ctx;
  const times = new LocalTimeResolver(ctx.timeZone);
  const defs = new Map<string, { line: number; name: string; interval: string }>();
  let columns: (Column | undefined)[] | undefined;
  let headerWidth = 0;
  let nextId = 0;
  let lastLine = 0;
  let reportInterval: number | undefined;
  // Without a Time Interval: line, the spacing of the first two rows is the report's interval.
  let spacingFrom: number | undefined;
  let spacingPending = false;

  for await (const line of lines) {
    lastLine = line.number;
    if (isFooter(line.text)) return;
    const split = splitCsvLine(line.text, ctx.delimiter);
    if (!columns) {
      if (split.error) {
        issues.add(line.number, split.error.column, split.error.reason);
        continue;
      }
      const fields = trimTrailingEmpty(split.fields);
      const first = fields[0]?.trim() ?? '';
      const def = POINT_DEF.exec(first);
      if (def) {
        defs.set(`Point_${def[1]}`, {
          line: line.number,
          name: (fields[1] ?? '').trim(),
          interval: (fields[3] ?? '').trim(),
        });
        continue;
      }
      if (/^Time\s+Interval:$/i.test(first)) {
        reportInterval = intervalSeconds((fields[1] ?? '').trim());
        continue;
      }
      if (first !== '<>Date') continue; // Key Name:, Date Range:, Report Timings:, blank lines.
      spacingPending = reportInterval === undefined;
      columns = [];
      headerWidth = fields.length;
      for (let c = 2; c < fields.length; c++) {
        const label = fields[c]!.trim();
        const d = defs.get(label);
        if (!d) {
          issues.add(
            line.number,
            c + 1,
            `column "${label}" has no Point_N: definition above the header; its values are skipped`,
          );
          continue;
        }
        if (!d.name) {
          issues.add(d.line, 2, `${label} has no system name; its values are skipped`);
          continue;
        }
        if (/^Error:/i.test(d.interval)) {
          issues.add(
            d.line,
            4,
            `point ${d.name}: Insight reported "${d.interval.replace(/\s+/g, ' ')}"; it has no data in this report`,
          );
          continue;
        }
        let info: PointInfo = { ...siemensPath(d.name), name: d.name, kind: 'sampled' };
        const trendInterval = intervalSeconds(d.interval);
        if (trendInterval === undefined && d.interval) info.meta = { trend: d.interval };
        const interval = reportInterval ?? trendInterval;
        if (interval !== undefined) info = withInterval(info, interval, trendInterval);
        const column: Column = { id: nextId++, info, cells: new PointCells(), trendInterval };
        columns[c] = column;
        yield { type: 'point', id: column.id, point: info };
      }
      continue;
    }

    // Data rows.
    const fields = split.fields;
    if (split.error) {
      const why = line.terminated ? split.error.reason : 'last row is incomplete (file cut off mid-row)';
      issues.add(line.number, split.error.column, `${why}; row skipped`);
      continue;
    }
    if (fields.every((f) => f.trim() === '')) continue;
    if (fields.length < headerWidth) {
      const why = line.terminated
        ? `row has ${fields.length} fields, the header has ${headerWidth}`
        : 'last row is incomplete (file cut off mid-row)';
      issues.add(line.number, fields.length, `${why}; row skipped`);
      continue;
    }
    const parsed = parseUsDateTime(fields[0]!, fields[1]!);
    if ('error' in parsed) {
      issues.add(line.number, parsed.error.startsWith('time') ? 2 : 1, `${parsed.error}; row skipped`);
      continue;
    }
    const resolved = times.resolve(parsed.local);
    if (!resolved.ok) {
      issues.add(line.number, 2, `${resolved.reason}; row skipped`);
      continue;
    }
    if (spacingPending) {
      if (spacingFrom !== undefined && resolved.ms > spacingFrom) {
        spacingPending = false;
        const seconds = (resolved.ms - spacingFrom) / 1000;
        for (const column of columns) {
          if (!column) continue;
          column.info = withInterval(column.info, seconds, column.trendInterval);
          yield { type: 'point', id: column.id, point: column.info };
        }
      } else spacingFrom = resolved.ms;
    }
    const ts = new Date(resolved.ms).toISOString();
    const ids: number[] = [];
    const values: (number | null)[] = [];
    const qualities: number[] = [];
    for (let c = 2; c < headerWidth; c++) {
      const column = columns[c];
      if (!column) continue;
      const cell = column.cells.read(fields[c]!);
      if (cell.kind === 'value') {
        if (cell.statesChanged) {
          column.info = withStates(column.info, column.cells.states!);
          yield { type: 'point', id: column.id, point: column.info };
        }
        ids.push(column.id);
        values.push(cell.value);
        qualities.push(cell.quality);
      } else if (cell.kind === 'empty') {
        issues.add(line.number, c + 1, `${column.info.name}: empty value skipped`);
      } else {
        issues.add(line.number, c + 1, `${column.info.name}: ${cell.reason}; value skipped`);
      }
    }
    if (ids.length > 0) yield { type: 'row', ts, ids, values, qualities };
  }
  if (!columns)
    issues.add(lastLine, null, 'no "<>Date,Time,Point_1,…" header found: the report has no data rows');
}
