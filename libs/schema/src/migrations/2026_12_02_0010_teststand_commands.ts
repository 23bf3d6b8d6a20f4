import { sql, type Kysely } from 'kysely';

/**
 * Commands sent to test stands (POST /api/v1/teststands/{stand}/commands). query-api writes the
 * row, asks a teststand-handler over NATS to publish it and records whether the MQTT broker took
 * it. The stand's reply is not stored here: it is its next `status` message in
 * teststand_messages, found when the command is read.
 */
// Migrations take Kysely<any>: they must not depend on today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE teststand_commands (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      stand         text NOT NULL,
      module        text NOT NULL DEFAULT '',
      topic         text NOT NULL,
      commands      jsonb NOT NULL,
      parameters    jsonb NOT NULL DEFAULT '{}',
      -- The API key's name, so an operator can tell who started a stand.
      requested_by  text NOT NULL,
      requested_at  timestamptz NOT NULL DEFAULT now(),
      -- pending: asked the handler, no answer yet; sent: the broker acknowledged it (PUBACK);
      -- refused: the broker did not take it; failed: no handler answered.
      outcome       text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'sent', 'refused', 'failed')),
      sent_at       timestamptz,
      error         text
    );
    CREATE INDEX teststand_commands_stand_idx ON teststand_commands (stand, requested_at);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS teststand_commands`.execute(db);
}
