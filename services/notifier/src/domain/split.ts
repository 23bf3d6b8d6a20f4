import type { Sample, StoredPoint, StoredReadings } from '@ep/contracts';

/**
 * Splitting of stored readings events that are too big for one AMQP message.
 *
 * Every part is itself a valid `StoredReadingsV1` event with the same `batchId`, `site`,
 * `source`, `storedAt`, `origin` and `counts` (the counts always describe the whole batch) and a
 * slice of `points`. A point whose samples do not fit in one part is cut into fragments that
 * repeat its metadata (`pointId`, `name`, `unit`, …) with consecutive runs of its samples.
 * Concatenating the parts' points in part order, and merging neighbouring fragments of the same
 * point, gives the original event back (`joinReadingsParts`).
 *
 * The split is a pure function of the event and the limit, so a redelivered event is cut into
 * exactly the same parts.
 */

const byteLength = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Splits `event` into parts whose JSON body is at most `maxBytes` UTF-8 bytes each. Returns
 * `[event]` when it already fits. A piece that cannot be made smaller (one sample of one point
 * plus the event's own fields) goes out alone even when it is above the limit.
 */
export function splitReadings(event: StoredReadings, maxBytes: number): StoredReadings[] {
  if (byteLength(event) <= maxBytes) return [event];

  // JSON.stringify({..., points: [a, b]}) is the envelope's JSON with "[]" widened by the
  // items and the commas between them, so a part's size is computable without serialising it.
  const envelope = byteLength({ ...event, points: [] });
  const budget = maxBytes - envelope;

  const pieces: { point: StoredPoint; size: number }[] = [];
  for (const point of event.points) {
    const size = byteLength(point);
    if (size <= budget) pieces.push({ point, size });
    else for (const fragment of splitPoint(point, budget)) pieces.push(fragment);
  }

  const parts: StoredPoint[][] = [];
  let current: StoredPoint[] = [];
  let used = 0;
  for (const { point, size } of pieces) {
    const added = current.length === 0 ? size : size + 1;
    if (current.length > 0 && used + added > budget) {
      parts.push(current);
      current = [];
      used = 0;
    }
    used += current.length === 0 ? size : size + 1;
    current.push(point);
  }
  if (current.length > 0 || parts.length === 0) parts.push(current);
  return parts.map((points) => ({ ...event, points }));
}

/** Cuts one point into fragments of at most `budget` bytes each (at least one sample per fragment). */
function splitPoint(point: StoredPoint, budget: number): { point: StoredPoint; size: number }[] {
  const shell = byteLength({ ...point, samples: [] });
  const room = budget - shell;
  const fragments: { point: StoredPoint; size: number }[] = [];
  let samples: Sample[] = [];
  let used = 0;
  const flush = () => {
    fragments.push({ point: { ...point, samples }, size: shell + used });
    samples = [];
    used = 0;
  };
  for (const sample of point.samples) {
    const size = byteLength(sample);
    const added = samples.length === 0 ? size : size + 1;
    if (samples.length > 0 && used + added > room) flush();
    used += samples.length === 0 ? size : size + 1;
    samples.push(sample);
  }
  if (samples.length > 0 || fragments.length === 0) flush();
  return fragments;
}

/**
 * Puts the parts of a split readings event back together (parts in any order, each given with
 * its 1-based part number). Neighbouring fragments of one point are merged.
 */
export function joinReadingsParts(parts: { part: number; event: StoredReadings }[]): StoredReadings {
  const sorted = [...parts].sort((a, b) => a.part - b.part);
  const first = sorted[0];
  if (!first) throw new Error('no parts to join');
  const points: StoredPoint[] = [];
  for (const { event } of sorted) {
    for (const point of event.points) {
      const last = points[points.length - 1];
      if (last && last.pointId === point.pointId) {
        points[points.length - 1] = { ...last, samples: [...last.samples, ...point.samples] };
      } else points.push(point);
    }
  }
  return { ...first.event, points };
}
