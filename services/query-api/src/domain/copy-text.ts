/**
 * Rewrites PostgreSQL `COPY … TO STDOUT` text-format rows (tab-separated, `\N` for null) whose
 * first column is a timestamptz and the others numbers, into JSON tuples or CSV lines. PostgreSQL
 * has already turned every value into text in C, so the API only moves text: no Date, no
 * number formatting per row, which is what a year of samples costs in JS.
 *
 * The time arrives as PostgreSQL's ISO style in the session zone ("2017-11-05 01:00:00-06",
 * fractional seconds only when not zero) and leaves as ISO-8601: "2017-11-05T01:00:00-06:00",
 * or "…Z" in UTC — or, in `csv-local`, as the two columns spreadsheets read (domain/local-time.ts):
 * the wall clock "2017-11-05 01:00:00" and the UTC offset in hours, "-6".
 */
import { formatOffsetHours, pgOffsetMs } from './local-time.js';

export type RowFormat = 'json' | 'csv' | 'csv-local';

const PLUS = 43;
const MINUS = 45;

export function isoFromPg(text: string, utc: boolean): string {
  const t = text.slice(0, 10) + 'T' + text.slice(11);
  if (utc && t.endsWith('+00')) return t.slice(0, -3) + 'Z';
  const sign = t.charCodeAt(t.length - 3);
  // "+05" → "+05:00": JavaScript's Date and most ISO readers want minutes in the offset.
  return sign === 43 || sign === 45 ? t + ':00' : t;
}

function jsonNumber(field: string): string {
  // float8 may hold NaN or ±Infinity, which JSON cannot.
  return field === '\\N' || field === 'NaN' || field === 'Infinity' || field === '-Infinity' ? 'null' : field;
}

/** Where the offset of a PostgreSQL ISO time starts ("…:SS[.f]±HH[:MM[:SS]]"). */
function offsetStart(text: string): number {
  for (let k = 19; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === PLUS || c === MINUS) return k;
  }
  return text.length;
}

const offsetHoursText = new Map<string, string>();

/** A PostgreSQL offset ("+05", "-05:30", "-05:50:36") as hours: "5", "-5.5", "-5.843333". */
export function offsetHoursFromPg(offset: string): string {
  const known = offsetHoursText.get(offset);
  if (known !== undefined) return known;
  const text = String(formatOffsetHours(pgOffsetMs(offset)));
  if (offsetHoursText.size < 1000) offsetHoursText.set(offset, text);
  return text;
}

/** One COPY text line (no trailing newline) as a JSON array or a CSV line (no newline). */
export function formatCopyLine(line: string, format: RowFormat, utc: boolean): string {
  const fields = line.split('\t');
  if (format === 'csv' || format === 'csv-local') {
    const at = offsetStart(fields[0]!);
    let out =
      format === 'csv'
        ? isoFromPg(fields[0]!, utc)
        : `${fields[0]!.slice(0, at)},${offsetHoursFromPg(fields[0]!.slice(at))}`;
    for (let i = 1; i < fields.length; i++) out += `,${jsonNumber(fields[i]!) === 'null' ? '' : fields[i]}`;
    return out;
  }
  let out = `["${isoFromPg(fields[0]!, utc)}"`;
  for (let i = 1; i < fields.length; i++) out += `,${jsonNumber(fields[i]!)}`;
  return out + ']';
}

const TAB = 9;
const NL = 10;
const SPACE = 32;
const COMMA = 44;
const QUOTE = 34;
const BACKSLASH = 92;
const BYTES = (s: string) => Buffer.from(s, 'latin1');

// Fields are a few bytes long: a plain loop beats Buffer.copy's native call for them.
function copy(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  for (let k = start; k < end; k++) dst[at++] = src[k]!;
  return end - start;
}
const NULL_JSON = BYTES('null');
const OFFSET_MINUTES = BYTES(':00');

/**
 * Rewrites the complete lines of `input` byte by byte into `out` (which must hold 2× the input
 * plus 16 bytes a row): the same result as formatCopyLine for every line, but with no string
 * per field — a year of samples is 100,000 lines, and split() alone cost more than the query.
 * Stops after `maxRows` lines. Returns where it stopped in both buffers and how many rows it wrote.
 */
