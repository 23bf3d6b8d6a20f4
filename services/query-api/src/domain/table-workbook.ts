import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { formatOffsetHours, OFFSET_HEADER, timeHeader, type LocalTime } from './local-time.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** How Excel shows the time column: a real date cell, to the second. */
const TIME_FORMAT = 'yyyy-mm-dd hh:mm:ss';

export interface TableWorkbook {
  /** The xlsx file as it is written: send it as the response body. */
  stream: Readable;
  /** One row: its local time (a date cell and the offset in hours), then one cell per column. */
  addRow(at: LocalTime, values: readonly (number | string | null)[]): void;
  /**
   * Resolves when the reader has caught up: call it between batches of rows, so a slow download
   * holds back the rows (and the COPY under them) instead of buffering the zip in memory.
   */
  drained(): Promise<void>;
  /** Writes the end of the sheet and of the file. */
  end(): Promise<void>;
  /** The client went away: nothing more is written. */
  readonly closed: boolean;
}

/**
 * A one-sheet xlsx of time rows, written with exceljs's streaming WorkbookWriter: each row is
 * committed to the zip as it comes, so a year of 5-minute samples is never held as a workbook.
 * Cells hold the wall clock of `tz` as a date (Excel dates have no zone; the header names it) and
 * the UTC offset as a number, as the local CSV does (domain/local-time.ts).
 */
export function tableWorkbook(
  sheet: string,
  timeLabel: string,
  tz: string,
  columns: readonly string[],
): TableWorkbook {
  const stream = new PassThrough();
  let closed = false;
  stream.on('close', () => (closed = true));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream,
    useStyles: true,
    useSharedStrings: false,
  });
  workbook.creator = 'EP';
  const ws = workbook.addWorksheet(sheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = [
    { header: timeHeader(timeLabel, tz), width: 21, style: { numFmt: TIME_FORMAT } },
    { header: OFFSET_HEADER, width: 14 },
    ...columns.map((header) => ({ header, width: Math.min(40, Math.max(10, header.length + 2)) })),
  ];
  ws.getRow(1).font = { bold: true };
  return {
    stream,
    get closed() {
      return closed;
    },
    addRow(at, values) {
      if (closed) return;
      ws.addRow([new Date(at.wall), formatOffsetHours(at.offset), ...values]).commit();
    },
    async drained() {
      while (!closed && stream.writableNeedDrain) await once(stream, 'drain');
    },
    async end() {
      if (closed) return;
      ws.commit();
      await workbook.commit();
    },
  };
}
