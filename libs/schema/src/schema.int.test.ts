import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb } from '@ep/db';
import type { TestDatabase } from '@ep/testkit';
import { sql, type Kysely } from 'kysely';
import { migrateToLatest, migrations, UPLOAD_STATUSES, type Database } from './index.js';
import { createMigratedTestDatabase } from './testing.js';

// Every column of every table in `Database`. The mapped type makes the compiler reject a missing
// or an extra name, so this list is the interface; the test compares it with what the
// migrations created, catching drift between the two.
const declared: { [T in keyof Database]: { [C in keyof Database[T]]-?: true } } = {
  sites: { id: true, key: true, name: true, timezone: true, created_at: true },
  points: {
    id: true,
    site_id: true,
    source: true,
    node: true,
    device: true,
    parameter: true,
    name: true,
    unit: true,
    kind: true,
    states: true,
    description: true,
    interval_seconds: true,
    display_name: true,
    edited: true,
    meta: true,
    first_ts: true,
    last_ts: true,
    last_value: true,
    last_quality: true,
    created_at: true,
    updated_at: true,
  },
  point_edits: { id: true, point_id: true, field: true, old: true, new: true, by: true, at: true },
  measurements: { point_id: true, ts: true, value: true, quality: true },
  measurements_hourly: {
    point_id: true,
    bucket: true,
    min: true,
    max: true,
    sum: true,
    count: true,
    value_count: true,
    good_count: true,
    first_ts: true,
    first_value: true,
    last_ts: true,
    last_value: true,
  },
  measurements_daily: {
    point_id: true,
    day: true,
    bucket: true,
    bucket_end: true,
    min: true,
    max: true,
    sum: true,
    count: true,
    value_count: true,
    good_count: true,
    first_ts: true,
    first_value: true,
    last_ts: true,
    last_value: true,
  },
  batches: {
    batch_id: true,
    source: true,
    site_id: true,
    upload_id: true,
    points: true,
    samples: true,
    inserted: true,
    revised: true,
    unchanged: true,
    stored_at: true,
  },
  uploads: {
    id: true,
    kind: true,
    format: true,
    filename: true,
    sha256: true,
    size: true,
    site_id: true,
    uploader: true,
    received_at: true,
    updated_at: true,
    status: true,
    points: true,
    samples: true,
    samples_stored: true,
    batches: true,
    batches_stored: true,
    rejected: true,
    errors: true,
    raw: true,
  },
  teststands: {
    stand: true,
    module: true,
    power_code: true,
    status_code: true,
    updated_at: true,
    last_seen: true,
  },
  teststand_messages: {
    id: true,
    event_id: true,
    delivery_key: true,
    redelivered: true,
    stand: true,
    module: true,
    direction: true,
    topic: true,
    kind: true,
    msg_type: true,
    sent_by: true,
    protocol_version: true,
    status_code: true,
    commands: true,
    parameters: true,
    data: true,
    raw: true,
    valid: true,
    errors: true,
    received_at: true,
    stored_at: true,
  },
  teststand_commands: {
    id: true,
    stand: true,
    module: true,
    topic: true,
    commands: true,
    parameters: true,
    requested_by: true,
    requested_at: true,
    outcome: true,
    sent_at: true,
    error: true,
  },
  api_keys: {
    id: true,
    name: true,
    prefix: true,
    hash: true,
    scopes: true,
    site_id: true,
    created_at: true,
    revoked_at: true,
    last_used_at: true,
  },
  poll_state: { site_id: true, source: true, device: true, cursor: true, updated_at: true },
  rejected_messages: {
    id: true,
    consumer: true,
    subject: true,
    stream_seq: true,
    error: true,
    data: true,
    received_at: true,
  },
  gateways: {
    id: true,
    name: true,
    site_id: true,
    vendor: true,
    base_url: true,
    interval_seconds: true,
    backfill_days: true,
    created_at: true,
  },
  gateway_status: {
    gateway_id: true,
    owner: true,
    last_poll_at: true,
    last_success_at: true,
    last_data_at: true,
    last_error: true,
    last_error_kind: true,
    last_error_at: true,
    backfill: true,
    updated_at: true,
  },
  setpoint_events: {
    id: true,
    event_id: true,
    site_id: true,
    source: true,
    node: true,
    device: true,
    parameter: true,
    ts: true,
    from_value: true,
    to_value: true,
    origin: true,
    created_at: true,
  },
  setpoint_writes: {
    id: true,
    point_id: true,
    gateway_id: true,
    requested_by: true,
    value: true,
    requested_at: true,
    outcome: true,
    detail: true,
    answered_at: true,
  },
};

describe('@ep/schema against a migrated database', () => {
  let testDb: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    testDb = await createMigratedTestDatabase('schema');
    db = createDb<Database>({ url: testDb.url, max: 2 });
  });
  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it('declares exactly the tables and columns the migrations create', async () => {
    const { rows } = await sql<{ table: string; column: string }>`
      SELECT c.table_name AS table, c.column_name AS column
      FROM information_schema.columns c
      JOIN pg_class t ON t.relname = c.table_name AND t.relnamespace = 'public'::regnamespace
      WHERE c.table_schema = 'public' AND NOT t.relispartition
        AND c.table_name NOT LIKE 'kysely_migration%'`.execute(db);
    const actual: Record<string, string[]> = {};
    for (const r of rows) (actual[r.table] ??= []).push(r.column);
    const sorted = (o: Record<string, string[]>) =>
      Object.fromEntries(
        Object.entries(o)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([t, cs]) => [t, [...cs].sort()]),
      );
    const expected = Object.fromEntries(Object.entries(declared).map(([t, cs]) => [t, Object.keys(cs)]));
    expect(sorted(actual)).toEqual(sorted(expected));
  });

  it('stores every upload status and reads it back as declared', async () => {
    const { id: siteId } = await db
      .insertInto('sites')
      .values({ key: 'carleton', name: 'Carleton', timezone: 'America/Chicago' })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const status of UPLOAD_STATUSES) {
      await db
        .insertInto('uploads')
        .values({
          id: `u-${status}`,
          kind: 'siemens',
          sha256: status,
          size: 1,
          site_id: siteId,
          status,
          raw: Buffer.from('x'),
        })
        .execute();
    }
    const rows = await db
      .selectFrom('uploads')
      .select(['status', 'errors', 'received_at'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.status).sort()).toEqual([...UPLOAD_STATUSES].sort());
    expect(rows[0]?.errors).toEqual([]);
    expect(rows[0]?.received_at).toBeInstanceOf(Date);
  });

  it('applies nothing when migrated again', async () => {
    expect(await migrateToLatest(db)).toEqual({
      applied: [],
      alreadyApplied: Object.keys(migrations).length,
    });
  });

  it('settles a published upload as stored once every batch is stored, and nothing else', async () => {
    const settled = async (status: string, stored: number, batches: number) =>
      (
        await sql<{ s: string }>`SELECT upload_status_settled(${status}, ${stored}, ${batches}) AS s`.execute(
          db,
        )
      ).rows[0]?.s;
    expect(await settled('published', 3, 3)).toBe('stored');
    expect(await settled('published', 4, 3)).toBe('stored');
    expect(await settled('published', 2, 3)).toBe('published');
    expect(await settled('publishing', 3, 3)).toBe('publishing');
    expect(await settled('failed', 3, 3)).toBe('failed');
  });
});
