import { describe, expect, it } from '@jest/globals';
import { age, duration, formatLocal, toLocalInput, toLocalIso, tzOffsetMs, zonedToUtc } from './time.js';

const CHI = 'America/Chicago';

describe('site local time', () => {
  it('knows the offset on both sides of a change', () => {
    expect(tzOffsetMs(Date.parse('2017-07-01T12:00:00Z'), CHI)).toBe(-5 * 3600_000);
    expect(tzOffsetMs(Date.parse('2017-12-01T12:00:00Z'), CHI)).toBe(-6 * 3600_000);
  });

  it('reads a wall time in the zone, the earlier instant in the repeated hour', () => {
    expect(new Date(zonedToUtc('2017-07-01T07:00', CHI)).toISOString()).toBe('2017-07-01T12:00:00.000Z');
    expect(new Date(zonedToUtc('2017-11-05T01:30', CHI)).toISOString()).toBe('2017-11-05T06:30:00.000Z');
    // 02:30 does not exist on 2018-03-11 in Chicago: clocks jump to 03:30 CDT.
    expect(new Date(zonedToUtc('2018-03-11T02:30', CHI)).toISOString()).toBe('2018-03-11T08:30:00.000Z');
    expect(() => zonedToUtc('yesterday', CHI)).toThrow('not a local time');
  });

  it('writes instants in the zone', () => {
    const ms = Date.parse('2017-11-05T07:00:00Z');
    expect(toLocalInput(ms, CHI)).toBe('2017-11-05T01:00');
    expect(toLocalIso(ms, CHI)).toBe('2017-11-05T01:00:00-06:00');
    expect(toLocalIso(ms, 'UTC')).toBe('2017-11-05T07:00:00Z');
    expect(toLocalIso(Date.parse('2017-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2017-01-01T05:30:00+05:30');
    expect(formatLocal(ms, CHI)).toBe('2017-11-05 01:00 CST');
  });

  it('says an age in words', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    expect(age(now - 5_000, now)).toBe('just now');
    expect(age(now - 12 * 60_000, now)).toBe('12 min ago');
    expect(age(now - 3 * 3600_000, now)).toBe('3 h ago');
    expect(age(now - 86_400_000, now)).toBe('1 day ago');
    expect(age(now - 3 * 365 * 86_400_000, now)).toBe('3 years ago');
  });
});

describe('durations', () => {
  it('says a lag in the largest sensible unit', () => {
    expect([0, 42.4, 89, 90, 720, 5399, 5400, 12_600, 172_799, 172_800, 864_000].map(duration)).toEqual([
      '0 s',
      '42 s',
      '89 s',
      '2 min',
      '12 min',
      '90 min',
      '1.5 h',
      '3.5 h',
      '48 h',
      '2 days',
      '10 days',
    ]);
  });
});
