import { sql, type Kysely } from 'kysely';

/**
 * The one rule for an upload's last step, kept where both writers of `uploads.status` reach it:
 * a 'published' upload (upload-ingest has published every batch and set `batches`) becomes
 * 'stored' once the store has counted that many batches stored. upload-ingest applies it as it
 * marks an upload published, the store as it counts stored batches; whichever comes last flips
 * the status (the row lock orders the two updates). IMMUTABLE: a pure function of its arguments.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION upload_status_settled(status text, batches_stored int, batches int)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN status = 'published' AND batches_stored >= batches THEN 'stored' ELSE status END
    $$`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION upload_status_settled(text, int, int)`.execute(db);
}
