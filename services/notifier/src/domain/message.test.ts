import { describe, expect, it } from '@jest/globals';
import { StoredEvent, StoredReadingsV1, StoredTeststandV1, type StoredTeststand } from '@ep/contracts';
import { storedReadingsEvent, storedTeststandEvent, storedTeststandEvents } from '@ep/testkit';
import { decodeEnvelope } from './envelope.js';
import { toAmqpMessages } from './message.js';
import { joinReadingsParts, splitReadings } from './split.js';

const teststand: StoredTeststand = {
  v: 1,
  type: 'teststand.stored',
  messageId: 7,
  storedAt: '2026-01-05T06:00:04Z',
  event: {
    v: 1,
    eventId: 'teststand1/demo/Inbound:1f3a',
    stand: 'teststand1',
    module: 'demo',
    kind: 'data',
    direction: 'inbound',
    topic: 'teststand1/demo/Inbound',
    receivedAt: '2026-01-05T06:00:03Z',
    raw: '{}',
    valid: true,
    errors: [],
  },
  standState: { powerCode: 600, statusCode: 200, ready: true },
};

const size = (e: unknown) => Buffer.byteLength(JSON.stringify(e));

describe('toAmqpMessages', () => {
  const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

  it('maps a readings event to one persistent JSON message whose body is the event', () => {
    const event = storedReadingsEvent(2, 3);
    const [message, ...rest] = toAmqpMessages(event, { maxMessageBytes: 1_000_000, trace });
    expect(rest).toHaveLength(0);
    expect(message?.properties).toEqual({
      contentType: 'application/json',
      type: 'readings.stored',
      messageId: 'siemens:abc:1',
      timestamp: Math.floor(Date.parse('2026-01-05T06:00:04.500Z') / 1000),
      persistent: true,
      headers: { traceparent: trace.traceparent, 'x-ep-site': 'carleton', 'x-ep-source': 'siemens' },
    });
    expect(JSON.parse(message!.body.toString())).toEqual(event);
  });

  it('maps a test-stand event with its eventId as message_id and the stand in the headers', () => {
    const [message] = toAmqpMessages(teststand, { maxMessageBytes: 1_000_000 });
    expect(message?.properties.type).toBe('teststand.stored');
    expect(message?.properties.messageId).toBe('teststand1/demo/Inbound:1f3a');
    expect(message?.properties.headers).toEqual({ 'x-ep-stand': 'teststand1' });
    expect(StoredEvent.parse(JSON.parse(message!.body.toString()))).toEqual(teststand);
  });

  it('maps a batch of test-stand events to one message per event, each as that event alone would give', () => {
    const items = [
      { ...storedTeststandEvent(1), storedAt: '2026-01-05T06:00:01Z' },
      storedTeststandEvent(2, 'stand_b'),
      { ...storedTeststandEvent(3), storedAt: '2026-01-05T06:00:09.900Z' },
    ];
    const batch = storedTeststandEvents(items);
    const raw = Buffer.from(JSON.stringify(batch));
    // The NATS body is neither sent as it is nor split, whatever its size.
    const messages = toAmqpMessages(decodeEnvelope(raw), { maxMessageBytes: 100, trace, raw });
    expect(messages).toHaveLength(items.length);
    messages.forEach((message, i) => {
      const item = items[i]!;
      expect(message.properties).toEqual({
        contentType: 'application/json',
        type: 'teststand.stored',
        messageId: item.event.eventId,
        timestamp: Math.floor(Date.parse(item.storedAt) / 1000),
        persistent: true,
        headers: { traceparent: trace.traceparent, 'x-ep-stand': item.event.stand },
      });
      const body: unknown = JSON.parse(message.body.toString());
      expect(StoredTeststandV1.parse(body)).toEqual(item);
      expect(body).toEqual(item);
      // What the event published alone gives, but for its body's bytes (the same JSON).
      const [alone] = toAmqpMessages(item, { maxMessageBytes: 1_000_000, trace });
      expect(message).toEqual(alone);
    });
    expect(messages.map((m) => m.properties.timestamp)).toEqual([1767592801, 1767592804, 1767592809]);
    // A redelivery produces byte-identical messages.
    expect(toAmqpMessages(decodeEnvelope(raw), { maxMessageBytes: 100, trace, raw })).toEqual(messages);
  });

  it('splits a big readings event into parts with part headers and stable part message ids', () => {
    const event = storedReadingsEvent(6, 400);
    const max = Math.ceil(size(event) / 4);
    const messages = toAmqpMessages(event, { maxMessageBytes: max, trace });
    expect(messages.length).toBeGreaterThanOrEqual(4);
    const n = messages.length;
    messages.forEach((m, i) => {
      expect(m.body.length).toBeLessThanOrEqual(max);
      expect(m.properties.messageId).toBe(`siemens:abc:1:${i + 1}/${n}`);
      expect(m.properties.headers).toMatchObject({ 'x-ep-part': i + 1, 'x-ep-parts': n, ...trace });
      expect(StoredReadingsV1.safeParse(JSON.parse(m.body.toString())).success).toBe(true);
    });
    // A redelivery produces byte-identical messages.
    expect(toAmqpMessages(event, { maxMessageBytes: max, trace })).toEqual(messages);
  });

  it('sends the NATS body as it is when it fits, and splits from it (not from the envelope) when not', () => {
    const event = storedReadingsEvent(6, 400);
    const raw = Buffer.from(JSON.stringify(event));
    const envelope = decodeEnvelope(raw);
    const [whole] = toAmqpMessages(envelope, { maxMessageBytes: raw.length, raw });
    expect(whole?.body.equals(raw)).toBe(true);
    const parts = toAmqpMessages(envelope, { maxMessageBytes: Math.ceil(raw.length / 3), raw });
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const joined = joinReadingsParts(
      parts.map((m, i) => ({ part: i + 1, event: JSON.parse(m.body.toString()) })),
    );
    expect(joined).toEqual(event);
  });

  it('refuses to split an event whose points are not valid', () => {
    const raw = Buffer.from(
      JSON.stringify({ ...storedReadingsEvent(1, 300), points: [{ pointId: 'x', samples: [] }] }),
    );
    expect(() => toAmqpMessages(decodeEnvelope(raw), { maxMessageBytes: 50, raw })).toThrow(/pointId/);
  });
});

