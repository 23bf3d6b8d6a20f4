import { describe, expect, it } from '@jest/globals';
import { ReadingsBatchV1, type ReadingsBatchInput } from '@ep/contracts';
import {
  batchRows,
  hourlyAggregates,
  isAppend,
  mergePoints,
  monthsTouched,
  partitionName,
  pointKey,
  splitRounds,
  storedEvent,
  storedSetpoints,
  utcIso,
  type AcceptedBatch,
  type SampleRow,
} from './readings.js';

const site = { id: 7, key: 'carleton', timezone: 'America/Chicago' };

function accepted(input: Partial<ReadingsBatchInput> & Pick<ReadingsBatchInput, 'points'>): AcceptedBatch {
  return {
    site,
    batch: ReadingsBatchV1.parse({
      v: 1,
      batchId: 'b',
      source: 'siemens',
      site: 'carleton',
      producedAt: '2026-01-01T00:00:00Z',
      ...input,
    }),
  };
}

const point = (samples: [string | number, number | null, number][], extra: object = {}) => ({
  node: 'N',
  device: 'D',
  parameter: 'P',
  name: 'N.D.P',
  samples,
  ...extra,
});

describe('mergePoints', () => {
  it('keeps one upsert per point, later batches winning field by field and meta merged', () => {
    const a = accepted({ points: [point([], { unit: '%', meta: { a: 1 } })] });
    const b = accepted({ points: [point([], { description: 'valve', meta: { b: 2 } })] });
    expect(mergePoints([a, b])).toEqual([
      {
        siteId: 7,
        source: 'siemens',
        node: 'N',
        device: 'D',
        parameter: 'P',
        name: 'N.D.P',
        unit: '%',
        description: 'valve',
        meta: { a: 1, b: 2 },
      },
    ]);
  });

  it('sorts by key so concurrent writers lock points in one order', () => {
    const b = accepted({
      points: [
        { ...point([]), node: 'Z' },
        { ...point([]), node: 'A' },
      ],
    });
    expect(mergePoints([b]).map((p) => p.node)).toEqual(['A', 'Z']);
  });
});

describe('batchRows', () => {
  const ids = new Map([[pointKey(7, 'N', 'D', 'P'), 3]]);

  it('keeps the last of repeated timestamps (ISO or epoch ms alike) and the null of Data Loss', () => {
    const b = accepted({
      points: [
        point([
          ['2026-01-01T00:00:00Z', 1, 0],
          [Date.parse('2026-01-01T00:00:00Z'), 2, 0],
          ['2026-01-01T00:15:00+00:00', null, 2],
        ]),
      ],
    });
    const { rows, dropped } = batchRows(4, b, ids);
    expect(dropped).toEqual([]);
    expect(rows).toEqual([
      { batch: 4, pointId: 3, ms: Date.parse('2026-01-01T00:00:00Z'), value: 2, quality: 0 },
      { batch: 4, pointId: 3, ms: Date.parse('2026-01-01T00:15:00Z'), value: null, quality: 2 },
    ]);
  });

  it('drops only the samples with an unusable timestamp, naming them', () => {
    const b = accepted({
      points: [
        point([
          ['1800-01-01T00:00:00Z', 1, 0],
          ['2026-01-01T00:00:00Z', 2, 0],
        ]),
      ],
    });
    const { rows, dropped } = batchRows(0, b, ids);
    expect(rows.map((r) => r.value)).toEqual([2]);
    expect(dropped).toEqual([
      { point: 'N.D.P', index: 0, ts: '1800-01-01T00:00:00Z', reason: expect.stringContaining('1900') },
    ]);
  });
});

