import { randomUUID } from 'node:crypto';
import type { Logger } from '@ep/logger';
import type { Kysely } from 'kysely';
import type { IngestTables } from '../db/tables.js';
import {
  findUpload,
  findUploadBySha,
  insertUpload,
  markPublished,
  reopenRefused,
  setParsed,
  setStatus,
  updateRefusal,
  type UploadRow,
} from '../db/uploads.repo.js';
import type { FileShape } from '../domain/ingest.js';
import { FORMAT_DESCRIPTIONS } from '../domain/model.js';
import { holdsSamples, onRepost } from '../domain/upload-status.js';
import { checkFile } from './check-file.js';
import type { FilePasses, IngestResult, UploadIngester, UploadRequest } from './ports.js';
import { recordRefused, refused } from './refusals.js';
import { toReport, uploadHref } from './report.js';

export interface IngestDeps {
  db: Kysely<IngestTables>;
  logger: Logger;
  passes: FilePasses;
  /** UPLOAD_STALE_SECONDS: when an upload left in parsing/publishing may be taken over. */
  staleSeconds: number;
}

const duplicate = (row: UploadRow): IngestResult => ({
  report: { ...toReport(row), duplicate: true },
  created: false,
});

/**
 * Ingesting an upload: de-duplication by (site, endpoint, sha256), format detection (once), the
 * upload record with the raw bytes, then the two passes over the file, moving the record through
 * received → parsing → publishing → published.
 */
export function createUploadIngester(deps: IngestDeps): UploadIngester {
  const { db, logger } = deps;

  async function ingest(request: UploadRequest): Promise<IngestResult> {
    const { kind, site, file } = request;
    const existing = await findUploadBySha(db, site.id, kind, file.sha256);
    if (!existing) return ingestNew(request);
    switch (onRepost({ ...existing, updatedAt: existing.updated_at }, new Date(), deps.staleSeconds)) {
      case 'recheck':
        return recheck(request, existing);
      case 'duplicate':
        if (existing.status === 'failed') {
          throw refused(422, 'this file was uploaded before and had no usable data', {
            issues: toReport(existing).errors,
            uploadId: existing.id,
          });
        }
        return duplicate(existing);
      case 'busy':
        throw refused(
          409,
          `the same file is being ingested right now as upload ${existing.id}; see ${uploadHref(existing.id)}`,
          { uploadId: existing.id },
        );
      case 'resume': {
        // Its process died (or NATS failed) half-way: take it over. Batches published before
        // have the same msgIDs and the store's writes are upserts, so nothing is counted twice.
        logger.warn({ uploadId: existing.id, status: existing.status }, 'resuming an unfinished upload');
        const checked = await checkFile(file, kind);
        if ('why' in checked) throw new Error(`upload ${existing.id} is on record but no longer recognised`);
        return ingestRecorded(request, existing.id, checked.shape);
      }
    }
  }

  async function ingestNew(request: UploadRequest): Promise<IngestResult> {
    const { kind, site, file } = request;
    const checked = await checkFile(file, kind);
    if ('why' in checked) {
      throw refused(checked.status, checked.why, {
        uploadId: await recordRefused(deps, request, checked.why),
      });
    }
    const uploadId = `u_${randomUUID()}`;
    const created = await insertUpload(
      db,
      {
        id: uploadId,
        kind,
        format: checked.shape.format,
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
      return duplicate((await findUploadBySha(db, site.id, kind, file.sha256))!);
    }
    return ingestRecorded(request, uploadId, checked.shape);
  }

  /** A file refused whole before is checked again, as this version may take what an older one refused. */
  async function recheck(request: UploadRequest, existing: UploadRow): Promise<IngestResult> {
    const { kind, file, filename, uploader } = request;
    const checked = await checkFile(file, kind);
    if ('why' in checked) {
      await updateRefusal(db, existing.id, [{ line: 1, column: null, reason: checked.why }]).catch(
        (err: unknown) => logger.error({ err, uploadId: existing.id }, 'could not update a refused record'),
      );
      throw refused(checked.status, checked.why, { uploadId: existing.id });
    }
    const { format } = checked.shape;
    if (await reopenRefused(db, existing.id, { format, filename, uploader })) {
      logger.info({ uploadId: existing.id, format }, 'a file refused before is taken now');
      return ingestRecorded(request, existing.id, checked.shape);
    }
    // Another request took it first: answer as for any existing upload.
    return ingest(request);
  }

  /** Parses, counts and publishes a file whose upload record (raw bytes, format) is in place. */
  async function ingestRecorded(
    request: UploadRequest,
    uploadId: string,
    shape: FileShape,
  ): Promise<IngestResult> {
    const job = { uploadId, request, shape };
    const { format } = shape;
    await setStatus(db, uploadId, 'parsing');
    const counted = await deps.passes.count(job);
    const { summary, issues } = counted;
    // A trend file without one sample, or a metadata file without one point, is refused whole.
    const nothing = holdsSamples(format) ? summary.samples === 0 : summary.points === 0;
    await setParsed(db, uploadId, {
      format,
      points: summary.points,
      samples: summary.samples,
      batches: summary.batches,
      rejected: issues.count,
      errors: issues.kept,
      status: nothing ? 'failed' : 'publishing',
    });
    if (nothing) {
      throw refused(
        422,
        `no usable point or sample in the ${FORMAT_DESCRIPTIONS[format]}; see the listed problems`,
        { issues: issues.kept, uploadId },
      );
    }
    try {
      await deps.passes.publish(job, counted);
    } catch (err) {
      // Leave it re-postable at once: 'received' means "stored, not yet ingested".
      await setStatus(db, uploadId, 'received').catch(() => undefined);
      throw err;
    }
    await markPublished(db, uploadId);
    return { report: toReport((await findUpload(db, uploadId))!), created: true };
  }

  return { ingest };
}
