import { describe, expect, it } from '@jest/globals';
import { formatLocal, parseLocal, zoneOffsetMinutes } from './london.js';

const LONDON = 'Europe/London';
const at = (iso: string) => Date.parse(iso);

describe('Europe/London local time (Secure LUTs)', () => {
  it('writes GMT in winter and BST in summer', () => {
    expect(formatLocal(at('2026-01-15T12:34:56.789Z'), LONDON)).toBe('2026-01-15T12:34:56');
    expect(formatLocal(at('2026-07-15T12:34:56Z'), LONDON)).toBe('2026-07-15T13:34:56');
  });

  it('jumps from 00:59:59 to 02:00:00 on 2026-03-29', () => {
    expect(formatLocal(at('2026-03-29T00:59:59Z'), LONDON)).toBe('2026-03-29T00:59:59');
    expect(formatLocal(at('2026-03-29T01:00:00Z'), LONDON)).toBe('2026-03-29T02:00:00');
    expect(zoneOffsetMinutes(at('2026-03-29T00:59:59Z'), LONDON)).toBe(0);
    expect(zoneOffsetMinutes(at('2026-03-29T01:00:00Z'), LONDON)).toBe(60);
  });

  it('repeats 01:00–01:59 on 2026-10-25', () => {
    expect(formatLocal(at('2026-10-25T00:30:00Z'), LONDON)).toBe('2026-10-25T01:30:00');
    expect(formatLocal(at('2026-10-25T01:30:00Z'), LONDON)).toBe('2026-10-25T01:30:00');
    expect(formatLocal(at('2026-10-25T00:59:59Z'), LONDON)).toBe('2026-10-25T01:59:59');
    expect(formatLocal(at('2026-10-25T01:00:00Z'), LONDON)).toBe('2026-10-25T01:00:00');
  });

  it('reads a local time back as every instant it names', () => {
    expect(parseLocal('2026-10-25T01:30:00', LONDON)).toEqual([
      at('2026-10-25T00:30:00Z'),
      at('2026-10-25T01:30:00Z'),
    ]);
    expect(parseLocal('2026-03-29T01:30:00', LONDON)).toEqual([]);
    expect(parseLocal('2026-03-29T02:30:00', LONDON)).toEqual([at('2026-03-29T01:30:00Z')]);
    expect(parseLocal('2026-06-01T00:00:00', LONDON)).toEqual([at('2026-05-31T23:00:00Z')]);
  });

  it('refuses what is not yyyy-MM-ddTHH:mm:ss', () => {
    expect(() => parseLocal('2026-10-25 01:30:00', LONDON)).toThrow(/yyyy-MM-ddTHH:mm:ss/);
    expect(() => parseLocal('2026-02-30T01:30:00', LONDON)).toThrow(/calendar/);
  });
});
