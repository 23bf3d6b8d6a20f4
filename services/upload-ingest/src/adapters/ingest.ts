import { createReadStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NatsNames, ReadingsBatchInput } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import { encodePayload, publish } from '@ep/nats';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import {
  findUpload,
  findUploadBySha,
  insertUpload,
  markPublished,
  reopenRefused,
  updateRefusal,
  setParsed,
  setStatus,
  type UploadRow,
} from '../db/uploads.repo.js';
import type { IngestTables } from '../db/tables.js';
import { detect, emptySummary, parseLines, toBatches, type ParseSummary } from '../domain/ingest.js';
import {
  FORMAT_DESCRIPTIONS,
  FORMATS,
  IssueLog,
  type Format,
  type ParseIssue,
  type UploadKind,
} from '../domain/model.js';
import { looksBinary } from '../domain/detect.js';
import type { IngestMetrics } from './metrics.js';
import type { SpooledFile } from './spool.js';

export interface IngestDeps {
  db: Kysely<IngestTables>;
  js: JetStreamClient;
  names: NatsNames;
  logger: Logger;
  metrics: IngestMetrics;
  samplesPerBatch: number;
  publishConcurrency: number;
  staleSeconds: number;
}

export interface SiteRef {
  id: number;
  key: string;
  timezone: string;
}

/** The answer to an upload, and what GET /uploads/{id} shows. */
export interface UploadReport {
  uploadId: string;
  format: string | null;
  site: string;
  filename: string | null;
  status: string;
  points: number;
  samples: number;
  samplesStored: number;
  rejected: number;
  errors: ParseIssue[];
  receivedAt: string;
  duplicate?: boolean;
}

/** Why a file was refused, with the HTTP status that says so. */
export class UploadRefused extends Error {
  constructor(
    readonly statusCode: 409 | 415 | 422,
    message: string,
    readonly issues: ParseIssue[] = [],
    readonly uploadId?: string,
  ) {
    super(message);
  }
}

export function toReport(row: UploadRow): UploadReport {
  return {
    uploadId: row.id,
    format: row.format,
    site: row.site,
    filename: row.filename,
    status: row.status,
    points: row.points,
    samples: row.samples,
    samplesStored: row.samples_stored,
    rejected: row.rejected,
    errors: (row.errors as ParseIssue[]) ?? [],
    receivedAt: row.received_at.toISOString(),
  };
}

function accepted(kind: UploadKind): string {
  return FORMATS[kind].map((f) => `${f}: ${FORMAT_DESCRIPTIONS[f]}`).join('; ');
}

const IN_PROGRESS = new Set(['received', 'parsing', 'publishing']);

/** One received file and who sent it where. */
export interface UploadRequest {
  kind: UploadKind;
  site: SiteRef;
  file: SpooledFile;
  filename: string | null;
  uploader: string;
  /** Trace headers every published batch carries (see nextHopTraceHeaders). */
  trace?: Record<string, string>;
}

/** Why a file is refused whole before any parsing, with its status; else its detected format. */
async function refusal(
  request: UploadRequest,
): Promise<{ status: 415 | 422; why: string } | { format: Format; close(): Promise<void> }> {
  const { kind, file } = request;
  if (looksBinary(file.head)) {
    return {
      status: 415,
      why: `the file is not CSV text (binary content); accepted at /upload/${kind}: ${accepted(kind)}`,
    };
  }
  const detection = await detect(createReadStream(file.path), kind);
  if (detection.ok) return detection;
  if (detection.empty) return { status: 422, why: 'the file holds no data (only blank lines)' };
  const why = detection.detected
    ? `the file is a ${FORMAT_DESCRIPTIONS[detection.detected]}, which /upload/${kind} does not take (send it to /upload/${detection.detected.split('-')[0]})`
    : 'the file format is not recognised';
  return { status: 422, why: `${why}; accepted at /upload/${kind}: ${accepted(kind)}` };
}

/** A record of a file refused whole: it holds the key (site, kind, sha256) but no format. */
const refusedBefore = (row: UploadRow) => row.status === 'failed' && row.format === null;

/**
 * Takes one received file through the whole ingestion: de-duplication, format detection, the
 * upload record (raw bytes kept), a first parse pass that validates and counts (so the answer
 * and every batch know the totals), and a second pass that publishes the batches to JetStream.
 * Both passes stream the spooled file: memory does not grow with the file.
 */