describe('splitRounds', () => {
  const row = (batch: number, pointId: number, ms: number): SampleRow => ({
    batch,
    pointId,
    ms,
    value: 1,
    quality: 0,
  });

  it('keeps batches together unless one writes a (point, ts) an earlier one in the round wrote', () => {
    expect(
      splitRounds([[row(0, 1, 0)], [row(1, 1, 1), row(1, 2, 0)], [row(2, 2, 0)], [row(3, 1, 5)]]),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});

describe('monthsTouched and partitionName', () => {
  it('lists each UTC month once, including years-old ones, with the partition names SQL uses', () => {
    const months = monthsTouched([
      Date.parse('2009-06-15T12:00:00Z'),
      Date.parse('2026-01-31T23:59:59Z'),
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-02-01T00:00:00Z'),
    ]);
    expect(months.map(partitionName)).toEqual([
      'measurements_2009_06',
      'measurements_2026_01',
      'measurements_2026_02',
    ]);
  });
});

describe('hourlyAggregates', () => {
  it('aggregates per point and UTC hour: nulls count as samples, not in min/max/sum; quality 0 is good', () => {
    const h = Date.parse('2026-01-01T05:00:00Z');
    const rows: SampleRow[] = [
      { batch: 0, pointId: 1, ms: h + 15 * 60_000, value: 4, quality: 0 },
      { batch: 0, pointId: 1, ms: h, value: 2, quality: 1 },
      { batch: 0, pointId: 1, ms: h + 30 * 60_000, value: null, quality: 2 },
      { batch: 0, pointId: 1, ms: h + 60 * 60_000, value: 9, quality: 0 },
    ];
    expect(hourlyAggregates(rows)).toEqual([
      {
        pointId: 1,
        hourMs: h,
        min: 2,
        max: 4,
        sum: 6,
        count: 3,
        valueCount: 2,
        goodCount: 1,
        firstMs: h,
        firstValue: 2,
        lastMs: h + 30 * 60_000,
        lastValue: null,
      },
      {
        pointId: 1,
        hourMs: h + 3_600_000,
        min: 9,
        max: 9,
        sum: 9,
        count: 1,
        valueCount: 1,
        goodCount: 1,
        firstMs: h + 3_600_000,
        firstValue: 9,
        lastMs: h + 3_600_000,
        lastValue: 9,
      },
    ]);
  });
});

describe('isAppend', () => {
  it('is true only outside the stored span, or for a point without samples', () => {
    const row = (ms: number): SampleRow => ({ batch: 0, pointId: 1, ms, value: 1, quality: 0 });
    expect(isAppend(row(5), undefined)).toBe(true);
    expect(isAppend(row(11), { firstMs: 0, lastMs: 10 })).toBe(true);
    expect(isAppend(row(-1), { firstMs: 0, lastMs: 10 })).toBe(true);
    expect(isAppend(row(10), { firstMs: 0, lastMs: 10 })).toBe(false);
    expect(isAppend(row(3), { firstMs: 0, lastMs: 10 })).toBe(false);
  });
});

describe('storedEvent', () => {
  it('carries point ids and metadata, and every timestamp as canonical UTC ISO', () => {
    const b = accepted({
      points: [
        point([
          ['2026-01-01T01:00:00+01:00', 1, 0],
          [Date.parse('2026-01-01T00:15:00Z'), 2, 0],
          ['2026-01-01T00:30:00.000Z', 3, 0],
        ]),
      ],
    });
    const registered = new Map([
      [
        pointKey(7, 'N', 'D', 'P'),
        {
          id: 3,
          siteId: 7,
          node: 'N',
          device: 'D',
          parameter: 'P',
          name: 'N.D.P',
          unit: '%',
          kind: null,
          states: null,
        },
      ],
    ]);
    const counts = { points: 1, samples: 3, inserted: 3, revised: 0, unchanged: 0 };
    const event = storedEvent(b, registered, counts, new Date('2026-01-02T00:00:00Z'));
    expect(event).toMatchObject({
      type: 'readings.stored',
      batchId: 'b',
      site: 'carleton',
      counts,
      storedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(event.points).toEqual([
      {
        pointId: 3,
        node: 'N',
        device: 'D',
        parameter: 'P',
        name: 'N.D.P',
        unit: '%',
        kind: null,
        states: null,
        samples: [
          ['2026-01-01T00:00:00.000Z', 1, 0],
          ['2026-01-01T00:15:00.000Z', 2, 0],
          ['2026-01-01T00:30:00.000Z', 3, 0],
        ],
      },
    ]);
  });

  it('utcIso converts offsets and epoch ms, and passes canonical text through', () => {
    expect(utcIso('2026-01-01T01:00:00+01:00', Date.parse('2026-01-01T00:00:00Z'))).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(utcIso('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:00:00Z'))).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });
});

describe('set-point changes carried by a batch', () => {
  it('become setpoint.changed stored events, one per change, ids kept', () => {
    const storedAt = new Date('2026-01-05T06:00:02Z');
    const events = storedSetpoints(
      accepted({
        source: 'prefect',
        points: [],
        events: [
          {
            eventId: 'prefect:carleton:3.thermostat.temperature_setpoint:2026-01-05T06:00:00.000Z',
            gateway: 'carleton-prefect',
            point: {
              node: '3',
              device: 'thermostat',
              parameter: 'temperature_setpoint',
              name: '3.thermostat.temperature_setpoint',
            },
            ts: '2026-01-05T06:00:00Z',
            from: null,
            to: 21,
            origin: 'override',
          },
        ],
      }),
      storedAt,
    );
    expect(events).toEqual([
      {
        v: 1,
        type: 'setpoint.changed',
        eventId: 'prefect:carleton:3.thermostat.temperature_setpoint:2026-01-05T06:00:00.000Z',
        source: 'prefect',
        site: 'carleton',
        gateway: 'carleton-prefect',
        point: {
          node: '3',
          device: 'thermostat',
          parameter: 'temperature_setpoint',
          name: '3.thermostat.temperature_setpoint',
        },
        ts: '2026-01-05T06:00:00.000Z',
        from: null,
        to: 21,
        origin: 'override',
        storedAt: '2026-01-05T06:00:02.000Z',
      },
    ]);
    expect(storedSetpoints(accepted({ points: [] }), storedAt)).toEqual([]);
  });
});
