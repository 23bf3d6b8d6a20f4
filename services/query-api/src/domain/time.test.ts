import { describe, expect, it } from '@jest/globals';
import * as luxon from 'luxon';
import { HttpError } from '@ep/http/errors';
import {
  buckets,
  chooseSource,
  formatInstant,
  parseFns,
  parseInstant,
  parseInterval,
  parseRange,
  parseTimeZone,
} from './time.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const hours = (b: { start: number; end: number }) => (b.end - b.start) / H;

describe('buckets on the local calendar', () => {
  it('makes 2017-11-05 in America/Chicago one 25-hour day and 2018-03-11 a 23-hour day', () => {
    const fall = buckets(
      { from: at('2017-11-04T05:00:00Z'), to: at('2017-11-07T06:00:00Z') },
      '1d',
      'America/Chicago',
    );
    expect(fall.map(hours)).toEqual([24, 25, 24]);
    expect(new Date(fall[1]!.start).toISOString()).toBe('2017-11-05T05:00:00.000Z');
    const spring = buckets(
      { from: at('2018-03-11T06:00:00Z'), to: at('2018-03-12T05:00:00Z') },
      '1d',
      'America/Chicago',
    );
    expect(spring.map(hours)).toEqual([23]);
  });

  it('makes 2018-03-25 in Europe/London a 23-hour day', () => {
    const list = buckets(
      { from: at('2018-03-25T00:00:00Z'), to: at('2018-03-25T23:00:00Z') },
      '1d',
      'Europe/London',
    );
    expect(list).toEqual([{ start: at('2018-03-25T00:00:00Z'), end: at('2018-03-25T23:00:00Z') }]);
  });

  it('keeps the repeated fall-back hour as two hourly buckets', () => {
    const list = buckets(
      { from: at('2017-11-05T05:00:00Z'), to: at('2017-11-05T09:00:00Z') },
      '1h',
      'America/Chicago',
    );
    expect(list.map((b) => new Date(b.start).toISOString().slice(11, 13))).toEqual(['05', '06', '07', '08']);
  });

  it('widens a range to whole buckets and starts weeks on Monday', () => {
    const list = buckets(
      { from: at('2017-11-08T12:00:00Z'), to: at('2017-11-08T13:00:00Z') },
      '1w',
      'America/Chicago',
    );
    expect(formatInstant(list[0]!.start, 'America/Chicago')).toBe('2017-11-06T00:00:00-06:00');
    expect(formatInstant(list[0]!.end, 'America/Chicago')).toBe('2017-11-13T00:00:00-06:00');
  });

  it('aligns hours to half-hour zones and refuses more than 100,000 buckets naming interval', () => {
    const list = buckets(
      { from: at('2020-01-01T00:00:00Z'), to: at('2020-01-01T02:00:00Z') },
      '1h',
      'Asia/Kolkata',
    );
    expect(new Date(list[0]!.start).toISOString()).toBe('2019-12-31T23:30:00.000Z');
    expect(chooseSource('1h', 'Asia/Kolkata', 'Asia/Kolkata', list)).toBe('raw');
    expect(() => buckets({ from: 0, to: 200_000 * 15 * 60_000 }, '15m', 'UTC')).toThrow(
      /interval: .*100,000 buckets/,
    );
  });
});

describe('choosing the table that answers', () => {
  const days = buckets(
    { from: at('2018-01-01T06:00:00Z'), to: at('2018-02-01T06:00:00Z') },
    '1d',
    'America/Chicago',
  );
  it('uses daily rollups in the site zone, hourly in another whole-hour zone, raw for 15m', () => {
    expect(chooseSource('1d', 'America/Chicago', 'America/Chicago', days)).toBe('daily');
    expect(chooseSource('1d', 'America/Chicago', 'Europe/London', days)).toBe('hourly');
    expect(chooseSource('1h', 'UTC', 'UTC', [])).toBe('hourly');
    expect(chooseSource('15m', 'UTC', 'UTC', [])).toBe('raw');
  });
});

