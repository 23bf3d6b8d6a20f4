import { describe, expect, it } from '@jest/globals';
import type { TeststandEvent } from '@ep/contracts';
import { repeatedDeliveries, type DeliverySeen } from './redelivery.js';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 0, 1);

function event(key: string, atMs: number, redelivered: boolean): TeststandEvent {
  return {
    v: 1,
    eventId: `${key}@${atMs}`,
    delivery: { key, redelivered },
    stand: 's',
    module: 'm',
    kind: 'status',
    direction: 'inbound',
    topic: 's/m/Inbound',
    receivedAt: new Date(T0 + atMs).toISOString(),
    raw: '{}',
    valid: true,
    errors: [],
  };
}
const row = (e: TeststandEvent): DeliverySeen => ({
  eventId: e.eventId,
  key: e.delivery!.key,
  receivedAt: Date.parse(e.receivedAt),
  redelivered: e.delivery!.redelivered,
});
const ids = (s: Set<TeststandEvent>) => [...s].map((e) => e.eventId);

describe('repeatedDeliveries', () => {
  it('drops a re-sent copy (DUP) of a stored message', () => {
    const original = event('k', 0, false);
    const copy = event('k', 5_000, true);
    expect(ids(repeatedDeliveries([copy], [row(original)], 2 * HOUR))).toEqual([copy.eventId]);
  });

  it('drops the first delivery when its re-sent copy was stored first (its batch was retried)', () => {
    const original = event('k', 0, false);
    const copy = event('k', 5_000, true);
    expect(ids(repeatedDeliveries([original], [row(copy)], 2 * HOUR))).toEqual([original.eventId]);
  });

  it('keeps one of a message and its copy in the same batch, whatever their order', () => {
    const original = event('k', 0, false);
    const copy = event('k', 5_000, true);
    expect(ids(repeatedDeliveries([original, copy], [], 2 * HOUR))).toEqual([copy.eventId]);
    expect(ids(repeatedDeliveries([copy, original], [], 2 * HOUR))).toEqual([original.eventId]);
  });

  it('keeps two messages with the same key and no DUP (a reused packet id, the same payload)', () => {
    const a = event('k', 0, false);
    const b = event('k', 60_000, false);
    expect(ids(repeatedDeliveries([b], [row(a)], 2 * HOUR))).toEqual([]);
  });

  it('keeps a copy whose only match is outside the window, or is the same event (a NATS redelivery)', () => {
    const old = event('k', 0, false);
    const copy = event('k', 3 * HOUR, true);
    expect(ids(repeatedDeliveries([copy], [row(old)], 2 * HOUR))).toEqual([]);
    expect(ids(repeatedDeliveries([copy], [row(copy)], 2 * HOUR))).toEqual([]);
  });

  it('ignores events without a delivery (commands, liveness)', () => {
    const { delivery: _, ...command } = event('k', 0, true);
    expect(ids(repeatedDeliveries([command as TeststandEvent], [], 2 * HOUR))).toEqual([]);
  });
});
