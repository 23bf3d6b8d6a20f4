import { Transform, type Readable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { copyTextToJson, csvLineRewriter } from '../domain/copy-text.js';
import { csvField } from '../domain/csv.js';
import { localTimeFromPg, OFFSET_HEADER, timeHeader } from '../domain/local-time.js';
import { tableWorkbook } from '../domain/table-workbook.js';

/** What pg offers to quote values into SQL text (COPY takes no bind parameters). */
export interface Escaper {
  escapeLiteral(s: string): string;
  escapeIdentifier(s: string): string;
}

/**
 * Streams `COPY (<query>) TO STDOUT` in text format, inside a read-only transaction whose time
 * zone is `tz` (so timestamps come out in it, DST offsets included) and date style ISO. Every
 * value in `query` must be quoted with pg's escapeLiteral/escapeIdentifier. The connection goes
 * back to the pool after the last byte, or is destroyed when the stream ends early (client
 * gone), which also ends the COPY on the server.
 */
export async function copyOut(pool: pg.Pool, query: string, tz: string): Promise<Readable> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SELECT set_config('timezone', $1, true), set_config('datestyle', 'ISO, MDY', true)`, [
      tz,
    ]);
  } catch (err) {
    client.release(err as Error);
    throw err;
  }
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    if (err) {
      client.release(err);
      return;
    }
    client.query('COMMIT').then(
      () => client.release(),
      (e: Error) => client.release(e),
    );
  };
  stream.on('end', () => release());
  stream.on('error', (err) => release(err));
  stream.on('close', () => release(new Error('COPY stream closed before its end')));
  return stream;
}

function samplesQuery(
  esc: Escaper,
  pointId: number,
  lower: { ms: number; inclusive: boolean },
  toMs: number,
  limit?: number,
): string {
  const lit = (ms: number) => `${esc.escapeLiteral(new Date(ms).toISOString())}::timestamptz`;
  return (
    `SELECT ts, value, quality FROM measurements WHERE point_id = ${Math.trunc(pointId)} ` +
    `AND ts ${lower.inclusive ? '>=' : '>'} ${lit(lower.ms)} AND ts < ${lit(toMs)} ORDER BY ts` +
    (limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`)
  );
}

/**
 * One page of raw samples after `afterMs` (exclusive) as the JSON array text of `[ts, value,
 * quality]` tuples, read with COPY: PostgreSQL formats every value in C and the API only rewrites
 * text (see domain/copy-text.ts), which is what keeps a one-page year of samples fast.
 */
export async function samplePageJson(
  pool: pg.Pool,
  esc: Escaper,
  pointId: number,
  range: { from: number; to: number },
  afterMs: number | undefined,
  limit: number,
  tz: string,
): Promise<{ json: string; rows: number; more: boolean; lastTs: string | undefined }> {
  const lower =
    afterMs === undefined ? { ms: range.from, inclusive: true } : { ms: afterMs, inclusive: false };
  const stream = await copyOut(pool, samplesQuery(esc, pointId, lower, range.to, limit + 1), tz);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return copyTextToJson(Buffer.concat(chunks), limit, tz === 'UTC');
}

/**
 * A CSV stream: `header` then every COPY row rewritten (time ISO-8601, or with `local` the wall
 * clock and offset columns; null as an empty field).
 */
function csvStream(source: Readable, header: string[], utc: boolean, local = false): Readable {
  const rewriter = csvLineRewriter(utc, local);
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, rewriter.push(chunk));
    },
    flush(done) {
      done(null, rewriter.end());
    },
  });
  out.push(header.map(csvField).join(',') + '\n');
  // An aborted download destroys `out`; the COPY underneath must stop and free its connection.
  out.on('close', () => source.destroy());
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}

/**
 * One point's raw samples in [from, to) as a CSV stream, no row cap: `ts,value,quality` in UTC
 * (ISO-8601 "…Z"); in any other zone `time (<tz>),UTC offset (h),value,quality` with the wall
 * clock spreadsheets read (domain/local-time.ts).
 */
export async function samplesCsv(
  pool: pg.Pool,
  esc: Escaper,
  pointId: number,
  range: { from: number; to: number },
  tz: string,
): Promise<Readable> {
  const source = await copyOut(
    pool,
    samplesQuery(esc, pointId, { ms: range.from, inclusive: true }, range.to),
    tz,
  );
  const local = tz !== 'UTC';
  const header = local
    ? [timeHeader('time', tz), OFFSET_HEADER, 'value', 'quality']
    : ['ts', 'value', 'quality'];
  return csvStream(source, header, !local, local);
}

/** A COPY number field as a cell: \N and the floats a cell cannot hold (NaN, ±Infinity) are empty. */
function numberCell(field: string | undefined): number | null {
  if (field === undefined || field === '\\N') return null;
  const n = Number(field);
  return Number.isFinite(n) ? n : null;
}

/**
 * One point's raw samples in [from, to) as a streamed xlsx (sheet "samples": local time as a
 * date, UTC offset, value, quality), no row cap. Rows are read from COPY chunk by chunk and
 * committed as they come; a download cut short stops the COPY.
 */
export async function samplesXlsx(
  pool: pg.Pool,
  esc: Escaper,
  pointId: number,
  range: { from: number; to: number },
  tz: string,
  valueHeader: string,
): Promise<Readable> {
  const source = await copyOut(
    pool,
    samplesQuery(esc, pointId, { ms: range.from, inclusive: true }, range.to),
    tz,
  );
  const book = tableWorkbook('samples', 'time', tz, [valueHeader, 'quality']);
  book.stream.on('close', () => source.destroy());
  const addLines = (text: string) => {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const fields = line.split('\t');
      book.addRow(localTimeFromPg(fields[0]!), [numberCell(fields[1]), numberCell(fields[2])]);
    }
  };
  void (async () => {
    let carry = '';
    try {
      for await (const chunk of source) {
        if (book.closed) return;
        const text = carry + (chunk as Buffer).toString('latin1');
        const end = text.lastIndexOf('\n') + 1;
        addLines(text.slice(0, end));
        carry = text.slice(end);
        // A slow download pauses the COPY here rather than piling the file up in memory.
        await book.drained();
      }
      addLines(carry);
      await book.end();
    } catch (err) {
      book.stream.destroy(err as Error);
    }
  })();
  return book.stream;
}

/**
 * The legacy device export: `timestamp` then one column per point of the device, one row per
 * timestamp at which any of them has a sample. Columns are named by parameter, or by the point's
 * full name when two points of the device share a parameter (same device name in two nodes).
 */
export async function deviceCsv(
  pool: pg.Pool,
  esc: Escaper,
  points: { id: number; parameter: string; name: string }[],
  tz: string,
): Promise<Readable> {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.parameter, (counts.get(p.parameter) ?? 0) + 1);
  const labels = points.map((p) => ((counts.get(p.parameter) ?? 0) > 1 ? p.name : p.parameter));
  const columns = points.map(
    (p, i) => `max(value) FILTER (WHERE point_id = ${Math.trunc(p.id)}) AS ${esc.escapeIdentifier(`c${i}`)}`,
  );
  const ids = points.map((p) => Math.trunc(p.id)).join(',');
  const query = `SELECT ts, ${columns.join(', ')} FROM measurements WHERE point_id IN (${ids}) GROUP BY ts ORDER BY ts`;
  return csvStream(await copyOut(pool, query, tz), ['timestamp', ...labels], tz === 'UTC');
}
