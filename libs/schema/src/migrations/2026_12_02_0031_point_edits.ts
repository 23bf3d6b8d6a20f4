import { sql, type Kysely } from 'kysely';

/**
 * People describe points (issue 13): a display name next to the source's name, a per-point list
 * of the fields a person set (`edited`, names as in point_edits.field), and the history of every
 * change with who and when. The store's point upsert keeps an edited field unless the batch marks
 * that field explicit (see measurement-store's points.repo.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE points
      ADD COLUMN display_name text,
      ADD COLUMN edited text[] NOT NULL DEFAULT '{}'`.execute(db);
  await sql`
    CREATE TABLE point_edits (
      id        bigserial PRIMARY KEY,
      point_id  integer NOT NULL REFERENCES points (id) ON DELETE CASCADE,
      field     text NOT NULL,
      old       jsonb,
      new       jsonb,
      by        text NOT NULL,
      at        timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX point_edits_point_idx ON point_edits (point_id, id)`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE point_edits`.execute(db);
  await sql`ALTER TABLE points DROP COLUMN display_name, DROP COLUMN edited`.execute(db);
}
