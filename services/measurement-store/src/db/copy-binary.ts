import type { HourAggregate, SampleRow } from '../domain/readings.js';

/**
 * PostgreSQL's binary COPY format for sample rows (https://www.postgresql.org/docs/current/sql-copy.html):
 * a signature header, then per row a field count and length-prefixed big-endian values, then -1.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** timestamptz is microseconds since 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;
export const ROWS_PER_CHUNK = 2_048;
// Field count (2) + [batch 4+4] + point 4+4 + ts 4+8 + value 4+8 + quality 4+2.
const MAX_ROW_BYTES = 2 + 8 + 8 + 12 + 12 + 6;

export function binaryCopyHeader(): Buffer {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0);
  // Flags 0 (no OIDs), header extension length 0.
  return header;
}

export function binaryCopyTrailer(): Buffer {
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  return trailer;
}

/** Rows [from, to) as COPY tuples: ([b int4,] point_id int4, ts timestamptz, value float8, quality int2). */
export function encodeSampleRows(
  rows: readonly SampleRow[],
  from: number,
  to: number,
  withBatch: boolean,
): Buffer {
  const buf = Buffer.allocUnsafe((to - from) * MAX_ROW_BYTES);
  let o = 0;
  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    o = buf.writeInt16BE(withBatch ? 5 : 4, o);
    if (withBatch) o = writeInt(buf, r.batch, o);
    o = writeInt(buf, r.pointId, o);
    o = writeTimestamp(buf, r.ms, o);
    o = writeDouble(buf, r.value, o);
    o = buf.writeInt32BE(2, o);
    o = buf.writeInt16BE(r.quality, o);
  }
  return buf.subarray(0, o);
}

// Field count + point 8 + bucket 12 + min/max/sum 3×12 + counts 3×8 + first 12+12 + last 12+12.
const MAX_HOUR_BYTES = 2 + 8 + 12 + 36 + 24 + 24 + 24;

function writeTimestamp(buf: Buffer, ms: number, o: number): number {
  // Whole milliseconds × 1000 stay far inside 2^53, so the split into two words is exact.
  const micros = (ms - PG_EPOCH_MS) * 1000;
  const high = Math.floor(micros / TWO_32);
  o = buf.writeInt32BE(8, o);
  o = buf.writeInt32BE(high, o);
  return buf.writeUInt32BE(micros - high * TWO_32, o);
}

function writeDouble(buf: Buffer, value: number | null, o: number): number {
  if (value === null) return buf.writeInt32BE(-1, o);
  o = buf.writeInt32BE(8, o);
  return buf.writeDoubleBE(value, o);
}

function writeInt(buf: Buffer, value: number, o: number): number {
  o = buf.writeInt32BE(4, o);
  return buf.writeInt32BE(value, o);
}

/** Hourly aggregates [from, to) as COPY tuples in the column order of store_hours. */
export function encodeHourRows(rows: readonly HourAggregate[], from: number, to: number): Buffer {
  const buf = Buffer.allocUnsafe((to - from) * MAX_HOUR_BYTES);
  let o = 0;
  for (let i = from; i < to; i++) {
    const a = rows[i]!;
    o = buf.writeInt16BE(12, o);
    o = writeInt(buf, a.pointId, o);
    o = writeTimestamp(buf, a.hourMs, o);
    o = writeDouble(buf, a.min, o);
    o = writeDouble(buf, a.max, o);
    o = writeDouble(buf, a.sum, o);
    o = writeInt(buf, a.count, o);
    o = writeInt(buf, a.valueCount, o);
    o = writeInt(buf, a.goodCount, o);
    o = writeTimestamp(buf, a.firstMs, o);
    o = writeDouble(buf, a.firstValue, o);
    o = writeTimestamp(buf, a.lastMs, o);
    o = writeDouble(buf, a.lastValue, o);
  }
  return buf.subarray(0, o);
}
