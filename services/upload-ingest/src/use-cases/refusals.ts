import { randomUUID } from 'node:crypto';
import { HttpError } from '@ep/http';
import type { Logger } from '@ep/logger';
import type { Kysely } from 'kysely';
import type { IngestTables } from '../db/tables.js';
import { findUploadBySha, insertUpload } from '../db/uploads.repo.js';
import type { ParseIssue } from '../domain/model.js';
import { refusedWhole } from '../domain/upload-status.js';
import type { UploadRequest } from './ports.js';

/**
 * The 4xx answer to a refused file: the reason, the upload it is on record as (so an operator
 * can find it), and each problem of the file as a detail with its line and column.
 */
export function refused(
  status: 409 | 415 | 422,
  why: string,
  options: { issues?: ParseIssue[]; uploadId?: string | undefined } = {},
): HttpError {
  const message = options.uploadId ? `${why} (upload ${options.uploadId})` : why;
  const details = options.issues?.map((i) => ({
    line: i.line,
    ...(i.column !== null ? { field: `column ${i.column}` } : {}),
    message: i.reason,
  }));
  return new HttpError(status, message, details && details.length > 0 ? details : undefined);
}

/**
 * Keeps a file refused whole (binary, empty, unknown or misplaced format) on record, as a failed
 * upload with the reason and the original bytes, so an operator can see what a sender posted.
 * Posting it again finds that record. Returns the upload's id, or undefined when it could not be
 * recorded: the refusal is the answer either way, and must not turn into a 500.
 */
export async function recordRefused(
  deps: { db: Kysely<IngestTables>; logger: Logger },
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
    return winner && refusedWhole(winner) ? winner.id : undefined;
  } catch (err) {
    deps.logger.error({ err, sha256: file.sha256 }, 'could not record a refused file');
    return undefined;
  }
}
