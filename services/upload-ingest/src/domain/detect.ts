import { splitCsvLine, trimTrailingEmpty, type Delimiter } from './csv.js';
import type { TextEncoding } from './encoding.js';
import type { Line } from './lines.js';
import { parseTimestampField } from './local-time.js';
import { LONG_HEADER, POINT_LIST_HEADER, WIDE_TIME_HEADER } from './alc.js';
import type { Format } from './model.js';

/** How many leading lines detection may look at (ALC preambles are a few lines; Insight headers too). */
export const DETECT_LINES = 60;

/**
 * Recognises a file by its first lines, never by its name or content type (the legacy script
 * sends everything as `file`). Returns undefined when nothing matches.
 */
export function detectFormat(lines: Line[], delimiter: Delimiter = ','): Format | undefined {
  const rows = lines
    .map((l) => splitCsvLine(l.text, delimiter))
    .map((r) => trimTrailingEmpty(r.fields).map((f) => f.trim()))
    .filter((f) => f.length > 0);
  for (let i = 0; i < rows.length; i++) {
    const f = rows[i]!;
    const first = f[0]!;
    if (/^Key\s+Name:/i.test(first) || /^Point_\d+:$/.test(first) || first === '<>Date')
      return 'siemens-trend';
    if (first === 'Point System Name:') return 'siemens-point-definition';
    const lower = f.map((x) => x.toLowerCase());
    if (POINT_LIST_HEADER.every((h, k) => lower[k] === h)) return 'alc-point-list';
    if (LONG_HEADER.every((h, k) => lower[k] === h)) return 'alc-long';
    if (f.length >= 2 && WIDE_TIME_HEADER.test(first)) {
      const next = rows[i + 1];
      if (!next || !('error' in parseTimestampField(next[0]!))) return 'alc-wide';
    }
  }
  return undefined;
}

/**
 * The field separator of a file, from its first lines: tab when they hold more tabs than commas
 * (Excel's "Unicode text" export is tab-separated), comma otherwise.
 */
export function detectDelimiter(lines: Line[]): Delimiter {
  let commas = 0;
  let tabs = 0;
  for (const { text } of lines) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 44) commas++;
      else if (c === 9) tabs++;
    }
  }
  return tabs > commas ? '\t' : ',';
}

/**
 * True when the bytes cannot be text in `encoding`: NUL bytes in UTF-8, or mostly undecodable
 * or control characters.
 */
export function looksBinary(head: Uint8Array, encoding: TextEncoding = 'utf-8'): boolean {
  const sample = head.subarray(0, 8192);
  if (encoding === 'utf-8' && sample.includes(0)) return true;
  // A UTF-16 sample cut in the middle of a character leaves one U+FFFD at its end at most.
  const text = new TextDecoder(encoding).decode(sample);
  let bad = 0;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) bad++;
    else if (c < 32 && c !== 9 && c !== 10 && c !== 13) control++;
  }
  // A few stray bytes (a Latin-1 degree sign) are tolerated and reported per line later.
  return (bad + control) / Math.max(1, text.length) > 0.05;
}
