import { sql, type Kysely } from 'kysely';

/**
 * Test-stand events now reach measurement-store many to a NATS message, so JetStream's msgID can
 * no longer drop a message the MQTT broker re-sent after a handler crash: the store does, by the
 * message's delivery key (MQTT session, packet id, payload hash). Only a redelivered message
 * (DUP) is looked up, but the original it matches may be any inbound row, hence the index over
 * all of them; outbound and platform events have no key.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen against the schema of their day
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE teststand_messages ADD COLUMN delivery_key text`.execute(db);
  await sql`
    CREATE INDEX teststand_messages_delivery_key_idx ON teststand_messages (delivery_key)
      WHERE delivery_key IS NOT NULL`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX teststand_messages_delivery_key_idx`.execute(db);
  await sql`ALTER TABLE teststand_messages DROP COLUMN delivery_key`.execute(db);
}
