import type { SqlClient } from './session.js';

export interface UploadProgress {
  uploadId: string;
  batches: number;
  samples: number;
}

/**
 * Adds newly stored batches to their uploads' counters; an upload upload-ingest has marked
 * 'published' becomes 'stored' once every batch landed (the schema's upload_status_settled, the
 * rule upload-ingest applies too, so whichever happens last flips the status).
 */
export async function addUploadProgress(
  client: SqlClient,
  progress: readonly UploadProgress[],
): Promise<void> {
  if (progress.length === 0) return;
  const sorted = [...progress].sort((a, b) => (a.uploadId < b.uploadId ? -1 : 1));
  await client.query(
    `UPDATE uploads u SET
       samples_stored = u.samples_stored + x.samples,
       batches_stored = u.batches_stored + x.batches,
       status = upload_status_settled(u.status, u.batches_stored + x.batches, u.batches),
       updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS x(upload_id text, batches int, samples int)
     WHERE u.id = x.upload_id`,
    [JSON.stringify(sorted.map((p) => ({ upload_id: p.uploadId, batches: p.batches, samples: p.samples })))],
  );
}
