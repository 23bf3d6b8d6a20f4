import { describe, expect, it } from '@jest/globals';
import { formatOffsetHours, localTime, localTimeFromPg, wallText } from './local-time.js';

describe('times for spreadsheets', () => {
  it('gives the wall clock and offset of each side of a fall-back, from an instant or PostgreSQL text', () => {
    const before = localTime(Date.parse('2026-10-25T00:30:00Z'), 'Europe/London');
    const after = localTime(Date.parse('2026-10-25T01:30:00Z'), 'Europe/London');
    expect([wallText(before.wall), formatOffsetHours(before.offset)]).toEqual(['2026-10-25 01:30:00', 1]);
    expect([wallText(after.wall), formatOffsetHours(after.offset)]).toEqual(['2026-10-25 01:30:00', 0]);
    expect(localTimeFromPg('2026-10-25 01:30:00+01')).toEqual(before);
    expect(localTimeFromPg('2026-10-25 01:30:00+00')).toEqual(after);
  });

  it('reads fractions, half-hour and local mean time offsets', () => {
    const t = localTimeFromPg('1849-12-31 23:59:59.25-05:50:36');
    expect(wallText(t.wall)).toBe('1849-12-31 23:59:59.250');
    expect(formatOffsetHours(t.offset)).toBe(-5.843333);
    expect(formatOffsetHours(localTimeFromPg('2020-01-01 05:30:00+05:30').offset)).toBe(5.5);
  });
});
