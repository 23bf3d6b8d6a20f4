import type { HeaderCarrier } from '@ep/telemetry';
import type { FileShape, ParseSummary } from '../domain/ingest.js';
import type { IssueLog, UploadKind } from '../domain/model.js';
import type { UploadReport } from './report.js';

/** A received file on local disk, hashed and measured, its first bytes kept for sniffing. */
export interface ReceivedFile {
  path: string;
  size: number;
  sha256: string;
  /** The first bytes (8 KiB at most). */
  head: Uint8Array;
}

export interface SiteRef {
  id: number;
  key: string;
  timezone: string;
}

/** One received file and who sent it where. */
export interface UploadRequest {
  kind: UploadKind;
  site: SiteRef;
  file: ReceivedFile;
  filename: string | null;
  uploader: string;
  /** The request's headers: its trace context goes on with every published batch. */
  headers?: HeaderCarrier;
}

export interface IngestResult {
  report: UploadReport;
  /** False when the file was on record already (the answer is its first upload's report). */
  created: boolean;
}

/**
 * "Ingest an upload": takes one received file to readings batches in JetStream. A file refused
 * (or busy) is thrown as an HttpError 4xx saying why; metrics and tracing wrap this interface.
 */
export interface UploadIngester {
  ingest(request: UploadRequest): Promise<IngestResult>;
}

/** A recorded upload whose shape is known: what both passes over the file need. */
export interface FileJob {
  uploadId: string;
  request: UploadRequest;
  shape: FileShape;
}

/** What pass one found: totals for the answer and every batch, and the problems. */
export interface Counted {
  summary: ParseSummary;
  issues: IssueLog;
}

/**
 * The two passes over a file. Pass one parses, validates and counts without publishing, so the
 * totals (`batches`, each message's `origin.chunks`) are known before the first publish; pass
 * two parses again and publishes. Both stream the file: memory does not grow with it.
 */
export interface FilePasses {
  count(job: FileJob): Promise<Counted>;
  publish(job: FileJob, counted: Counted): Promise<void>;
}
