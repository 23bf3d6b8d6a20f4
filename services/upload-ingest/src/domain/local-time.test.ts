import { describe, expect, it } from '@jest/globals';
import { IANAZone } from 'luxon';
import { LocalTimeResolver, parseTimestampField, parseUsDateTime, type LocalTime } from './local-time.js';

const at = (date: string, time: string): LocalTime => {
  const r = parseUsDateTime(date, time);
  if ('error' in r) throw new Error(r.error);
  return r.local;
};
const iso = (r: ReturnType<LocalTimeResolver['resolve']>) => (r.ok ? new Date(r.ms).toISOString() : r.reason);

describe('LocalTimeResolver, America/Chicago', () => {
  it('maps the repeated hour of 2017-11-05 to CDT first and CST the second time', () => {
    const tz = new LocalTimeResolver('America/Chicago');
    const got = ['00:45:00', '01:00:00', '01:30:00', '01:00:00', '01:30:00', '02:00:00'].map((t) =>
      iso(tz.resolve(at('11/5/2017', t))),
    );
    expect(got).toEqual([
      '2017-11-05T05:45:00.000Z', // 00:45 CDT (UTC-5)
      '2017-11-05T06:00:00.000Z', // 01:00 CDT
      '2017-11-05T06:30:00.000Z', // 01:30 CDT
      '2017-11-05T07:00:00.000Z', // 01:00 CST (UTC-6), second occurrence
      '2017-11-05T07:30:00.000Z', // 01:30 CST
      '2017-11-05T08:00:00.000Z', // 02:00 CST
    ]);
  });

  it('tracks the repeated hour per series: two points each get both instants', () => {
    const tz = new LocalTimeResolver('America/Chicago');
    const t = at('11/5/2017', '1:15:00');
    expect([
      iso(tz.resolve(t, 'a')),
      iso(tz.resolve(t, 'b')),
      iso(tz.resolve(t, 'b')),
      iso(tz.resolve(t, 'a')),
    ]).toEqual([
      '2017-11-05T06:15:00.000Z',
      '2017-11-05T06:15:00.000Z',
      '2017-11-05T07:15:00.000Z',
      '2017-11-05T07:15:00.000Z',
    ]);
    expect(iso(tz.resolve(t, 'a'))).toMatch(/appears a third time/);
  });

  it('rejects a time in the 2018-03-11 spring-forward gap and keeps the hours around it', () => {
    const tz = new LocalTimeResolver('America/Chicago');
    expect(iso(tz.resolve(at('3/11/2018', '1:45:00')))).toBe('2018-03-11T07:45:00.000Z'); // CST
    expect(iso(tz.resolve(at('3/11/2018', '2:00:00')))).toBe(
      'local time 2018-03-11 02:00:00 does not exist in America/Chicago (clocks jump forward over it)',
    );
    expect(iso(tz.resolve(at('3/11/2018', '2:30:00')))).toMatch(/does not exist/);
    expect(iso(tz.resolve(at('3/11/2018', '3:00:00')))).toBe('2018-03-11T08:00:00.000Z'); // CDT
  });

  it('refuses an unknown zone', () => {
    expect(() => new LocalTimeResolver('Mars/Olympus')).toThrow(/unknown IANA time zone/);
  });
});

describe('timestamp fields', () => {
  it('reads Insight and WebCTRL forms', () => {
    expect(parseTimestampField('8/18/2017 1:05:00 PM')).toEqual({
      local: { year: 2017, month: 8, day: 18, hour: 13, minute: 5, second: 0 },
    });
    expect(parseTimestampField('12/1/2017 12:30 AM')).toEqual({
      local: { year: 2017, month: 12, day: 1, hour: 0, minute: 30, second: 0 },
    });
    expect(parseTimestampField('8/18/2017 13:05')).toEqual({
      local: { year: 2017, month: 8, day: 18, hour: 13, minute: 5, second: 0 },
    });
    expect(parseTimestampField('2017-08-18T13:05:00')).toEqual({
      local: { year: 2017, month: 8, day: 18, hour: 13, minute: 5, second: 0 },
    });
    expect(parseTimestampField('2017-08-18T13:05:00Z')).toEqual({ instantMs: Date.UTC(2017, 7, 18, 13, 5) });
  });

  it('names what is wrong', () => {
    expect(parseTimestampField('2/30/2018 1:00')).toEqual({
      error: expect.stringContaining('does not exist'),
    });
    expect(parseUsDateTime('13/1/2018', '0:00:00')).toEqual({
      error: expect.stringContaining('does not exist'),
    });
    expect(parseUsDateTime('1/1/2018', '25:00:00')).toEqual({
      error: expect.stringContaining('out of range'),
    });
    expect(parseTimestampField('yesterday')).toEqual({ error: expect.stringContaining('neither') });
  });
});

describe('LocalTimeResolver.candidates', () => {
  it.each(['America/Chicago', 'Australia/Lord_Howe', 'America/Santiago'])(
    'agrees with a brute-force search for every half hour of 2017 and 2018 in %s',
    (name) => {
      const resolver = new LocalTimeResolver(name);
      const zone = IANAZone.create(name);
      const HOUR = 3_600_000;
      let mismatches = 0;
      for (let day = Date.UTC(2017, 0, 1); day < Date.UTC(2019, 0, 1); day += 24 * HOUR) {
        // Brute force: every offset the zone has hourly from a day before to a day after.
        const offsets = new Set<number>();
        for (let h = -26; h <= 50; h++) offsets.add(zone.offset(day + h * HOUR));
        const d = new Date(day);
        for (let minutes = 0; minutes < 1440; minutes += 30) {
          const naive = day + minutes * 60_000;
          const expected = [...offsets]
            .map((o) => naive - o * 60_000)
            .filter((instant) => zone.offset(instant) === (naive - instant) / 60_000)
            .sort((a, b) => a - b);
          const t: LocalTime = {
            year: d.getUTCFullYear(),
            month: d.getUTCMonth() + 1,
            day: d.getUTCDate(),
            hour: Math.floor(minutes / 60),
            minute: minutes % 60,
            second: 0,
          };
          if (JSON.stringify(resolver.candidates(t)) !== JSON.stringify(expected)) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    },
  );
});
