import { sql, type Kysely } from 'kysely';

/**
 * A stand's online flag is its latest liveness event (teststand-handler's `online` / `offline`
 * messages). Those are a handful among a stand's messages, so without this partial index the
 * stand list would scan a stand's whole burst history backwards to find the latest one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX teststand_messages_liveness_idx ON teststand_messages (stand, received_at DESC, id DESC)
      WHERE kind IN ('online', 'offline')`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX teststand_messages_liveness_idx`.execute(db);
}
