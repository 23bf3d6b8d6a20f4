import type { Database, TeststandCommandOutcome } from '@ep/schema';
import { sql, type Kysely } from 'kysely';

type Db = Kysely<Database>;

export interface CommandRow {
  id: number;
  stand: string;
  module: string;
  topic: string;
  commands: string[];
  parameters: Record<string, unknown>;
  requested_by: string;
  requested_at: Date;
  outcome: TeststandCommandOutcome;
  sent_at: Date | null;
  error: string | null;
  reply_id: number | null;
  reply_status: number | null;
  reply_at: Date | null;
}

export async function insertCommand(
  db: Db,
  command: {
    stand: string;
    module: string;
    topic: string;
    commands: string[];
    parameters: Record<string, unknown>;
    requestedBy: string;
  },
): Promise<number> {
  const row = await db
    .insertInto('teststand_commands')
    .values({
      stand: command.stand,
      module: command.module,
      topic: command.topic,
      commands: JSON.stringify(command.commands),
      parameters: JSON.stringify(command.parameters),
      requested_by: command.requestedBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function settleCommand(
  db: Db,
  id: number,
  settled: { outcome: TeststandCommandOutcome; sentAt?: string; error?: string },
): Promise<void> {
  await db
    .updateTable('teststand_commands')
    .set({ outcome: settled.outcome, sent_at: settled.sentAt ?? null, error: settled.error ?? null })
    .where('id', '=', id)
    .execute();
}

/**
 * A command with its reply: the stand's first inbound `status` message on the command's module
 * received after the command was sent and within `replyWindowMs` (the protocol carries no
 * correlation id; the legacy interface read the next status the same way).
 */
export async function findCommand(
  db: Db,
  stand: string,
  id: number,
  replyWindowMs: number,
): Promise<CommandRow | undefined> {
  const { rows } = await sql<CommandRow>`
    SELECT c.id, c.stand, c.module, c.topic, c.commands, c.parameters, c.requested_by, c.requested_at,
           c.outcome, c.sent_at, c.error,
           r.id AS reply_id, r.status_code AS reply_status, r.received_at AS reply_at
    FROM teststand_commands c
    LEFT JOIN LATERAL (
      SELECT m.id, m.status_code, m.received_at
      FROM teststand_messages m
      WHERE m.stand = c.stand AND m.module = c.module AND m.kind = 'status' AND m.direction = 'inbound'
        AND c.sent_at IS NOT NULL
        AND m.received_at >= c.sent_at
        AND m.received_at < c.sent_at + make_interval(secs => ${replyWindowMs / 1000})
      ORDER BY m.received_at, m.id
      LIMIT 1
    ) r ON true
    WHERE c.stand = ${stand} AND c.id = ${id}`.execute(db);
  return rows[0];
}
