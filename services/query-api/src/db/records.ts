import {
  UPLOAD_SUMMARY_COLUMNS,
  qualified,
  type Database,
  type TeststandKind,
  type UploadStatus,
  type UploadsTable,
} from '@ep/schema';
import { sql, type Kysely, type Selectable } from 'kysely';

// Uploads and test stands: read-only views of what upload-ingest and the store recorded.

/** An upload as listed: its table row with the site's key in place of its id. */
export interface UploadRow extends Omit<Selectable<UploadsTable>, 'errors' | 'raw'> {
  site: string;
  /** received_at as PostgreSQL prints it (microseconds), for the keyset. */
  received_at_text: string;
  errors: unknown;
}

function uploadsQuery(db: Kysely<Database>) {
  // Never the raw bytes: they can be megabytes and are only for re-parsing.
  return db
    .selectFrom('uploads as u')
    .innerJoin('sites as s', 's.id', 'u.site_id')
    .select(qualified('u', UPLOAD_SUMMARY_COLUMNS))
    .select([
      's.key as site',
      // The keyset needs microseconds, which a JS Date drops.
      sql<string>`u.received_at::text`.as('received_at_text'),
    ]);
}

/**
 * Which uploads a caller may see: those of one site (a key bound to it) or all, and for a key that
 * may only upload, its own uploads (by the key name upload-ingest records as uploader) of the
 * kinds it may upload.
 */
export interface UploadVisibility {
  site: string | null;
  own?: { uploader: string; kinds: string[] };
}

function visibleTo<Q extends ReturnType<typeof uploadsQuery>>(q: Q, visible: UploadVisibility): Q {
  let out = q;
  if (visible.site !== null) out = out.where('s.key', '=', visible.site) as Q;
  if (visible.own)
    out = out.where('u.uploader', '=', visible.own.uploader).where('u.kind', 'in', visible.own.kinds) as Q;
  return out;
}

/** Newest first; the key is (received_at, id) so equal times still page without repeats. */
export async function listUploads(
  db: Kysely<Database>,
  filter: { site?: string; status?: UploadStatus; kind?: string },
  visible: UploadVisibility,
  after: { receivedAt: string; id: string } | undefined,
  limit: number,
): Promise<UploadRow[]> {
  let q = uploadsQuery(db)
    .orderBy('u.received_at', 'desc')
    .orderBy('u.id', 'desc')
    .limit(limit + 1);
  q = visibleTo(q, visible);
  if (filter.site !== undefined) q = q.where('s.key', '=', filter.site);
  if (filter.status !== undefined) q = q.where('u.status', '=', filter.status);
  if (filter.kind !== undefined) q = q.where('u.kind', '=', filter.kind);
  if (after)
    q = q.where(sql<boolean>`(u.received_at, u.id) < (${after.receivedAt}::timestamptz, ${after.id})`);
  return q.execute();
}

export async function findUpload(
  db: Kysely<Database>,
  id: string,
  visible: UploadVisibility,
): Promise<UploadRow | undefined> {
  return visibleTo(uploadsQuery(db).where('u.id', '=', id), visible).executeTakeFirst();
}

export type TeststandRow = Awaited<ReturnType<typeof listTeststands>>[number];

/**
 * Stands with their state and liveness. A stand's online flag is teststand-handler's latest
 * `online` / `offline` event for it (the handler alone applies EP_TESTSTAND_OFFLINE_AFTER_MS, so
 * the flag and the event history cannot disagree); null while the handler has published none.
 * Latest = newest received_at (an offline event carries the stand's last-seen time, so it never
 * sorts after the online event that follows it), then id for the one tie: a stand heard once,
 * whose online and offline events both carry that one message's time.
 */
export async function listTeststands(db: Kysely<Database>) {
  return db
    .selectFrom('teststands as t')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('teststand_messages as m')
          .select(['m.kind as liveness', 'm.stored_at as liveness_at'])
          .whereRef('m.stand', '=', 't.stand')
          // Literal, not parameters, so the planner matches the partial index's predicate.
          .where(sql<boolean>`m.kind IN ('online', 'offline')`)
          .orderBy('m.received_at', 'desc')
          .orderBy('m.id', 'desc')
          .limit(1)
          .as('l'),
      (join) => join.onTrue(),
    )
    .select([
      't.stand',
      't.module',
      't.power_code',
      't.status_code',
      't.updated_at',
      't.last_seen',
      'l.liveness',
      'l.liveness_at',
    ])
    .orderBy('t.stand')
    .orderBy('t.module')
    .execute();
}

export async function teststandExists(db: Kysely<Database>, stand: string): Promise<boolean> {
  const a = await db
    .selectFrom('teststands')
    .select('stand')
    .where('stand', '=', stand)
    .limit(1)
    .executeTakeFirst();
  if (a) return true;
  const b = await db
    .selectFrom('teststand_messages')
    .select('stand')
    .where('stand', '=', stand)
    .limit(1)
    .executeTakeFirst();
  return b !== undefined;
}

const messageColumns = [
  'id',
  'event_id',
  'stand',
  'module',
  'direction',
  'topic',
  'kind',
  'msg_type',
  'sent_by',
  'protocol_version',
  'status_code',
  'commands',
  'parameters',
  'data',
  'raw',
  'valid',
  'errors',
  'received_at',
] as const;

export type MessageRow = Awaited<ReturnType<typeof findMessage>> & {};

/**
 * Messages of one stand in received order, keyset (received_at, id): that order rides the
 * (stand, received_at) index, so a stand with millions of messages pages without a sort.
 */
export async function listMessages(
  db: Kysely<Database>,
  stand: string,
  filter: { type?: string; kind?: TeststandKind; from?: number; to?: number },
  after: { receivedAt: string; id: number } | undefined,
  limit: number,
) {
  let q = db
    .selectFrom('teststand_messages')
    .select([...messageColumns, sql<string>`received_at::text`.as('received_at_text')])
    .where('stand', '=', stand)
    .orderBy('received_at')
    .orderBy('id')
    .limit(limit + 1);
  if (after) q = q.where(sql<boolean>`(received_at, id) > (${after.receivedAt}::timestamptz, ${after.id})`);
  if (filter.type !== undefined) q = q.where('msg_type', '=', filter.type);
  if (filter.kind !== undefined) q = q.where('kind', '=', filter.kind);
  if (filter.from !== undefined) q = q.where('received_at', '>=', new Date(filter.from));
  if (filter.to !== undefined) q = q.where('received_at', '<', new Date(filter.to));
  return q.execute();
}

export async function findMessage(db: Kysely<Database>, stand: string, id: number) {
  return db
    .selectFrom('teststand_messages')
    .select(messageColumns)
    .where('stand', '=', stand)
    .where('id', '=', id)
    .executeTakeFirst();
}
