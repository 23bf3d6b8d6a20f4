import { describe, expect, it } from '@jest/globals';
import { storedReadingsEvent, storedTeststandEvent } from '@ep/testkit';
import { decodeEnvelope, envelopeId, readHead } from './envelope.js';

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
