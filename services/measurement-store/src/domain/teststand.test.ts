import { describe, expect, it } from '@jest/globals';
import { TeststandEventV1, type TeststandEventInput } from '@ep/contracts';
import { standChange, standReady } from './teststand.js';

const event = (over: Partial<TeststandEventInput>) =>
  TeststandEventV1.parse({
    v: 1,
    eventId: 'e',
    stand: 'rig',
    module: 'm',
    kind: 'status',
    direction: 'inbound',
    topic: 'rig/m/Inbound',
    receivedAt: '2026-01-01T00:00:00Z',
    raw: '{}',
    valid: true,
    ...over,
  });

describe('standChange', () => {
  it('sets power from codes ≥ 600 and status from the others, on valid inbound status messages', () => {
    expect(standChange(event({ statusCode: 610 }))).toEqual({
      stand: 'rig',
      module: 'm',
      seenAt: '2026-01-01T00:00:00Z',
      powerCode: 610,
    });
    expect(standChange(event({ statusCode: 404 }))).toEqual({
      stand: 'rig',
      module: 'm',
      seenAt: '2026-01-01T00:00:00Z',
      statusCode: 404,
    });
  });

  it('only refreshes last_seen for data, invalid or code-less messages, and ignores outbound commands', () => {
    expect(standChange(event({ kind: 'data', statusCode: 200 }))).toEqual({
      stand: 'rig',
      module: 'm',
      seenAt: '2026-01-01T00:00:00Z',
    });
    expect(standChange(event({ valid: false, statusCode: 600 }))).toEqual({
      stand: 'rig',
      module: 'm',
      seenAt: '2026-01-01T00:00:00Z',
    });
    expect(standChange(event({ direction: 'outbound', kind: 'command' }))).toBeUndefined();
  });

  it('calls a stand ready when its status is 200 and its power is on', () => {
    expect(standReady(600, 200)).toBe(true);
    expect(standReady(610, 200)).toBe(false);
    expect(standReady(600, null)).toBe(false);
  });
});
