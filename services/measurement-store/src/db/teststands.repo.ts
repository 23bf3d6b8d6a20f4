import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { TeststandEvent } from '@ep/contracts';
import type { Database, TeststandsTable } from '@ep/schema';
import type { DeliverySeen } from '../domain/redelivery.js';
import type { StandChange } from '../domain/teststand.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Applies a message to its stand's state. last_seen only moves forward, so a message delivered
 * late does not make a stand look older than it is.
 */
export async function applyStandChange(db: Db, change: StandChange): Promise<Selectable<TeststandsTable>> {
  return db
    .insertInto('teststands')
    .values({
      stand: change.stand,
      module: change.module,
      power_code: change.powerCode ?? null,
      status_code: change.statusCode ?? null,
      last_seen: change.seenAt,
    })
    .onConflict((oc) =>
      oc.columns(['stand', 'module']).doUpdateSet({
        power_code:
          change.powerCode !== undefined ? change.powerCode : sql<number | null>`teststands.power_code`,
        status_code:
          change.statusCode !== undefined ? change.statusCode : sql<number | null>`teststands.status_code`,
        last_seen: sql<Date>`GREATEST(teststands.last_seen, excluded.last_seen)`,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findStand(
  db: Db,
  stand: string,
  module: string,
): Promise<Selectable<TeststandsTable> | undefined> {
  return db
    .selectFrom('teststands')
    .selectAll()
    .where('stand', '=', stand)
    .where('module', '=', module)
    .executeTakeFirst();
}

/**
 * Stores many test-stand messages in one statement; returns each event id's row id and whether
 * this call inserted it (false: stored before, a redelivery). Repeats within `events` count once.
 *
 * The events travel as one JSON parameter, taken apart by PostgreSQL (`json_to_recordset`): one
 * native JSON.stringify in this process, where an array per column cost a JSON.stringify per
 * parameters / data / errors field and node-postgres' escaping of every array element (a stand
 * burst writes thousands a second). Keys absent from an event are NULL.
 */
export async function insertTeststandMessages(
  db: Db,
  events: TeststandEvent[],
): Promise<Map<string, { id: number; inserted: boolean }>> {
  const result = new Map<string, { id: number; inserted: boolean }>();
  if (events.length === 0) return result;
  const { rows: inserted } = await sql<{ id: number; event_id: string }>`
    INSERT INTO teststand_messages (event_id, delivery_key, redelivered, stand, module, direction, topic, kind,
      msg_type, sent_by, protocol_version, status_code, commands, parameters, data, raw, valid, errors, received_at)
    SELECT "eventId", delivery->>'key', coalesce((delivery->>'redelivered')::boolean, false), stand, module, direction, topic, kind, "msgType", "sentBy",
      "protocolVersion", "statusCode", commands, parameters, data, raw, valid, errors, "receivedAt"
    FROM json_to_recordset(${JSON.stringify(events)}::json) AS m("eventId" text, delivery json, stand text,
      module text, direction text, topic text, kind text, "msgType" text, "sentBy" text,
      "protocolVersion" text, "statusCode" integer, commands jsonb, parameters jsonb, data jsonb,
      raw text, valid boolean, errors jsonb, "receivedAt" timestamptz)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING id, event_id`.execute(db);
  for (const row of inserted) result.set(row.event_id, { id: row.id, inserted: true });
  const missing = [...new Set(events.map((e) => e.eventId))].filter((id) => !result.has(id));
  if (missing.length > 0) {
    const existing = await db
      .selectFrom('teststand_messages')
      .select(['id', 'event_id'])
      .where('event_id', 'in', missing)
      .execute();
    for (const row of existing) result.set(row.event_id, { id: row.id, inserted: false });
  }
  return result;
}

/** The stored state of each of `keys` (stand, module) that has one. */
export async function findStands(
  db: Db,
  keys: { stand: string; module: string }[],
): Promise<Selectable<TeststandsTable>[]> {
  if (keys.length === 0) return [];
  return db
    .selectFrom('teststands')
    .selectAll()
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('stand', '=', k.stand), eb('module', '=', k.module)]))))
    .execute();
}

/**
 * The stored inbound messages received between `from` and `to` that the events in hand may
 * repeat or be repeated by (see domain/redelivery.ts): any row under the keys of the copies
 * (`resent`: events with DUP set), and the copies among the rows under the other keys (`first`).
 * Two look-ups, so that the thousands of first deliveries of a burst probe only the small index
 * of copies.
 */
export async function findByDeliveryKeys(
  db: Db,
  keys: { resent: string[]; first: string[] },
  from: Date,
  to: Date,
): Promise<DeliverySeen[]> {
  const query = (list: string[], copiesOnly: boolean) =>
    db
      .selectFrom('teststand_messages')
      .select(['event_id', 'delivery_key', 'received_at', 'redelivered'])
      .where('delivery_key', '=', sql<string>`ANY(${list}::text[])`)
      .$if(copiesOnly, (q) => q.where('redelivered', '=', true))
      .where('received_at', '>=', from)
      .where('received_at', '<=', to)
      .execute();
  const rows = [
    ...(keys.resent.length > 0 ? await query(keys.resent, false) : []),
    ...(keys.first.length > 0 ? await query(keys.first, true) : []),
  ];
  return rows.map((r) => ({
    eventId: r.event_id,
    key: r.delivery_key!,
    receivedAt: new Date(r.received_at).getTime(),
    redelivered: r.redelivered,
  }));
}

/**
 * Makes the caller's transaction the only one storing test-stand messages until it ends, across
 * replicas: the look-up of repeated deliveries and the insert must see each other's rows.
 */
export async function lockTeststandWrites(db: Db): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${TESTSTAND_WRITE_LOCK})`.execute(db);
}

// An advisory lock key of EP's own ('EPTS').
const TESTSTAND_WRITE_LOCK = 0x45505453;
