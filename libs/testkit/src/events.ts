/**
 * Stored events as measurement-store publishes them, for the notifier's tests and the notifier
 * bench: every one parses with its contract schema.
 */
import {
  StoredReadingsV1,
  StoredTeststandEventsV1,
  StoredTeststandV1,
  type StoredReadings,
  type StoredTeststand,
  type StoredTeststandEvents,
} from '@ep/contracts';

/** A readings event with `points` points of `samples` samples each. */
export function storedReadingsEvent(
  points: number,
  samples: number,
  batchId = 'siemens:abc:1',
): StoredReadings {
  const start = Date.parse('2026-01-05T00:00:00Z');
  return StoredReadingsV1.parse({
    v: 1,
    type: 'readings.stored',
    batchId,
    source: 'siemens',
    site: 'carleton',
    storedAt: '2026-01-05T06:00:04.500Z',
    origin: { uploadId: 'u1', file: 'boliou.csv' },
    counts: { points, samples: points * samples, inserted: points * samples, revised: 0, unchanged: 0 },
    points: Array.from({ length: points }, (_, p) => ({
      pointId: 100 + p,
      node: 'RECCNTR',
      device: `AH${p}`,
      parameter: 'CCV',
      name: `RECCNTR.AH${p}.CCV`,
      unit: '%',
      kind: 'sampled',
      states: null,
      samples: Array.from({ length: samples }, (_, s) => [
        new Date(start + s * 900_000).toISOString(),
        s % 7 === 0 ? null : s / 3,
        s % 7 === 0 ? 2 : 0,
      ]),
    })),
  });
}

/** A stored test-stand event; `n` makes its eventId unique. */
export function storedTeststandEvent(n: number, stand = 'teststand1'): StoredTeststand {
  return StoredTeststandV1.parse({
    v: 1,
    type: 'teststand.stored',
    messageId: n,
    storedAt: '2026-01-05T06:00:04Z',
    event: {
      v: 1,
      eventId: `${stand}/demo/Inbound:${n}`,
      stand,
      module: 'demo',
      kind: 'data',
      direction: 'inbound',
      topic: `${stand}/demo/Inbound`,
      receivedAt: '2026-01-05T06:00:03Z',
      msgType: 'data',
      data: { x: [1, 2, 3], y: [n, n + 1, n + 2] },
      raw: `{"n":${n}}`,
      valid: true,
      errors: [],
    },
    standState: { powerCode: 600, statusCode: 200, ready: true },
  });
}

/**
 * Stored test-stand events as one `teststand.stored.events` message, in the given order, with
 * the last event's `storedAt` as the batch's. Throws (ZodError) for no events.
 */
export function storedTeststandEvents(events: readonly StoredTeststand[]): StoredTeststandEvents {
  return StoredTeststandEventsV1.parse({
    v: 1,
    type: 'teststand.stored.events',
    storedAt: events[events.length - 1]?.storedAt,
    events,
  });
}