export function rewriteCopyBytes(
  input: Buffer,
  format: RowFormat,
  utc: boolean,
  maxRows: number,
  out: Buffer,
  firstRow: boolean,
): { consumed: number; written: number; rows: number } {
  let i = 0;
  let o = 0;
  let rows = 0;
  const n = input.length;
  while (i < n && rows < maxRows) {
    const lineEnd = input.indexOf(NL, i);
    if (lineEnd < 0) break;
    let tab = input.indexOf(TAB, i);
    if (tab < 0 || tab > lineEnd) tab = lineEnd;
    if (format === 'json') {
      if (!(firstRow && rows === 0)) out[o++] = COMMA;
      out[o++] = 91; // [
      out[o++] = QUOTE;
    }
    // The time: "YYYY-MM-DD HH:MM:SS[.f]±HH[:MM]" → "YYYY-MM-DDTHH:MM:SS[.f]±HH:MM" or "…Z".
    const tsEnd = tab;
    const tsOut = o;
    const sign = input[tsEnd - 3];
    if (format === 'csv-local') {
      // "YYYY-MM-DD HH:MM:SS[.f]" as it is (Excel reads it), then the offset in hours.
      let at = i + 19;
      while (at < tsEnd && input[at] !== PLUS && input[at] !== MINUS) at++;
      o += copy(input, i, at, out, o);
      out[o++] = COMMA;
      o += out.write(offsetHoursFromPg(input.toString('latin1', at, tsEnd)), o, 'latin1');
    } else if (utc && sign === PLUS && input[tsEnd - 2] === 48 && input[tsEnd - 1] === 48) {
      o += copy(input, i, tsEnd - 3, out, o);
      out[o++] = 90; // Z
    } else {
      o += copy(input, i, tsEnd, out, o);
      if (sign === PLUS || sign === MINUS) o += copy(OFFSET_MINUTES, 0, 3, out, o);
    }
    if (format !== 'csv-local' && out[tsOut + 10] === SPACE) out[tsOut + 10] = 84; // T
    if (format === 'json') out[o++] = QUOTE;
    // Numbers: copied; \N and the floats JSON lacks (NaN, ±Infinity) become null / an empty field.
    let f = tab;
    while (f < lineEnd) {
      const start = f + 1;
      let end = input.indexOf(TAB, start);
      if (end < 0 || end > lineEnd) end = lineEnd;
      out[o++] = COMMA;
      const c = input[start];
      const special = c === BACKSLASH || c === 78 || c === 73 || (c === MINUS && input[start + 1] === 73);
      if (!special) o += copy(input, start, end, out, o);
      else if (format === 'json') o += copy(NULL_JSON, 0, 4, out, o);
      f = end;
    }
    if (format === 'json')
      out[o++] = 93; // ]
    else out[o++] = NL;
    rows++;
    i = lineEnd + 1;
  }
  return { consumed: i, written: o, rows };
}

/** Whole COPY text output (≤ limit + 1 rows) → the JSON array body of at most `limit` rows. */
export function copyTextToJson(
  input: Buffer | string,
  limit: number,
  utc: boolean,
): { json: string; rows: number; more: boolean; lastTs: string | undefined } {
  const bytes = typeof input === 'string' ? BYTES(input) : input;
  const out = Buffer.allocUnsafe(bytes.length * 2 + 16);
  const r = rewriteCopyBytes(bytes, 'json', utc, limit, out, true);
  const more = r.consumed < bytes.length && bytes.indexOf(NL, r.consumed) >= 0;
  let lastTs: string | undefined;
  if (r.rows > 0) {
    const lastLineStart = bytes.lastIndexOf(NL, r.consumed - 2) + 1;
    const tab = bytes.indexOf(TAB, lastLineStart);
    lastTs = isoFromPg(
      bytes.toString('latin1', lastLineStart, tab < 0 || tab > r.consumed ? r.consumed - 1 : tab),
      utc,
    );
  }
  return { json: `[${out.toString('latin1', 0, r.written)}]`, rows: r.rows, more, lastTs };
}

/**
 * A streaming rewriter to CSV: feed it chunks, it returns the complete lines so far. `local`
 * writes each time as the wall clock and its offset in hours (two columns) instead of ISO-8601.
 */
export function csvLineRewriter(
  utc: boolean,
  local = false,
): { push(chunk: Buffer | string): Buffer; end(): Buffer } {
  let carry: Buffer = Buffer.alloc(0);
  const run = (input: Buffer, final: boolean) => {
    const bytes =
      final && input.length > 0 && input[input.length - 1] !== NL
        ? Buffer.concat([input, Buffer.from([NL])])
        : input;
    const out = Buffer.allocUnsafe(bytes.length * 2 + 16);
    const r = rewriteCopyBytes(bytes, local ? 'csv-local' : 'csv', utc, Number.MAX_SAFE_INTEGER, out, true);
    carry = bytes.subarray(r.consumed);
    return out.subarray(0, r.written);
  };
  return {
    push(chunk) {
      const bytes = typeof chunk === 'string' ? BYTES(chunk) : chunk;
      return run(carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes, false);
    },
    end() {
      const rest = carry;
      carry = Buffer.alloc(0);
      return run(rest, true);
    },
  };
}
