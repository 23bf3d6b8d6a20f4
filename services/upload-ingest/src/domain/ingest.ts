import type { Point } from '@ep/contracts';
import { parseAlcLong, parseAlcPointList, parseAlcWide } from './alc.js';
import type { Delimiter } from './csv.js';
import { DETECT_LINES, detectDelimiter, detectFormat } from './detect.js';
import { encodingOf, type TextEncoding } from './encoding.js';
import { splitLines, type Line } from './lines.js';
import {
  FORMATS,
  IssueLog,
  type Format,
  type ParseContext,
  type ParseEvent,
  type PointInfo,
  type UploadKind,
} from './model.js';
import { parseSiemensPointDefinition } from './siemens-point-definition.js';
import { parseSiemensTrend } from './siemens-trend.js';

const PARSERS: Record<Format, (lines: AsyncIterable<Line>, ctx: ParseContext) => AsyncGenerator<ParseEvent>> =
  {
    'siemens-trend': parseSiemensTrend,
    'siemens-point-definition': parseSiemensPointDefinition,
    'alc-wide': parseAlcWide,
    'alc-long': parseAlcLong,
    'alc-point-list': parseAlcPointList,
  };

/** What detection found out about a file, once per upload; both passes parse by it. */
export interface FileShape {
  format: Format;
  encoding: TextEncoding;
  delimiter: Delimiter;
}

export type Detection = { ok: true; shape: FileShape } | { ok: false; empty: boolean; detected?: Format };

/**
 * Reads the first lines of a byte stream (at most DETECT_LINES) to recognise its format and
 * field separator, then lets go of the rest of the stream.
 */
export async function detect(
  bytes: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
  kind: UploadKind,
): Promise<Detection> {
  const head: Line[] = [];
  for await (const line of splitLines(bytes, encoding)) {
    head.push(line);
    if (head.length >= DETECT_LINES) break;
  }
  const delimiter = detectDelimiter(head);
  // Line by line as a reader would: the first lines that match decide (a header with no data
  // row after it yet counts, as in a file cut off after its header).
  let format: Format | undefined;
  for (let n = 1; n <= head.length && !format; n++) format = detectFormat(head.slice(0, n), delimiter);
  if (!format) return { ok: false, empty: head.every((l) => l.text.trim() === '') };
  if (!(FORMATS[kind] as readonly string[]).includes(format))
    return { ok: false, empty: false, detected: format };
  return { ok: true, shape: { format, encoding, delimiter } };
}

/** The parse events of a whole file whose shape detection found. */
export function parseFile(
  bytes: AsyncIterable<Uint8Array>,
  shape: FileShape,
  ctx: Omit<ParseContext, 'delimiter'>,
): AsyncGenerator<ParseEvent> {
  return PARSERS[shape.format](splitLines(bytes, shape.encoding), { ...ctx, delimiter: shape.delimiter });
}

/** What a whole pass over a file found. */
export interface ParseSummary {
  points: number;
  samples: number;
  batches: number;
  /** Each point as last declared (state words found late in the file included). */
  finalPoints: Map<number, PointInfo>;
}

export interface BatchOptions {
  /** Most samples per batch (SAMPLES_PER_BATCH). */
  maxSamples: number;
  /** Most metadata-only points per batch: keeps a message far below NATS' 1 MB payload limit. */
  maxMetaPoints?: number;
  /** Point metadata from a first pass; wins over what the parser knows so far. */
  finalPoints?: Map<number, PointInfo>;
  /**
   * Count samples and cut batches as usual but keep no samples (the batches' points come with
   * empty sample lists): a first pass needs only the totals, and skipping an array per sample
   * keeps it fast and its garbage small.
   */
  countOnly?: boolean;
}

/** Points and samples of one readings batch, ready to wrap in a ReadingsBatchV1. */
export interface BatchBody {
  points: Point[];
  samples: number;
}

/**
 * Groups parse events into batches of at most `maxSamples` samples; points that never had a
 * sample (metadata files, or a trend column that was empty throughout) follow in batches of
 * their own. Every batch repeats the metadata of the points it carries, so each is
 * self-contained for the store. Fills `summary` as it goes.
 */
export async function* toBatches(
  events: AsyncIterable<ParseEvent>,
  options: BatchOptions,
  summary: ParseSummary,
): AsyncGenerator<BatchBody> {
  const maxMeta = options.maxMetaPoints ?? 500;
  const current = new Map<number, PointInfo>();
  const withSamples = new Set<number>();
  let pending = new Map<number, Point['samples']>();
  let pendingCount = 0;
  const info = (id: number) => options.finalPoints?.get(id) ?? current.get(id)!;
  const flush = (): BatchBody => {
    const points: Point[] = [];
    for (const [id, samples] of pending) points.push({ ...info(id), samples });
    const body = { points, samples: pendingCount };
    pending = new Map();
    pendingCount = 0;
    summary.batches += 1;
    return body;
  };
  for await (const event of events) {
    if (event.type === 'point') {
      current.set(event.id, event.point);
      summary.finalPoints.set(event.id, event.point);
      continue;
    }
    const { ts, ids, values, qualities } = event;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      let list = pending.get(id);
      if (!list) {
        list = [];
        pending.set(id, list);
      }
      if (!options.countOnly) list.push([ts, values[i]!, qualities[i]!]);
      withSamples.add(id);
      pendingCount += 1;
      summary.samples += 1;
      if (pendingCount >= options.maxSamples) yield flush();
    }
  }
  if (pendingCount > 0) yield flush();
  summary.points = current.size;
  let meta: Point[] = [];
  for (const [id] of current) {
    if (withSamples.has(id)) continue;
    meta.push({ ...info(id), samples: [] });
    if (meta.length >= maxMeta) {
      summary.batches += 1;
      yield { points: meta, samples: 0 };
      meta = [];
    }
  }
  if (meta.length > 0) {
    summary.batches += 1;
    yield { points: meta, samples: 0 };
  }
}

export function emptySummary(): ParseSummary {
  return { points: 0, samples: 0, batches: 0, finalPoints: new Map() };
}

/**
 * Detects and parses a whole file in memory-light form (batches are produced and dropped), the
 * way an upload goes through; for tests. `open` gives the file's bytes from the start each time.
 */
export async function parseAll(
  open: () => AsyncIterable<Uint8Array>,
  kind: UploadKind,
  timeZone: string,
  options: BatchOptions,
  onBatch?: (batch: BatchBody) => void,
): Promise<{ detection: Detection; summary: ParseSummary; issues: IssueLog }> {
  const issues = new IssueLog();
  const summary = emptySummary();
  let head = new Uint8Array(0);
  for await (const chunk of open()) {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 2) break;
  }
  const detection = await detect(open(), encodingOf(head), kind);
  if (detection.ok) {
    const events = parseFile(open(), detection.shape, { timeZone, issues });
    for await (const batch of toBatches(events, options, summary)) onBatch?.(batch);
  }
  return { detection, summary, issues };
}
