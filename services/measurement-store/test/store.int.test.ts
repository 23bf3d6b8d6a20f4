import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { StoredReadings, StoredTeststand, TeststandEventInput } from '@ep/contracts';
import { createLogger, silentLogger } from '@ep/logger';
import { waitFor } from '@ep/testkit';
import { sql } from 'kysely';
import { startMeasurementStore } from '../src/index.js';
import { batchOf, storeTestEnv, type StoreTestEnv } from './support.js';

jest.setTimeout(60_000);

describe('measurement-store (in process, real PostgreSQL and NATS)', () => {
  let env: StoreTestEnv;
  let store: { stop(): Promise<void> };

  const readingsEvents = async () =>
    (await env.storedEvents()).filter((e): e is StoredReadings => e.type === 'readings.stored');
  const eventOf = async (batchId: string) => {
    const found = (await readingsEvents()).filter((e) => e.batchId === batchId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const waitForEvent = (batchId: string) =>
    waitFor(async () => (await readingsEvents()).some((e) => e.batchId === batchId), {
      what: `stored event ${batchId}`,
    });

  beforeAll(async () => {
    env = await storeTestEnv('store');
    await env.addSite('carleton', 'America/Chicago');
    store = await startMeasurementStore({
      databaseUrl: env.testDb.url,
      natsUrl: env.natsUrl,
      prefix: env.prefix,
      logger: process.env['STORE_TEST_LOG']
        ? createLogger({ name: 'store', level: 'debug' })
        : silentLogger(),
      limits: { maxWaitMs: 20 },
    });
  });

  afterAll(async () => {
    await store?.stop();
    await env?.close();
  });

  it('stores a batch delivered twice once: one row per (point, ts), one stored event', async () => {
    const batch = batchOf('replay:1', 'carleton', [
      ['2026-01-05T06:00:00Z', 1.5, 0],
      ['2026-01-05T06:15:00Z', 2.5, 0],
      ['2026-01-05T06:30:00Z', 3.5, 0],
    ]);
    await env.publishBatch(batch);
    await waitForEvent('replay:1');
    // A second publish under another msgID gets past NATS de-duplication, as a re-upload would.
    await env.publishBatch(batch);
    await env.publishBatch(batchOf('replay:marker', 'carleton', [['2026-01-05T07:00:00Z', 9, 0]]));
    await waitForEvent('replay:marker');
    // The marker was published after the replay: the store has handled both messages now.
    await waitFor(
      async () =>
        (await env.jsm.consumers.info(env.names.streams.readings, env.names.consumers.storeReadings))
          .num_ack_pending === 0,
    );

    const { rows } = await sql<{ n: number; distinct: number }>`
      SELECT count(*)::int AS n, count(DISTINCT (point_id, ts))::int AS distinct FROM measurements
      WHERE ts BETWEEN '2026-01-05T06:00:00Z' AND '2026-01-05T06:30:00Z'`.execute(env.db);
    expect(rows[0]).toEqual({ n: 3, distinct: 3 });
    const event = await eventOf('replay:1');
    expect(event.counts).toEqual({ points: 1, samples: 3, inserted: 3, revised: 0, unchanged: 0 });
    expect(event.points[0]!.samples[0]).toEqual(['2026-01-05T06:00:00.000Z', 1.5, 0]);
    const hourly = await env.db
      .selectFrom('measurements_hourly')
      .selectAll()
      .where('bucket', '=', new Date('2026-01-05T06:00:00Z'))
      .executeTakeFirstOrThrow();
    expect(hourly).toMatchObject({
      count: 3,
      sum: 7.5,
      min: 1.5,
      max: 3.5,
      first_value: 1.5,
      last_value: 3.5,
    });
  });

  it('replaces changed values and reports how many were revised', async () => {
    await env.publishBatch(
      batchOf('revise:1', 'carleton', [
        ['2026-01-05T06:00:00Z', 1.5, 0], // same
        ['2026-01-05T06:15:00Z', 20, 0], // changed value
        ['2026-01-05T06:30:00Z', 3.5, 1], // changed quality
        ['2026-01-05T06:45:00Z', 4.5, 0], // new
      ]),
    );
    await waitForEvent('revise:1');
    const event = await eventOf('revise:1');
    expect(event.counts).toEqual({ points: 1, samples: 4, inserted: 1, revised: 2, unchanged: 1 });
    const { rows } = await sql<{ value: number; quality: number }>`
      SELECT value, quality FROM measurements WHERE ts = '2026-01-05T06:15:00Z'`.execute(env.db);
    expect(rows).toEqual([{ value: 20, quality: 0 }]);
    const hourly = await env.db
      .selectFrom('measurements_hourly')
      .selectAll()
      .where('bucket', '=', new Date('2026-01-05T06:00:00Z'))
      .executeTakeFirstOrThrow();
    expect(hourly).toMatchObject({ count: 4, sum: 29.5, max: 20, good_count: 3, last_value: 4.5 });
    const point = await env.db.selectFrom('points').selectAll().executeTakeFirstOrThrow();
    expect(point.last_ts).toEqual(new Date('2026-01-05T07:00:00Z'));
    expect(point.last_value).toBe(9);
  });

  it('keeps Data Loss as a null value of quality 2, counted as a sample but not a good one', async () => {
    await env.publishBatch(
      batchOf(
        'loss:1',
        'carleton',
        [
          ['2026-02-01T10:00:00Z', 5, 0],
          ['2026-02-01T10:15:00Z', null, 2],
          ['2026-02-01T10:30:00Z', 7, 0],
        ],
        { parameter: 'LOSS' },
      ),
    );
    await waitForEvent('loss:1');
    const { rows } = await sql<{ value: number | null; quality: number }>`
      SELECT m.value, m.quality FROM measurements m JOIN points p ON p.id = m.point_id
      WHERE p.parameter = 'LOSS' AND m.ts = '2026-02-01T10:15:00Z'`.execute(env.db);
    expect(rows).toEqual([{ value: null, quality: 2 }]);
    const hourly = await sql<{ count: number; value_count: number; good_count: number; sum: number }>`
      SELECT h.count, h.value_count, h.good_count, h.sum FROM measurements_hourly h JOIN points p ON p.id = h.point_id
      WHERE p.parameter = 'LOSS'`.execute(env.db);
    expect(hourly.rows).toEqual([{ count: 3, value_count: 2, good_count: 2, sum: 12 }]);
    const daily = await sql<{ count: number; good_count: number }>`
      SELECT d.count, d.good_count FROM measurements_daily d JOIN points p ON p.id = d.point_id
      WHERE p.parameter = 'LOSS'`.execute(env.db);
    expect(daily.rows).toEqual([{ count: 3, good_count: 2 }]);
  });

  it('stores a sample dated years before any partition, creating its partition', async () => {
    await env.publishBatch(
      batchOf('old:1', 'carleton', [['2009-06-15T12:00:00Z', 42, 0]], { parameter: 'OLD' }),
    );
    await waitForEvent('old:1');
    const { rows } = await sql<{ value: number }>`SELECT value FROM measurements_2009_06`.execute(env.db);
    expect(rows).toEqual([{ value: 42 }]);
  });

  it('updates metadata from a point without samples, leaving its samples alone', async () => {
    await env.publishBatch({
      ...batchOf('meta:1', 'carleton', []),
      points: [
        {
          node: 'RECCNTR',
          device: 'AH1',
          parameter: 'CCV',
          name: 'RECCNTR.AH1.CCV',
          unit: '%',
          states: { '0': 'OFF', '1': 'ON' },
          description: 'cooling valve',
        },
      ],
    });
    await waitForEvent('meta:1');
    const point = await env.db
      .selectFrom('points')
      .selectAll()
      .where('parameter', '=', 'CCV')
      .executeTakeFirstOrThrow();
    expect(point).toMatchObject({
      unit: '%',
      states: { '0': 'OFF', '1': 'ON' },
      description: 'cooling valve',
      last_value: 9,
    });
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM measurements WHERE point_id = ${point.id}`.execute(env.db);
    expect(rows[0]!.n).toBe(5);
    expect((await eventOf('meta:1')).points[0]).toMatchObject({ pointId: point.id, unit: '%', samples: [] });
  });

  it('refuses a batch for an unknown site, records why, and keeps storing the rest', async () => {
    await env.publishBatch(batchOf('nosite:1', 'nowhere', [['2026-01-06T00:00:00Z', 1, 0]]));
    await env.js.publish(
      env.names.subjects.readings('siemens', 'carleton'),
      JSON.stringify({ v: 1, nonsense: true }),
    );
    await env.publishBatch(batchOf('after:1', 'carleton', [['2026-01-06T00:00:00Z', 1, 0]]));
    await waitForEvent('after:1');
    const rejected = await waitFor(async () => {
      const rows = await env.db.selectFrom('rejected_messages').selectAll().orderBy('id').execute();
      return rows.length >= 2 ? rows : undefined;
    });
    const reasons = rejected.map((r) => r.error).join('\n');
    expect(reasons).toMatch(/unknown site "nowhere".*pnpm ep sites add nowhere --tz/);
    expect(reasons).toMatch(/invalid: .*batchId/s);
    expect(
      await env.db.selectFrom('batches').select('batch_id').where('batch_id', '=', 'nosite:1').execute(),
    ).toEqual([]);
  });

  it('counts an upload’s stored batches and marks it stored once all have landed', async () => {
    const siteId = (
      await env.db.selectFrom('sites').select('id').where('key', '=', 'carleton').executeTakeFirstOrThrow()
    ).id;
    await env.db
      .insertInto('uploads')
      .values({
        id: 'up-1',
        kind: 'siemens',
        sha256: 'x',
        size: 1,
        site_id: siteId,
        status: 'publishing',
        batches: 2,
        samples: 3,
        raw: Buffer.from(''),
      })
      .execute();
    await env.publishBatch(
      batchOf(
        'up-1:0',
        'carleton',
        [
          ['2026-03-01T00:00:00Z', 1, 0],
          ['2026-03-01T00:15:00Z', 2, 0],
        ],
        { parameter: 'UP' },
        { uploadId: 'up-1' },
      ),
    );
    await waitForEvent('up-1:0');
    // upload-ingest marks it published after its last publish (here, before the last batch lands).
    await env.db.updateTable('uploads').set({ status: 'published' }).where('id', '=', 'up-1').execute();
    await env.publishBatch(
      batchOf(
        'up-1:1',
        'carleton',
        [['2026-03-01T00:30:00Z', 3, 0]],
        { parameter: 'UP' },
        { uploadId: 'up-1' },
      ),
    );
    await env.publishBatch(
      batchOf(
        'up-1:1',
        'carleton',
        [['2026-03-01T00:30:00Z', 3, 0]],
        { parameter: 'UP' },
        { uploadId: 'up-1' },
      ),
    );
    await waitForEvent('up-1:1');
    await waitFor(
      async () =>
        (await env.jsm.consumers.info(env.names.streams.readings, env.names.consumers.storeReadings))
          .num_pending === 0,
    );
    const upload = await env.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', 'up-1')
      .executeTakeFirstOrThrow();
    expect(upload).toMatchObject({ samples_stored: 3, batches_stored: 2, status: 'stored' });
  });

  it('stores test-stand messages once, follows the stand state and publishes a stored event', async () => {
    const event = (id: string, statusCode: number, at: string): TeststandEventInput => ({
      v: 1,
      eventId: id,
      stand: 'rig1',
      module: 'demo',
      kind: 'status',
      direction: 'inbound',
      topic: 'rig1/demo/Inbound',
      receivedAt: at,
      msgType: 'status',
      statusCode,
      raw: JSON.stringify({ msgType: 'status', statusCode: String(statusCode) }),
      valid: true,
    });
    const publish = (e: TeststandEventInput, msgID: string) =>
      env.js.publish(env.names.subjects.teststand(e.stand, e.kind), JSON.stringify(e), { msgID });
    await publish(event('ev-1', 600, '2026-01-01T00:00:00Z'), 'a');
    await publish(event('ev-2', 200, '2026-01-01T00:00:05Z'), 'b');
    await publish(event('ev-2', 200, '2026-01-01T00:00:05Z'), 'c');
    const stored = await waitFor(async () => {
      const events = (await env.storedEvents()).filter(
        (e): e is StoredTeststand => e.type === 'teststand.stored',
      );
      return events.length >= 2 ? events : undefined;
    });
    await waitFor(
      async () =>
        (await env.jsm.consumers.info(env.names.streams.teststand, env.names.consumers.storeTeststand))
          .num_pending === 0,
    );
    expect(stored.map((e) => e.event.eventId)).toEqual(['ev-1', 'ev-2']);
    expect(stored[1]!.standState).toEqual({ powerCode: 600, statusCode: 200, ready: true });
    const rows = await env.db
      .selectFrom('teststand_messages')
      .select(['event_id', 'status_code', 'valid'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { event_id: 'ev-1', status_code: 600, valid: true },
      { event_id: 'ev-2', status_code: 200, valid: true },
    ]);
    const stand = await env.db.selectFrom('teststands').selectAll().executeTakeFirstOrThrow();
    expect(stand).toMatchObject({
      stand: 'rig1',
      module: 'demo',
      power_code: 600,
      status_code: 200,
      last_seen: new Date('2026-01-01T00:00:05Z'),
    });
  });

  it('stores a burst of test-stand messages over several batches in stream order, each once', async () => {
    // 1,200 status messages of one stand, pulled as several batches (500 at most): the batches'
    // writes are serialised while their stored events are published, so each stored event must
    // still carry the state right after its own message, and a repeat in a later batch stores nothing.
    const codes = [600, 200, 202, 610, 201];
    const events: TeststandEventInput[] = Array.from({ length: 1_200 }, (_, i) => ({
      v: 1,
      eventId: `burst-${i}`,
      stand: 'rig2',
      module: 'm',
      kind: 'status',
      direction: 'inbound',
      topic: 'rig2/m/Inbound',
      receivedAt: new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString(),
      msgType: 'status',
      statusCode: codes[i % codes.length]!,
      raw: '{}',
      valid: true,
    }));
    const subject = env.names.subjects.teststand('rig2', 'status');
    await Promise.all(events.map((e) => env.js.publish(subject, JSON.stringify(e), { msgID: e.eventId })));
    // burst-3 again under another msgID (past NATS de-duplication), after the first batch.
    await env.js.publish(subject, JSON.stringify(events[3]), { msgID: 'burst-3-again' });
    await env.waitForTeststandSettled('the burst stored');
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM teststand_messages WHERE stand = 'rig2'`.execute(env.db);
    expect(rows[0]!.n).toBe(1_200);
    const stored = (await env.storedEvents()).filter(
      (e): e is StoredTeststand => e.type === 'teststand.stored' && e.event.stand === 'rig2',
    );
    // The repeat's stored event has burst-3's msgID: the STORED stream keeps the first one only.
    expect(stored.map((e) => e.event.eventId)).toEqual(events.map((e) => e.eventId));
    let power: number | null = null;
    let status: number | null = null;
    events.forEach((e, i) => {
      if (e.statusCode! >= 600) power = e.statusCode!;
      else status = e.statusCode!;
      expect(stored[i]!.standState).toEqual({
        powerCode: power,
        statusCode: status,
        ready: power === 600 && status === 200,
      });
    });
  });
  it('stores teststand.events batches, a message the MQTT broker delivered twice (the copy with DUP) once, whichever comes first', async () => {
    // What teststand-handler sends: many events per message. Each inbound event carries its
    // delivery key; a redelivery (DUP) has the key of its first delivery and a later receipt time.
    const inbound = (n: number, key: string, redelivered: boolean, at: number): TeststandEventInput => ({
      v: 1,
      eventId: `${key}@${at}`,
      delivery: { key, redelivered },
      stand: 'rig3',
      module: 'm',
      kind: 'data',
      direction: 'inbound',
      topic: 'rig3/m/Inbound',
      receivedAt: new Date(Date.UTC(2026, 0, 3, 0, 0, at)).toISOString(),
      msgType: 'data',
      parameters: { n },
      raw: JSON.stringify({ n }),
      valid: true,
    });
    const batch = (events: TeststandEventInput[]) => ({ v: 1, type: 'teststand.events', events });
    const subject = env.names.subjects.teststandEvents;
    const first = [inbound(0, 'k0', false, 0), inbound(1, 'k1', false, 1), inbound(2, 'k2', false, 2)];
    await env.js.publish(subject, JSON.stringify(batch(first)), { msgID: 'batch-1' });
    // The handler crashed before its PUBACKs: the broker re-sends k1 and k2 (DUP), in a batch
    // with a new message k3; k3 also comes again within the same batch. k0 comes again without
    // DUP: a new message that happens to share a key (a recycled packet id), so it is kept.
    const second = [
      inbound(1, 'k1', true, 10),
      inbound(3, 'k3', false, 11),
      inbound(2, 'k2', true, 12),
      inbound(3, 'k3', true, 13),
      inbound(0, 'k0', false, 14),
    ];
    await env.js.publish(subject, JSON.stringify(batch(second)), { msgID: 'batch-2' });
    // The second batch redelivered by NATS (the store crashed before its ack): same event ids,
    // nothing new, and its stored events are the same message again.
    await env.js.publish(subject, JSON.stringify(batch(second)), { msgID: 'batch-2-again' });
    // A batch whose publish was retried lands after the batch holding the copies of its messages:
    // k4's copy (DUP) is stored first, and k4's first delivery, coming later, is the repeat.
    await env.js.publish(subject, JSON.stringify(batch([inbound(4, 'k4', true, 21)])), { msgID: 'batch-3' });
    await env.js.publish(subject, JSON.stringify(batch([inbound(4, 'k4', false, 20)])), { msgID: 'batch-4' });
    await env.waitForTeststandSettled('the batches stored');
    const rows = await env.db
      .selectFrom('teststand_messages')
      .select(['event_id', 'delivery_key', 'redelivered'])
      .where('stand', '=', 'rig3')
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { event_id: 'k0@0', delivery_key: 'k0', redelivered: false },
      { event_id: 'k1@1', delivery_key: 'k1', redelivered: false },
      { event_id: 'k2@2', delivery_key: 'k2', redelivered: false },
      { event_id: 'k3@11', delivery_key: 'k3', redelivered: false },
      { event_id: 'k0@14', delivery_key: 'k0', redelivered: false },
      { event_id: 'k4@21', delivery_key: 'k4', redelivered: true },
    ]);
    const stored = (await env.storedEvents()).filter(
      (e): e is StoredTeststand => e.type === 'teststand.stored' && e.event.stand === 'rig3',
    );
    // One stored event per row, in order: the repeat of batch 2 had batch 2's stored msgID.
    expect(stored.map((e) => e.event.eventId)).toEqual(rows.map((r) => r.event_id));
  });
});
