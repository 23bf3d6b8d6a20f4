import { sql, type Kysely } from 'kysely';

/**
 * Test-stand events now reach measurement-store many to a NATS message, so JetStream's msgID can
 * no longer drop a message the MQTT broker re-sent after a handler crash: the store does, by the
 * message's delivery key (MQTT session, packet id, payload hash) and whether it came re-sent
 * (DUP). A copy is looked up among all inbound rows (its first delivery may be any of them), a
 * first delivery among the copies only (its copy may have been stored first); outbound and
 * platform events have no key.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE teststand_messages ADD COLUMN delivery_key text,
      ADD COLUMN redelivered boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE INDEX teststand_messages_delivery_key_idx ON teststand_messages (delivery_key)
      WHERE delivery_key IS NOT NULL`.execute(db);
  // Every first delivery is looked up among the copies (a handful of rows), not among all rows.
  await sql`
    CREATE INDEX teststand_messages_redelivered_idx ON teststand_messages (delivery_key)
      WHERE redelivered`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX teststand_messages_redelivered_idx`.execute(db);
  await sql`DROP INDEX teststand_messages_delivery_key_idx`.execute(db);
  await sql`ALTER TABLE teststand_messages DROP COLUMN delivery_key, DROP COLUMN redelivered`.execute(db);
}
