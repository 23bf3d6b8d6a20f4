import { describe, expect, it } from '@jest/globals';
import type { StoredTeststand } from '@ep/contracts';
import { storedReadingsEvent, storedTeststandEvent, storedTeststandEvents } from '@ep/testkit';
import { ZodError } from 'zod';
import { decodeEnvelope, envelopeEvents, envelopeId, readHead } from './envelope.js';

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeEnvelope', () => {
  it('reads a readings event from its head, without its points', () => {
    const event = storedReadingsEvent(3, 50);
    const head = readHead(bytes(event));
    expect(head).toEqual({ ...event, points: [] });
    const envelope = decodeEnvelope(bytes(event));
    expect(envelopeId(envelope)).toBe(event.batchId);
    expect(envelope).toMatchObject({ type: 'readings.stored', site: 'carleton', source: 'siemens' });
  });

  it('reads a test-stand event in full', () => {
    const event = storedTeststandEvent(5);
    expect(readHead(bytes(event))).toBeUndefined();
    expect(decodeEnvelope(bytes(event))).toEqual(event);
  });

  it('reads a batch of test-stand events in full, counted as its events', () => {
    const batch = storedTeststandEvents([storedTeststandEvent(1), storedTeststandEvent(2, 'stand_b')]);
    const envelope = decodeEnvelope(bytes(batch));
    expect(envelope).toEqual(batch);
    expect(envelopeId(envelope)).toBe('teststand1/demo/Inbound:1');
    expect(envelopeEvents(envelope)).toEqual({ type: 'teststand.stored', events: 2 });
    expect(envelopeEvents(decodeEnvelope(bytes(storedReadingsEvent(1, 1))))).toEqual({
      type: 'readings.stored',
      events: 1,
    });
  });

  it('checks every item of a batch with the full schema: a bad one, or none, rejects the whole message', () => {
    const batch = storedTeststandEvents([storedTeststandEvent(1), storedTeststandEvent(2)]);
    const [first, second] = batch.events as [StoredTeststand, StoredTeststand];
    const noId = { ...second, event: { ...second.event, eventId: undefined } };
    const variants = [
      { ...batch, events: [] },
      { ...batch, events: [first, noId] },
      { ...batch, events: [first, { ...second, type: 'readings.stored' }] },
      { ...batch, events: [first, { ...second, standState: { ...second.standState, ready: 'yes' } }] },
      { ...batch, storedAt: 'later' },
    ];
    for (const variant of variants) expect(() => decodeEnvelope(bytes(variant))).toThrow(ZodError);
    // The error names the bad item.
    let error: unknown;
    try {
      decodeEnvelope(bytes(variants[1]));
    } catch (err) {
      error = err;
    }
    expect((error as ZodError).issues.map((i) => i.path)).toEqual([['events', 1, 'event', 'eventId']]);
  });

  it('reads a batch whose events carry a nested "points" array (not mistaken for a readings head)', () => {
    const item = storedTeststandEvent(3);
    const withPoints = { ...item, event: { ...item.event, data: { x: [1], points: [1, 2] } } };
    const batch = storedTeststandEvents([withPoints]);
    expect(bytes(batch).includes(',"points":[')).toBe(true);
    expect(readHead(bytes(batch))).toBeUndefined();
    expect(decodeEnvelope(bytes(batch))).toEqual(batch);
  });

  it('is not fooled by "points" inside a string or a nested object, nor by points that are not last', () => {
    const event = storedReadingsEvent(1, 2);
    const inString = { ...event, origin: { file: 'a,"points":[1]}' } };
    const nested = { ...event, origin: { x: { points: [1] } } };
    const { points, ...rest } = event;
    const notLast = { ...rest, points, extra: [1] };
    const pointsFirst = { points, ...rest };
    for (const variant of [inString, nested]) {
      // The head stops at the top-level points; the nested or quoted text stays intact.
      expect(readHead(bytes(variant))).toEqual({ ...variant, points: [] });
      expect(decodeEnvelope(bytes(variant))).toMatchObject({ origin: variant.origin });
    }
    // The head would miss `extra`: harmless, the body goes out byte for byte; points first: full parse.
    expect(decodeEnvelope(bytes(notLast)).type).toBe('readings.stored');
    expect(readHead(bytes(pointsFirst))).toBeUndefined();
    expect(decodeEnvelope(bytes(pointsFirst))).toMatchObject({ batchId: event.batchId, points });
  });

  it('falls back to a full parse when the head fails the schema, and throws for what is not an event', () => {
    const event = storedReadingsEvent(1, 2);
    const { counts, ...noCounts } = event;
    // counts after points: the head lacks it, the full parse finds it.
    const countsLast = { ...noCounts, points: event.points, counts };
    expect(decodeEnvelope(bytes(countsLast))).toMatchObject({ counts });
    expect(() => decodeEnvelope(bytes(noCounts))).toThrow(/counts/);
    expect(() => decodeEnvelope(bytes('not json'))).toThrow(SyntaxError);
    expect(() => decodeEnvelope(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow();
    expect(() => decodeEnvelope(bytes({ ...event, points: 'none' }))).toThrow(/points/);
  });
});
