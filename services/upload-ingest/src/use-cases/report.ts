import { formatUtc } from '@ep/contracts';
import type { UploadStatus } from '@ep/schema';
import type { UploadRow } from '../db/uploads.repo.js';
import type { ParseIssue } from '../domain/model.js';

/** Where an upload's record and the store's progress on it are read (query-api). */
export const uploadHref = (id: string) => `/api/v1/uploads/${id}`;

/** The answer to an upload. */
export interface UploadReport {
  uploadId: string;
  format: string | null;
  site: string;
  filename: string | null;
  status: UploadStatus;
  points: number;
  samples: number;
  samplesStored: number;
  rejected: number;
  errors: ParseIssue[];
  receivedAt: string;
  /** The upload as query-api serves it, with the store's progress. */
  href: string;
  duplicate?: boolean;
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
    receivedAt: formatUtc(row.received_at),
    href: uploadHref(row.id),
  };
}
