import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ReadingsBatchInput, StoredReadings } from '@ep/contracts';
import { silentLogger } from '@ep/logger';
import { editPoint, listPointEdits } from '@ep/points';
import { waitFor } from '@ep/testkit';
import { startMeasurementStore } from '../src/index.js';
import { storeTestEnv, type StoreTestEnv } from './support.js';

jest.setTimeout(60_000);

// Issue 13: a later upload does not undo a person's edit unless the file states the field
// explicitly. Batches go through NATS into the store, as upload-ingest publishes them.
describe("measurement-store keeps a person's point edits across uploads", () => {
  let env: StoreTestEnv;
  let store: { stop(): Promise<void> };

  const waitForEvent = (batchId: string) =>
    waitFor(
      async () =>
        (await env.storedEvents()).some(
          (e) => e.type === 'readings.stored' && (e as StoredReadings).batchId === batchId,
        ),
      { what: `stored event ${batchId}` },
    );

  /** What a Siemens trend report yields: kind sampled and the trend's interval, no unit. */
  const trendBatch = (batchId: string, ts: string, interval = 300): ReadingsBatchInput => ({
    v: 1,
    batchId,
    source: 'siemens',
    site: 'carleton',
    producedAt: new Date().toISOString(),
    points: [
      {
        node: 'CMC',
        device: '328',
        parameter: 'KWH',
        name: 'CMC.328.KWH',
        kind: 'sampled',
        intervalSeconds: interval,
        samples: [[ts, 1, 0]],
      },
    ],
  });

  /** What a Siemens Point Definition report yields: metadata it states explicitly. */
  const definitionBatch = (batchId: string, unit: string): ReadingsBatchInput => ({
    v: 1,
    batchId,
    source: 'siemens',
    site: 'carleton',
    producedAt: new Date().toISOString(),
    points: [
      {
        node: 'CMC',
        device: '328',
        parameter: 'KWH',
        name: 'CMC.328.KWH',
        unit,
        kind: 'sampled',
        description: 'main meter',
        explicit: ['unit', 'kind', 'description'],
        samples: [],
      },
    ],
  });

  const point = () =>
    env.db.selectFrom('points').selectAll().where('name', '=', 'CMC.328.KWH').executeTakeFirstOrThrow();

  beforeAll(async () => {
    env = await storeTestEnv('pedits');
    await env.addSite('carleton', 'America/Chicago');
    store = await startMeasurementStore({
      databaseUrl: env.testDb.url,
      natsUrl: env.natsUrl,
      prefix: env.prefix,
      logger: silentLogger(),
      limits: { maxWaitMs: 20 },
    });
  });

  afterAll(async () => {
    await store?.stop();
    await env?.close();
  });

  it('keeps edited unit, kind and interval when a trend report comes again; a definition report stating the unit replaces it', async () => {
    await env.publishBatch(trendBatch('t1', '2026-01-01T00:00:00Z'));
    await waitForEvent('t1');
    const first = await point();
    expect(first).toMatchObject({ unit: null, kind: 'sampled', interval_seconds: 300, edited: [] });

    const edit = await editPoint(
      env.db,
      first.id,
      { unit: 'kWh', kind: 'counter', interval_seconds: 900 },
      'cli:test',
    );
    expect(edit!.edits.map((e) => [e.field, e.old, e.new, e.by])).toEqual([
      ['unit', null, 'kWh', 'cli:test'],
      ['kind', 'sampled', 'counter', 'cli:test'],
      ['interval_seconds', 300, 900, 'cli:test'],
    ]);

    // The same trend report again, and one with another trend interval: neither is explicit.
    await env.publishBatch(trendBatch('t2', '2026-01-01T00:15:00Z'));
    await env.publishBatch(trendBatch('t3', '2026-01-01T00:30:00Z', 600));
    await waitForEvent('t2');
    await waitForEvent('t3');
    expect(await point()).toMatchObject({
      unit: 'kWh',
      kind: 'counter',
      interval_seconds: 900,
      edited: ['interval_seconds', 'kind', 'unit'],
      last_value: 1,
    });

    // A point definition report states units, kind and descriptor explicitly: they win, and
    // those fields are the source's again (a later trend report may set kind).
    await env.publishBatch(definitionBatch('d1', 'MWH'));
    await waitForEvent('d1');
    expect(await point()).toMatchObject({
      unit: 'MWH',
      kind: 'sampled',
      description: 'main meter',
      interval_seconds: 900,
      edited: ['interval_seconds'],
    });
    expect((await listPointEdits(env.db, first.id)).map((e) => e.field)).toEqual([
      'unit',
      'kind',
      'interval_seconds',
    ]);
  });
});
