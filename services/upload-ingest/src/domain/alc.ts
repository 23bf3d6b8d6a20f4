import { splitCsvLine, trimTrailingEmpty } from './csv.js';
import type { Line } from './lines.js';
import { LocalTimeResolver, parseTimestampField, type ParsedTime } from './local-time.js';
import type { ParseContext, ParseEvent, PointInfo } from './model.js';
import { alcPath } from './names.js';
import { PointCells, withStates } from './values.js';

/** A header cell that names the timestamp column of a wide export. */
export const WIDE_TIME_HEADER =
  /^(date\s*\/?\s*time|date and time|time\s*stamp|timestamp|time|date|datetime)$/i;

/** Header of the long export, compared case-insensitively. */
export const LONG_HEADER = ['point', 'timestamp', 'value'];

/** First four columns of the WebCTRL point list export. */
export const POINT_LIST_HEADER = ['location', 'control program', 'name', 'type'];

interface Series {
  id: number;
  info: PointInfo;
  cells: PointCells;
}

function resolveTime(
  parsed: ParsedTime,
  times: LocalTimeResolver,
  series: string,
): { ts: string } | { error: string } {
  if ('error' in parsed) return parsed;
  if ('instantMs' in parsed) return { ts: new Date(parsed.instantMs).toISOString() };
  const r = times.resolve(parsed.local, series);
  return r.ok ? { ts: new Date(r.ms).toISOString() } : { error: r.reason };
}

function* readCell(
  series: Series,
  cell: string,
  line: number,
  column: number,
  ctx: ParseContext,
  out: { ids: number[]; values: (number | null)[]; qualities: number[] },
): Generator<ParseEvent> {
  const v = series.cells.read(cell);
  if (v.kind === 'value') {
    if (v.statesChanged) {
      series.info = withStates(series.info, series.cells.states!);
      yield { type: 'point', id: series.id, point: series.info };
    }
    out.ids.push(series.id);
    out.values.push(v.value);
    out.qualities.push(v.quality);
  } else if (v.kind === 'bad') {
    ctx.issues.add(line, column, `${series.info.name}: ${v.reason}; value skipped`);
  }
  // An empty cell is no sample: WebCTRL leaves it blank when a point has another interval.
}

/**
 * Reads a WebCTRL wide trend export: optional preamble lines, a header whose first cell names a
 * time column (Date, Time, Timestamp…), then one column per point (header = point path or name).
 */
export async function* parseAlcWide(
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  const times = new LocalTimeResolver(ctx.timeZone);
  let columns: (Series | undefined)[] | undefined;
  let width = 0;
  let nextId = 0;
  for await (const line of lines) {
    const split = splitCsvLine(line.text, ctx.delimiter);
    if (!columns) {
      if (split.error) continue; // preamble
      const fields = trimTrailingEmpty(split.fields);
      if (fields.length < 2 || !WIDE_TIME_HEADER.test(fields[0]!.trim())) continue;
      columns = [];
      width = fields.length;
      const names = new Map<string, number>();
      for (let c = 1; c < fields.length; c++) {
        const name = fields[c]!.trim();
        if (!name) {
          ctx.issues.add(line.number, c + 1, 'column has no point name; its values are skipped');
          continue;
        }
        if (names.has(name)) {
          ctx.issues.add(
            line.number,
            c + 1,
            `column "${name}" repeats column ${names.get(name)}; its values are skipped`,
          );
          continue;
        }
        names.set(name, c + 1);
        const s: Series = { id: nextId++, info: { ...alcPath(name), name }, cells: new PointCells() };
        columns[c] = s;
        yield { type: 'point', id: s.id, point: s.info };
      }
      continue;
    }
    if (split.error) {
      const why = line.terminated ? split.error.reason : 'last row is incomplete (file cut off mid-row)';
      ctx.issues.add(line.number, split.error.column, `${why}; row skipped`);
      continue;
    }
    const fields = split.fields;
    if (fields.every((f) => f.trim() === '')) continue;
    if (!line.terminated && fields.length < width) {
      ctx.issues.add(
        line.number,
        fields.length,
        'last row is incomplete (file cut off mid-row); row skipped',
      );
      continue;
    }
    const time = resolveTime(parseTimestampField(fields[0]!), times, '');
    if ('error' in time) {
      ctx.issues.add(line.number, 1, `${time.error}; row skipped`);
      continue;
    }
    const out = { ids: [] as number[], values: [] as (number | null)[], qualities: [] as number[] };
    for (let c = 1; c < Math.min(width, fields.length); c++) {
      const s = columns[c];
      if (s) yield* readCell(s, fields[c]!, line.number, c + 1, ctx, out);
    }
    if (out.ids.length > 0) yield { type: 'row', ts: time.ts, ...out };
  }
  if (!columns) ctx.issues.add(0, null, 'no header with a time column (Date, Time, Timestamp…) found');
}

