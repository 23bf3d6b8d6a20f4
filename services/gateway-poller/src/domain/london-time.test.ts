import { describe, expect, it } from '@jest/globals';
import { instantsOf, lutToUtc, toLocalLut } from './london-time.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('LUT (Europe/London wall-clock) to UTC', () => {
  it('reads winter time as UTC and summer time as UTC+1', () => {
    expect(iso(lutToUtc('2026-01-15T12:00:00'))).toBe('2026-01-15T12:00:00.000Z');
    expect(iso(lutToUtc('2026-06-13T11:34:23'))).toBe('2026-06-13T10:34:23.000Z');
  });

  it('crosses the spring change (29 March 2026, 01:00 GMT → 02:00 BST)', () => {
    expect(iso(lutToUtc('2026-03-29T00:59:59'))).toBe('2026-03-29T00:59:59.000Z');
    expect(iso(lutToUtc('2026-03-29T02:00:00'))).toBe('2026-03-29T01:00:00.000Z');
    // The skipped hour has no instant; read with the winter offset it lands after the change.
    expect(instantsOf('2026-03-29T01:30:00')).toEqual([]);
    expect(iso(lutToUtc('2026-03-29T01:30:00'))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('crosses the autumn change (25 October 2026, 02:00 BST → 01:00 GMT): the repeated hour', () => {
    expect(instantsOf('2026-10-25T01:30:00').map(iso)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    // First pass: nothing later seen yet.
    expect(iso(lutToUtc('2026-10-25T01:30:00', Date.parse('2026-10-25T00:20:00Z')))).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    // A LUT earlier than the last one seen (01:50 BST) is the second pass.
    expect(iso(lutToUtc('2026-10-25T01:10:00', Date.parse('2026-10-25T00:50:00Z')))).toBe(
      '2026-10-25T01:10:00.000Z',
    );
    // Later in the second pass, still the second instant.
    expect(iso(lutToUtc('2026-10-25T01:40:00', Date.parse('2026-10-25T01:10:00Z')))).toBe(
      '2026-10-25T01:40:00.000Z',
    );
    expect(iso(lutToUtc('2026-10-25T02:00:00'))).toBe('2026-10-25T02:00:00.000Z');
  });

  it('writes instants back as London wall-clock', () => {
    expect(toLocalLut(Date.parse('2026-06-13T10:34:23Z'))).toBe('2026-06-13T11:34:23');
    expect(toLocalLut(Date.parse('2026-10-25T01:30:00Z'))).toBe('2026-10-25T01:30:00');
    expect(toLocalLut(Date.parse('2026-10-25T00:30:00Z'))).toBe('2026-10-25T01:30:00');
  });

  it('refuses what is not a LUT', () => {
    expect(lutToUtc('2026-13-01T00:00:00')).toBeUndefined();
    expect(lutToUtc('yesterday')).toBeUndefined();
  });
});