describe('parameters', () => {
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      return (err as Error).message;
    }
    throw new Error('did not throw');
  };
  it('names the parameter and the allowed values', () => {
    expect(message(() => parseInterval('2h'))).toBe(
      'interval: unknown interval "2h"; allowed: 15m, 1h, 1d, 1w, 1mo',
    );
    expect(message(() => parseFns('avg,median'))).toMatch(/^fn: unknown function median; allowed: avg, min/);
    expect(message(() => parseTimeZone('Mars/Olympus'))).toMatch(/^tz: unknown time zone "Mars\/Olympus"/);
    expect(message(() => parseRange('2018-01-02', '2018-01-01'))).toMatch(/^to: must be after from/);
    expect(message(() => parseRange('yesterday', '2018-01-01'))).toMatch(/^from: "yesterday" is not a time/);
  });
  it('reads ISO with or without offset (UTC) and epoch ms', () => {
    expect(parseInstant('2018-03-25T01:00:00+01:00', 'from')).toBe(at('2018-03-25T00:00:00Z'));
    expect(parseInstant('2018-03-25T01:00:00', 'from')).toBe(at('2018-03-25T01:00:00Z'));
    expect(parseInstant('2018-03-25', 'from')).toBe(at('2018-03-25T00:00:00Z'));
    expect(parseInstant('1521939600000', 'from')).toBe(1521939600000);
    // A date alone is a local day where a zone is known: the 26th starts at 06:00 UTC in Chicago.
    expect(parseInstant('2017-12-26', 'from', 'America/Chicago')).toBe(at('2017-12-26T06:00:00Z'));
    expect(parseInstant('2018-03-25', 'to', 'Europe/London')).toBe(at('2018-03-25T00:00:00Z'));
    expect(parseInstant('2018-07-01', 'to', 'Europe/London')).toBe(at('2018-06-30T23:00:00Z'));
    expect(parseTimeZone('europe/london')).toBe('Europe/London');
  });
  it('refuses times PostgreSQL or the formatter cannot hold, naming the parameter and the range', () => {
    for (const [parameter, value] of [
      ['from', '-99999999999999'],
      ['from', '-62198755200000'],
      ['to', '+275760-09-13T00:00:00Z'],
      ['to', '9999-06-01T00:00:00Z'],
      ['from', '0999-12-31T23:59:59Z'],
    ] as const)
      expect(message(() => parseInstant(value, parameter))).toBe(
        `${parameter}: "${value}" is out of range; times must be from 1000-01-01T00:00:00.000Z (-30610224000000) to 9999-01-01T00:00:00.000Z (253370764800000)`,
      );
    expect(parseInstant('1000-01-01T00:00:00Z', 'from')).toBe(Date.UTC(1000, 0, 1));
    expect(parseInstant('9999-01-01T00:00:00Z', 'to')).toBe(Date.UTC(9999, 0, 1));
  });
});

describe('times at the edges of the calendar', () => {
  it('writes the local mean time offsets of zones before standard time in whole seconds', () => {
    // Chicago kept local mean time (-5:50:36) until 18 November 1883; PostgreSQL prints the same.
    const ms = Date.parse('1849-12-31T05:50:36Z');
    expect(formatInstant(ms, 'America/Chicago')).toBe('1849-12-31T00:00:00-05:50:36');
    const [day] = buckets({ from: ms, to: ms + 1 }, '1d', 'America/Chicago');
    expect(formatInstant(day!.start, 'America/Chicago')).toBe('1849-12-31T00:00:00-05:50:36');
    expect(formatInstant(day!.end, 'America/Chicago')).toBe('1850-01-01T00:00:00-05:50:36');
  });

  it('keeps every bucket of the widest accepted range inside four-digit years', () => {
    for (const tz of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'America/Chicago']) {
      for (const interval of ['1w', '1mo'] as const) {
        const first = buckets({ from: Date.UTC(1000, 0, 1), to: Date.UTC(1000, 0, 2) }, interval, tz);
        const last = buckets({ from: Date.UTC(9998, 11, 31), to: Date.UTC(9999, 0, 1) }, interval, tz);
        for (const b of [...first, ...last])
          for (const edge of [
            formatInstant(b.start, tz),
            formatInstant(b.end, tz),
            new Date(b.start).toISOString(),
          ])
            expect(edge).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      }
    }
  });
});

describe('the calendar arithmetic agrees with luxon', () => {
  it.each([
    'America/Chicago',
    'Europe/London',
    'Asia/Kolkata',
    'Australia/Lord_Howe',
    'America/Sao_Paulo',
    'UTC',
  ])('in %s', (tz) => {
    const { DateTime } = luxon;
    for (
      let ms = Date.parse('2015-01-01T00:00:00Z');
      ms < Date.parse('2017-01-01T00:00:00Z');
      ms += 19 * 3_600_000 + 13 * 60_000
    ) {
      const dt = DateTime.fromMillis(ms, { zone: tz });
      for (const [interval, unit] of [
        ['1d', 'day'],
        ['1w', 'week'],
        ['1mo', 'month'],
      ] as const) {
        const [b] = buckets({ from: ms, to: ms + 1 }, interval, tz);
        expect([interval, ms, b!.start]).toEqual([interval, ms, dt.startOf(unit).toMillis()]);
        expect([interval, ms, b!.end]).toEqual([
          interval,
          ms,
          dt
            .startOf(unit)
            .plus({ [unit + 's']: 1 })
            .startOf(unit)
            .toMillis(),
        ]);
      }
      expect(formatInstant(ms, tz)).toBe(
        tz === 'UTC'
          ? new Date(ms).toISOString().replace('.000Z', 'Z')
          : dt.toISO({ suppressMilliseconds: true }),
      );
    }
  });
});
