import type { Point } from '@ep/contracts';
import { parseAlcLong, parseAlcPointList, parseAlcWide } from './alc.js';
import { DETECT_LINES, detectFormat } from './detect.js';
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

export type Detection =
  | { ok: true; format: Format; lines: AsyncIterable<Line>; close(): Promise<void> }
  | { ok: false; empty: boolean; detected?: Format };

/**
 * Reads the first lines of a byte stream to recognise its format, then hands back a line stream
 * that replays them followed by the rest, so detection costs no second read.
 */
export async function detect(bytes: AsyncIterable<Uint8Array>, kind: UploadKind): Promise<Detection> {
  const it = splitLines(bytes)[Symbol.asyncIterator]();
  const head: Line[] = [];
  let format: Format | undefined;
  let done = false;
  while (head.length < DETECT_LINES) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    format = detectFormat(head);
    if (format) break;
  }
  if (!format) {
    await it.return?.(undefined);
    return { ok: false, empty: head.every((l) => l.text.trim() === '') };
  }
  if (!(FORMATS[kind] as readonly string[]).includes(format)) {
    await it.return?.(undefined);
    return { ok: false, empty: false, detected: format };
  }
  async function* replay(): AsyncGenerator<Line> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return {
    ok: true,
    format,
    lines: replay(),
    // For a caller that only wanted the format: ends the byte stream without reading on.
    close: async () => {
      await it.return?.(undefined);
    },
  };
}

export function parseLines(
  format: Format,
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  return PARSERS[format](lines, ctx);
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

/** Parses a whole file in memory-light form (batches are produced and dropped); for tests and pass one. */
export async function parseAll(
  bytes: AsyncIterable<Uint8Array>,
  kind: UploadKind,
  timeZone: string,
  options: BatchOptions,
  onBatch?: (batch: BatchBody) => void,
): Promise<{ detection: Detection; summary: ParseSummary; issues: IssueLog }> {
  const issues = new IssueLog();
  const summary = emptySummary();
  const detection = await detect(bytes, kind);
  if (detection.ok) {
    const events = parseLines(detection.format, detection.lines, { timeZone, issues });
    for await (const batch of toBatches(events, options, summary)) onBatch?.(batch);
  }
  return { detection, summary, issues };
}
