import type { Readable } from 'node:stream';
import { csvLine } from './csv.js';
import { localTime, OFFSET_HEADER, timeHeader, wallText, formatOffsetHours } from './local-time.js';
import { tableWorkbook } from './table-workbook.js';
import { formatInstant } from './time.js';

/** Buckets as a table for files: one row per bucket start, one cell per column. */
export interface BucketTable {
  /** Name of the time column: `ts` (series) or `start` (aggregates). */
  time: string;
  columns: string[];
  rows: { start: number; values: (number | null)[] }[];
}

/**
 * The table as CSV. In UTC the time is ISO-8601 ("…Z", for programs); in any other zone it is the
 * wall clock spreadsheets read, in a column named after the zone, then the UTC offset in hours
 * (domain/local-time.ts), so the repeated hour of a DST fall-back stays two distinct rows.
 */
export function bucketCsv(table: BucketTable, tz: string): string {
  if (tz === 'UTC') {
    let body = csvLine([table.time, ...table.columns]);
    for (const r of table.rows) body += csvLine([formatInstant(r.start, tz), ...r.values]);
    return body;
  }
  let body = csvLine([timeHeader(table.time, tz), OFFSET_HEADER, ...table.columns]);
  for (const r of table.rows) {
    const at = localTime(r.start, tz);
    body += csvLine([wallText(at.wall), formatOffsetHours(at.offset), ...r.values]);
  }
  return body;
}

/** Rows written between two yields to the event loop, so the file flows out while it is made. */
const BATCH = 2_000;

/** The table as a streamed xlsx: a date cell in the zone, its UTC offset, then the values. */
export function bucketXlsx(table: BucketTable, tz: string, sheet: string): Readable {
  const book = tableWorkbook(sheet, table.time, tz, table.columns);
  void (async () => {
    try {
      for (let i = 0; i < table.rows.length && !book.closed; i++) {
        const r = table.rows[i]!;
        book.addRow(localTime(r.start, tz), r.values);
        if (i % BATCH === BATCH - 1) {
          await new Promise((done) => setImmediate(done));
          await book.drained();
        }
      }
      await book.end();
    } catch (err) {
      book.stream.destroy(err as Error);
    }
  })();
  return book.stream;
}
