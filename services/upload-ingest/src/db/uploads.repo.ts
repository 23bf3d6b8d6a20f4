import { createReadStream } from 'node:fs';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ParseIssue } from '../domain/model.js';
import { UPLOAD_SUMMARY_COLUMNS, qualified, type UploadStatus } from '@ep/schema';
import type { IngestTables } from './tables.js';

export type UploadRow = Omit<Selectable<IngestTables['uploads']>, 'raw'> & { site: string };

/** An upload's columns without its raw bytes, and its site's key. */
const UPLOAD_COLUMNS = [...qualified('u', UPLOAD_SUMMARY_COLUMNS), 's.key as site'] as const;

export async function findSite(db: Kysely<IngestTables>, key: string) {
  return db.selectFrom('sites').select(['id', 'key', 'timezone']).where('key', '=', key).executeTakeFirst();
}

export async function findUpload(db: Kysely<IngestTables>, id: string): Promise<UploadRow | undefined> {
  return db
    .selectFrom('uploads as u')
    .innerJoin('sites as s', 's.id', 'u.site_id')
    .select(UPLOAD_COLUMNS)
    .where('u.id', '=', id)
    .executeTakeFirst();
}

export async function findUploadBySha(
  db: Kysely<IngestTables>,
  siteId: number,
  kind: string,
  sha256: string,
): Promise<UploadRow | undefined> {
  return db
    .selectFrom('uploads as u')
    .innerJoin('sites as s', 's.id', 'u.site_id')
    .select(UPLOAD_COLUMNS)
    .where('u.site_id', '=', siteId)
    .where('u.kind', '=', kind)
    .where('u.sha256', '=', sha256)
    .executeTakeFirst();
}

export interface NewUpload {
  id: string;
  kind: string;
  format: string | null;
  filename: string | null;
  sha256: string;
  size: number;
  siteId: number;
  uploader: string;
  status: UploadStatus;
  /** Why a file was refused whole (status failed at once); parse problems come later via setParsed. */
  errors?: ParseIssue[];
}

// The raw file goes in by slices appended in one transaction: one 100 MB parameter would be
// copied into pg's write buffer whole, doubling the service's memory for the length of the insert.
const RAW_SLICE_BYTES = 16 * 1024 * 1024;

/**
 * Inserts the upload with its raw bytes read from `path`, atomically: the row is visible only
 * with the whole file. Returns false when the same file (site, kind, sha256) is already there.
 */
export async function insertUpload(
  db: Kysely<IngestTables>,
  upload: NewUpload,
  path: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('uploads')
      .values({
        id: upload.id,
        kind: upload.kind,
        format: upload.format,
        filename: upload.filename,
        sha256: upload.sha256,
        size: upload.size,
        site_id: upload.siteId,
        uploader: upload.uploader,
        status: upload.status,
        ...(upload.errors ? { errors: JSON.stringify(upload.errors), rejected: upload.errors.length } : {}),
        raw: Buffer.alloc(0),
      })
      .onConflict((oc) => oc.columns(['site_id', 'kind', 'sha256']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    for await (const slice of createReadStream(path, { highWaterMark: RAW_SLICE_BYTES })) {
      await sql`UPDATE uploads SET raw = raw || ${slice as Buffer} WHERE id = ${upload.id}`.execute(trx);
    }
    return true;
  });
}

/**
 * Takes over the record of a file refused whole, now that its format is recognised (a newer
 * service version), for the request that sent it this time. False when another request took it
 * first.
 */
export async function reopenRefused(
  db: Kysely<IngestTables>,
  id: string,
  upload: { format: string; filename: string | null; uploader: string },
): Promise<boolean> {
  const result = await db
    .updateTable('uploads')
    .set({ ...upload, status: 'received', errors: '[]', rejected: 0, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .where('format', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A record of a file refused whole takes the reason of its latest refusal. */
export async function updateRefusal(
  db: Kysely<IngestTables>,
  id: string,
  errors: ParseIssue[],
): Promise<void> {
  await db
    .updateTable('uploads')
    .set({ errors: JSON.stringify(errors), rejected: errors.length, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .where('format', 'is', null)
    .execute();
}

export async function setStatus(db: Kysely<IngestTables>, id: string, status: UploadStatus): Promise<void> {
  await db
    .updateTable('uploads')
    .set({ status, updated_at: sql<string>`now()` as never })
    .where('id', '=', id)
    .execute();
}

export interface ParsedCounts {
  format: string | null;
  points: number;
  samples: number;
  batches: number;
  rejected: number;
  errors: ParseIssue[];
  status: 'publishing' | 'failed';
}

export async function setParsed(db: Kysely<IngestTables>, id: string, counts: ParsedCounts): Promise<void> {
  await db
    .updateTable('uploads')
    .set({
      format: counts.format,
      points: counts.points,
      samples: counts.samples,
      batches: counts.batches,
      rejected: counts.rejected,
      errors: JSON.stringify(counts.errors),
      status: counts.status,
      updated_at: sql<string>`now()` as never,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Marks every batch published. The store flips 'published' to 'stored' when the last batch
 * lands; if the store got there first (all batches stored while we still said 'publishing'),
 * this update does it instead — one rule for both, the schema's upload_status_settled.
 */
// Typed against the schema's union; inlined as SQL literals (constants, never input).
const PUBLISHED: UploadStatus = 'published';
const PUBLISHING: UploadStatus = 'publishing';

export async function markPublished(db: Kysely<IngestTables>, id: string): Promise<void> {
  await sql`UPDATE uploads SET status = upload_status_settled(${sql.lit(PUBLISHED)}, batches_stored, batches),
              updated_at = now()
            WHERE id = ${id} AND status = ${sql.lit(PUBLISHING)}`.execute(db);
}

/** Counts by format and status, for the metrics scrape. */
export async function countUploads(db: Kysely<IngestTables>) {
  return db
    .selectFrom('uploads')
    .select(['format', 'status', sql<number>`count(*)::int`.as('n')])
    .groupBy(['format', 'status'])
    .execute();
}