describe('splitReadings', () => {
  it('returns the event itself when it fits', () => {
    const event = storedReadingsEvent(3, 10);
    expect(splitReadings(event, size(event))).toEqual([event]);
  });

  it('packs whole points into parts when each point fits, and the parts join to the original', () => {
    const event = storedReadingsEvent(10, 20);
    const max = Math.ceil(size(event) / 3);
    const parts = splitReadings(event, max);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(size(part)).toBeLessThanOrEqual(max);
    // No point was cut: each appears in exactly one part with all its samples.
    expect(parts.flatMap((p) => p.points)).toEqual(event.points);
    expect(joinReadingsParts(parts.map((e, i) => ({ part: i + 1, event: e })))).toEqual(event);
  });

  it('cuts a point whose samples do not fit into fragments, and joins them back in any part order', () => {
    const event = storedReadingsEvent(1, 5_000);
    const max = 20_000;
    const parts = splitReadings(event, max);
    expect(parts.length).toBeGreaterThan(5);
    for (const part of parts) {
      expect(size(part)).toBeLessThanOrEqual(max);
      expect(part.points).toHaveLength(1);
      expect(part.counts).toEqual(event.counts);
    }
    const shuffled = parts.map((e, i) => ({ part: i + 1, event: e })).reverse();
    expect(joinReadingsParts(shuffled)).toEqual(event);
  });

  it('fills parts close to the limit (exact size arithmetic)', () => {
    const event = storedReadingsEvent(1, 2_000);
    const max = 10_000;
    const parts = splitReadings(event, max);
    // Every part but the last is within one sample of the limit.
    for (const part of parts.slice(0, -1)) expect(size(part)).toBeGreaterThan(max - 60);
  });

  it('sends a piece that cannot be made smaller alone, above the limit', () => {
    const event = storedReadingsEvent(2, 2);
    const parts = splitReadings(event, 50);
    expect(parts).toHaveLength(4);
    expect(joinReadingsParts(parts.map((e, i) => ({ part: i + 1, event: e })))).toEqual(event);
  });
});