/** Reads a WebCTRL long trend export: `point,timestamp,value` rows. */
export async function* parseAlcLong(
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  const times = new LocalTimeResolver(ctx.timeZone);
  const series = new Map<string, Series>();
  let header = false;
  for await (const line of lines) {
    const split = splitCsvLine(line.text, ctx.delimiter);
    if (!header) {
      const fields = split.fields.map((f) => f.trim().toLowerCase());
      header = LONG_HEADER.every((h, i) => fields[i] === h);
      continue;
    }
    if (split.error) {
      const why = line.terminated ? split.error.reason : 'last row is incomplete (file cut off mid-row)';
      ctx.issues.add(line.number, split.error.column, `${why}; row skipped`);
      continue;
    }
    const fields = split.fields;
    if (fields.every((f) => f.trim() === '')) continue;
    if (fields.length < 3) {
      const why = line.terminated
        ? `row has ${fields.length} fields, expected point,timestamp,value`
        : 'last row is incomplete (file cut off mid-row)';
      ctx.issues.add(line.number, fields.length, `${why}; row skipped`);
      continue;
    }
    const name = fields[0]!.trim();
    if (!name) {
      ctx.issues.add(line.number, 1, 'point name is empty; row skipped');
      continue;
    }
    let s = series.get(name);
    if (!s) {
      s = { id: series.size, info: { ...alcPath(name), name }, cells: new PointCells() };
      series.set(name, s);
      yield { type: 'point', id: s.id, point: s.info };
    }
    // The repeated fall-back hour is tracked per point: each point's rows are in time order.
    const time = resolveTime(parseTimestampField(fields[1]!), times, name);
    if ('error' in time) {
      ctx.issues.add(line.number, 2, `${time.error}; row skipped`);
      continue;
    }
    const out = { ids: [] as number[], values: [] as (number | null)[], qualities: [] as number[] };
    yield* readCell(s, fields[2]!, line.number, 3, ctx, out);
    if (out.ids.length > 0) yield { type: 'row', ts: time.ts, ...out };
  }
}

/**
 * Reads the WebCTRL point list export (Location, Control Program, Name, Type, Offset / Polarity,
 * Exp:Num, I/O Type): one metadata-only point per row; node = location, device = control
 * program, parameter = point name. A row naming the same point twice is reported and skipped.
 */
export async function* parseAlcPointList(
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  let header: string[] | undefined;
  let nextId = 0;
  const seen = new Map<string, number>();
  for await (const line of lines) {
    const split = splitCsvLine(line.text, ctx.delimiter);
    if (split.error) {
      ctx.issues.add(
        line.number,
        split.error.column,
        `${line.terminated ? split.error.reason : 'last row is incomplete (file cut off mid-row)'}; row skipped`,
      );
      continue;
    }
    const fields = trimTrailingEmpty(split.fields).map((f) => f.trim());
    if (fields.length === 0) continue;
    if (!header) {
      header = fields;
      continue;
    }
    const [location, program, name, type] = fields;
    if (!location || !name) {
      ctx.issues.add(
        line.number,
        location ? 3 : 1,
        `${location ? 'Name' : 'Location'} is empty; row skipped`,
      );
      continue;
    }
    const node = location.replace(/^\/+/, '');
    const device = program ?? '';
    const fullName = `${location}/${device}/${name}`;
    const key = `${node}\u0000${device}\u0000${name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.issues.add(
        line.number,
        3,
        `point "${name}" in ${device} is listed again (first at line ${first}); row skipped`,
      );
      continue;
    }
    seen.set(key, line.number);
    const meta: Record<string, unknown> = {};
    for (let i = 3; i < header.length; i++) if (fields[i]) meta[header[i]!] = fields[i];
    const point: PointInfo = { node, device, parameter: name, name: fullName, meta };
    if (type) point.meta = { ...meta, Type: type };
    yield { type: 'point', id: nextId++, point };
  }
}
