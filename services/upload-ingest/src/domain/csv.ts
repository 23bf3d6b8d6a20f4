import { COMMA, QUOTE, SPACE, TAB } from './chars.js';

/** Field separators: comma, or tab (Excel's "Unicode text" export). */
export type Delimiter = ',' | '\t';

/** The fields of one CSV line, or why the line cannot be split. */
export interface SplitResult {
  fields: string[];
  /** Set when a quoted field never closes (a file cut off inside a field). */
  error?: { column: number; reason: string };
}

/**
 * Splits one CSV line. Quoted fields may hold commas and doubled quotes; white space between a
 * closing quote and the comma is ignored (WebCTRL writes `"" ,""`); unquoted fields are kept
 * verbatim (a leading space in ` -0.34` is the value's, callers trim). Trailing empty fields are
 * kept: callers decide whether they matter. Fields never span lines in the formats we read.
 * `delimiter` is the file's, found once by detection.
 */
export function splitCsvLine(line: string, delimiter: Delimiter = ','): SplitResult {
  const fields: string[] = [];
  const delim = delimiter === ',' ? COMMA : TAB;
  const n = line.length;
  let i = 0;
  for (;;) {
    if (i < n && line.charCodeAt(i) === QUOTE) {
      // Quoted field: find the closing quote, unescaping "" on the way.
      let value = '';
      let from = i + 1;
      let closed = false;
      let j = from;
      while (j < n) {
        const q = line.indexOf('"', j);
        if (q < 0) break;
        if (q + 1 < n && line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1);
          j = q + 2;
          from = j;
          continue;
        }
        value += line.slice(from, q);
        j = q + 1;
        closed = true;
        break;
      }
      if (!closed) {
        return {
          fields,
          error: { column: fields.length + 1, reason: 'quoted field is not closed (line cut off?)' },
        };
      }
      fields.push(value);
      // Padding after a closing quote is skipped; a tab only when it is not the delimiter.
      while (j < n && (line.charCodeAt(j) === SPACE || (line.charCodeAt(j) === TAB && delim !== TAB))) j++;
      if (j >= n) return { fields };
      if (line.charCodeAt(j) !== delim) {
        return {
          fields,
          error: {
            column: fields.length,
            reason: `unexpected text after a closing quote: ${JSON.stringify(line.slice(j, j + 20))}`,
          },
        };
      }
      i = j + 1;
      if (i >= n) {
        fields.push('');
        return { fields };
      }
      continue;
    }
    const comma = line.indexOf(delimiter, i);
    if (comma < 0) {
      fields.push(line.slice(i));
      return { fields };
    }
    fields.push(line.slice(i, comma));
    i = comma + 1;
    if (i >= n) {
      fields.push('');
      return { fields };
    }
  }
}

/** Drops empty fields at the end (Insight pads short lines with commas). */
export function trimTrailingEmpty(fields: string[]): string[] {
  let end = fields.length;
  while (end > 0 && fields[end - 1]!.trim() === '') end--;
  return end === fields.length ? fields : fields.slice(0, end);
}