export async function ingestUpload(
  deps: IngestDeps,
  request: UploadRequest,
): Promise<{ report: UploadReport; created: boolean }> {
  const { db, logger } = deps;
  const { kind, site, file } = request;

  let existing = await findUploadBySha(db, site.id, kind, file.sha256);
  if (existing && refusedBefore(existing)) {
    // Checked again, as this version of the service may take what an older one refused.
    const checked = await refusal(request);
    if ('why' in checked) {
      await updateRefusal(db, existing.id, [{ line: 1, column: null, reason: checked.why }]).catch(
        (err: unknown) => logger.error({ err, uploadId: existing!.id }, 'could not update a refused record'),
      );
      throw new UploadRefused(checked.status, checked.why, [], existing.id);
    }
    await checked.close();
    const { filename, uploader } = request;
    if (await reopenRefused(db, existing.id, { format: checked.format, filename, uploader })) {
      logger.info({ uploadId: existing.id, format: checked.format }, 'a file refused before is taken now');
      return ingestRecorded(deps, request, existing.id);
    }
    // Another request took it first: answer as for any existing upload.
    existing = (await findUploadBySha(db, site.id, kind, file.sha256))!;
  }
  let uploadId: string;
  if (existing) {
    const stale = Date.now() - existing.updated_at.getTime() > deps.staleSeconds * 1000;
    if (!IN_PROGRESS.has(existing.status))
      return { report: { ...toReport(existing), duplicate: true }, created: false };
    if (existing.status !== 'received' && !stale) {
      throw new UploadRefused(
        409,
        `the same file is being ingested right now as upload ${existing.id}; see GET /uploads/${existing.id}`,
        [],
        existing.id,
      );
    }
    // Its process died (or NATS failed) half-way: take it over. Batches published before have
    // the same msgIDs and the store's writes are upserts, so nothing is counted twice.
    logger.warn({ uploadId: existing.id, status: existing.status }, 'resuming an unfinished upload');
    uploadId = existing.id;
  } else {
    const checked = await refusal(request);
    if ('why' in checked) {
      throw new UploadRefused(
        checked.status,
        checked.why,
        [],
        await recordRefused(deps, request, checked.why),
      );
    }
    // Detection read only the first lines; let go of the rest of the stream.
    await checked.close();
    uploadId = `u_${randomUUID()}`;
    const created = await insertUpload(
      db,
      {
        id: uploadId,
        kind,
        format: checked.format,
        filename: request.filename,
        sha256: file.sha256,
        size: file.size,
        siteId: site.id,
        uploader: request.uploader,
        status: 'received',
      },
      file.path,
    );
    if (!created) {
      // Another request stored the same file a moment ago.
      const winner = (await findUploadBySha(db, site.id, kind, file.sha256))!;
      return { report: { ...toReport(winner), duplicate: true }, created: false };
    }
  }
  return ingestRecorded(deps, request, uploadId);
}

/** Parses, counts and publishes a file whose upload record (raw bytes, format) is in place. */
async function ingestRecorded(
  deps: IngestDeps,
  request: UploadRequest,
  uploadId: string,
): Promise<{ report: UploadReport; created: boolean }> {
  const { db, logger } = deps;
  const { file } = request;
  await setStatus(db, uploadId, 'parsing');
  // Pass one: parse, validate and count without publishing, so that `batches` and each
  // message's `origin.chunks` are known before the first publish.
  const started = performance.now();
  const issues = new IssueLog();
  const summary = emptySummary();
  const format = await runPass(deps, request, issues, summary);
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.parseSeconds.inc(seconds);
  deps.metrics.parseBytes.inc(file.size);
  deps.metrics.parseSamples.inc(summary.samples);
  logger.info(
    {
      uploadId,
      format,
      samples: summary.samples,
      seconds,
      samplesPerSecond: Math.round(summary.samples / seconds),
    },
    'parsed',
  );

  // A trend file without one sample, or a metadata file without one point, is refused whole.
  const trend = format === 'siemens-trend' || format === 'alc-wide' || format === 'alc-long';
  const nothing = trend ? summary.samples === 0 : summary.points === 0;
  await setParsed(db, uploadId, {
    format,
    points: summary.points,
    samples: summary.samples,
    batches: summary.batches,
    rejected: issues.count,
    errors: issues.kept,
    status: nothing ? 'failed' : 'publishing',
  });
  deps.metrics.rejected.inc({ format }, issues.count);
  if (nothing) {
    throw new UploadRefused(
      422,
      `no usable point or sample in the ${FORMAT_DESCRIPTIONS[format]}; see the listed problems`,
      issues.kept,
      uploadId,
    );
  }

  try {
    await publishPass(deps, request, uploadId, format, summary);
  } catch (err) {
    // Leave it re-postable at once: 'received' means "stored, not yet ingested".
    await setStatus(db, uploadId, 'received').catch(() => undefined);
    throw err;
  }
  await markPublished(db, uploadId);
  deps.metrics.samples.inc({ format }, summary.samples);
  const row = (await findUpload(db, uploadId))!;
  return { report: toReport(row), created: true };
}

