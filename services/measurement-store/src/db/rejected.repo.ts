import type { Insertable, Kysely } from 'kysely';
import type { Database, RejectedMessagesTable } from '@ep/schema';

/** Keeps a message the store refused, for a person to look at (the stream only keeps it 7 days). */
export async function insertRejected(
  db: Kysely<Database>,
  row: Insertable<RejectedMessagesTable>,
): Promise<void> {
  await db.insertInto('rejected_messages').values(row).execute();
}