/**
 * Keeps a file refused whole (binary, empty, unknown or misplaced format) on record, as a failed
 * upload with the reason and the original bytes, so an operator can see what a sender posted.
 * Posting it again finds that record. Returns the upload's id, or undefined when it could not be
 * recorded: the refusal is the answer either way, and must not turn into a 500.
 */
async function recordRefused(
  deps: IngestDeps,
  request: UploadRequest,
  reason: string,
): Promise<string | undefined> {
  const { db } = deps;
  const { kind, site, file } = request;
  const id = `u_${randomUUID()}`;
  try {
    const created = await insertUpload(
      db,
      {
        id,
        kind,
        format: null,
        filename: request.filename,
        sha256: file.sha256,
        size: file.size,
        siteId: site.id,
        uploader: request.uploader,
        status: 'failed',
        errors: [{ line: 1, column: null, reason }],
      },
      file.path,
    );
    if (created) return id;
    // The same file refused a moment ago by another request.
    const winner = await findUploadBySha(db, site.id, kind, file.sha256);
    return winner && refusedBefore(winner) ? winner.id : undefined;
  } catch (err) {
    deps.logger.error({ err, sha256: file.sha256 }, 'could not record a refused file');
    return undefined;
  }
}

async function runPass(
  deps: IngestDeps,
  request: { kind: UploadKind; site: SiteRef; file: SpooledFile },
  issues: IssueLog,
  summary: ParseSummary,
): Promise<Format> {
  const detection = await detect(
    createReadStream(request.file.path, { highWaterMark: 256 * 1024 }),
    request.kind,
  );
  if (!detection.ok) throw new Error('format detection changed between passes');
  const events = parseLines(detection.format, detection.lines, { timeZone: request.site.timezone, issues });
  const options = { maxSamples: deps.samplesPerBatch, countOnly: true };
  for await (const batch of toBatches(events, options, summary)) void batch;
  return detection.format;
}

async function publishPass(
  deps: IngestDeps,
  request: UploadRequest,
  uploadId: string,
  format: Format,
  first: ParseSummary,
): Promise<void> {
  const { kind, site, file } = request;
  const subject = deps.names.subjects.readings(kind, site.key);
  const detection = await detect(createReadStream(file.path, { highWaterMark: 256 * 1024 }), kind);
  if (!detection.ok || detection.format !== format)
    throw new Error('format detection changed between passes');
  const summary = emptySummary();
  const events = parseLines(format, detection.lines, { timeZone: site.timezone, issues: new IssueLog(0) });
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  let chunk = 0;
  const producedAt = new Date().toISOString();
  for await (const body of toBatches(
    events,
    { maxSamples: deps.samplesPerBatch, finalPoints: first.finalPoints },
    summary,
  )) {
    const batchId = `${kind}:${file.sha256}:${chunk}`;
    const message: ReadingsBatchInput = {
      v: 1,
      batchId,
      source: kind,
      site: site.key,
      producedAt,
      origin: {
        uploadId,
        ...(request.filename ? { file: request.filename } : {}),
        chunk,
        chunks: first.batches,
      },
      points: body.points,
    };
    chunk += 1;
    // Encoded now, so that only the bytes wait for the PubAck: the object form (an array per
    // sample) becomes garbage at once instead of surviving into V8's old space.
    const payload = encodePayload(message);
    // A rejection is caught here at once: an unobserved one would be an unhandled rejection.
    const p: Promise<void> = publish(deps.js, subject, payload, {
      msgID: batchId,
      ...(request.trace ? { headers: request.trace } : {}),
    }).then(
      () => {
        inflight.delete(p);
      },
      (err: unknown) => {
        inflight.delete(p);
        failure ??= err;
      },
    );
    inflight.add(p);
    if (inflight.size >= deps.publishConcurrency) await Promise.race(inflight);
    if (failure) break;
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  if (chunk !== first.batches)
    throw new Error(`second pass made ${chunk} batches, the first ${first.batches}`);
}
