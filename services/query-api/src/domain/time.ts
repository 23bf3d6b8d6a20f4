import { formatUtc } from '@ep/contracts';
import { DateTime } from 'luxon';
import { badParameter } from './errors.js';

export const INTERVALS = ['15m', '1h', '1d', '1w', '1mo'] as const;
export type Interval = (typeof INTERVALS)[number];

export const FNS = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last', 'delta', 'demand'] as const;
export type Fn = (typeof FNS)[number];

/** Functions of counters (meter totals such as kWh): use per bucket, and use per hour. */
export const COUNTER_FNS: readonly Fn[] = ['delta', 'demand'];

/** More buckets than this in one answer is refused: it is a mistake, not a chart. */
export const MAX_BUCKETS = 100_000;

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * The canonical IANA name of a time zone, or a 400 naming `parameter`. Intl and PostgreSQL both
 * use the IANA database, so a zone Intl knows is one PostgreSQL knows.
 */
const zones = new Map<string, string>();

export function parseTimeZone(value: string, parameter = 'tz'): string {
  const known = zones.get(value);
  if (known) return known;
  try {
    const zone = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    // Intl accepts offsets such as "+05:00"; we want named zones, whose calendar has DST rules.
    if (!/^[A-Za-z]/.test(zone)) throw new Error('offset');
    if (zones.size < 10_000) zones.set(value, zone);
    return zone;
  } catch {
    throw badParameter(
      parameter,
      `unknown time zone "${value}"; use an IANA name such as Europe/London or UTC`,
    );
  }
}

/** The `tz` a request asks for: the keyword `site`, or a zone (canonical IANA name). */
export type RequestedZone = 'site' | string;

/**
 * The `tz` parameter: `site` (the zone of the point's site), or an IANA name (`UTC` included);
 * undefined when absent. Checked before anything is read, so a bad zone is a 400 naming `tz`.
 */
export function parseRequestedZone(value: string | undefined): RequestedZone | undefined {
  if (value === undefined) return undefined;
  if (value === 'site') return 'site';
  try {
    return parseTimeZone(value, 'tz');
  } catch {
    throw badParameter(
      'tz',
      `unknown time zone "${value}"; use site (the site's own zone), UTC or an IANA name such as Europe/London`,
    );
  }
}

/** The zone a request answers in: the site's for `site`, `fallback` when tz is absent. */
export function answerZone(
  requested: RequestedZone | undefined,
  siteTz: string,
  fallback: 'site' | 'UTC',
): string {
  const zone = requested ?? fallback;
  return zone === 'site' ? siteTz : zone;
}

export function parseInterval(value: string): Interval {
  if ((INTERVALS as readonly string[]).includes(value)) return value as Interval;
  throw badParameter('interval', `unknown interval "${value}"; allowed: ${INTERVALS.join(', ')}`);
}

/** A comma-separated fn list; duplicates dropped, order kept. */
export function parseFns(value: string | undefined, parameter = 'fn'): Fn[] {
  const list = (value ?? 'avg')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((f) => !(FNS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw badParameter(parameter, `unknown function ${unknown.join(', ')}; allowed: ${FNS.join(', ')}`);
  }
  if (list.length === 0) throw badParameter(parameter, `no function given; allowed: ${FNS.join(', ')}`);
  return [...new Set(list)] as Fn[];
}

/**
 * The instants the API takes: years 1000 to 9998 in UTC. Inside it every bucket a range widens to
 * (at most a month and a week on either side, in any zone) still has a four-digit year, which
 * PostgreSQL, Intl and ISO-8601 without expanded years all hold; outside it PostgreSQL refused
 * some times mid-answer (a 500, or a CSV cut after its header).
 */
export const EARLIEST_MS = Date.UTC(1000, 0, 1);
export const LATEST_MS = Date.UTC(9999, 0, 1);

/**
 * An instant given as ISO-8601 or epoch ms. A time without an offset is read as UTC; a date
 * without a time (`2017-12-26`) is midnight starting that day in `dateZone` — the site's zone
 * where there is one, as an energy manager means "the 26th".
 */
export function parseInstant(value: string, parameter: string, dateZone = 'UTC'): number {
  const text = value.trim();
  let ms: number;
  if (/^-?\d{1,16}$/.test(text)) ms = Number(text);
  else if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = DateTime.fromISO(text, { zone: dateZone });
    if (!day.isValid) throw badParameter(parameter, `"${value}" is not a date; use YYYY-MM-DD`);
    ms = day.toMillis();
  } else {
    const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text) && /T|\s/.test(text);
    const dt = DateTime.fromISO(text, { zone: 'UTC', setZone: hasZone });
    if (!dt.isValid) {
      throw badParameter(
        parameter,
        `"${value}" is not a time; use ISO-8601 (2018-03-25T00:00:00Z) or epoch milliseconds`,
      );
    }
    ms = dt.toMillis();
  }
  if (!(ms >= EARLIEST_MS && ms <= LATEST_MS)) {
    throw badParameter(
      parameter,
      `"${value}" is out of range; times must be from ${new Date(EARLIEST_MS).toISOString()} (${EARLIEST_MS}) to ${new Date(LATEST_MS).toISOString()} (${LATEST_MS})`,
    );
  }
  return ms;
}

export interface TimeRange {
  from: number;
  to: number;
}

/** from < to, both given; 400 naming the parameter otherwise. Dates are days of `dateZone`. */
export function parseRange(from: string | undefined, to: string | undefined, dateZone = 'UTC'): TimeRange {
  if (from === undefined) throw badParameter('from', 'required; ISO-8601 time or epoch milliseconds');
  if (to === undefined) throw badParameter('to', 'required; ISO-8601 time or epoch milliseconds');
  const range = { from: parseInstant(from, 'from', dateZone), to: parseInstant(to, 'to', dateZone) };
  if (range.to <= range.from)
    throw badParameter('to', `must be after from (${from}); the range is [from, to)`);
  return range;
}

export interface Bucket {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms: 23, 24 or 25 hours after a daily start across DST. */
  end: number;
}

const DAY = 24 * HOUR;
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const WALL = /(\d+)\/(\d+)\/(\d+),?\s+(\d+):(\d+):(\d+)/;

/**
 * UTC offset of `tz` at instant `ms`, in ms. Intl's format() (about 1 µs, five times cheaper
 * than formatToParts and far cheaper than a luxon DateTime) gives the wall clock; results are
 * memoised, since ten years of daily buckets ask for some 7,000 offsets per request.
 */
export function zoneOffsetMs(ms: number, tz: string): number {
  if (tz === 'UTC') return 0;
  let cache = offsets.get(tz);
  if (!cache) {
    cache = new Map();
    offsets.set(tz, cache);
  }
  const hit = cache.get(ms);
  if (hit !== undefined) return hit;
  let dtf = formatters.get(tz);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, dtf);
  }
  const m = WALL.exec(dtf.format(ms));
  if (!m) throw new Error(`cannot read the wall clock of ${tz}`);
  const wall = Date.UTC(
    Number(m[3]),
    Number(m[1]) - 1,
    Number(m[2]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  const offset = wall - (ms - (((ms % 1000) + 1000) % 1000));
  if (cache.size > 200_000) cache.clear();
  cache.set(ms, offset);
  return offset;
}

/**
 * The instant of a local wall-clock time (`wall`: the wall clock read as if it were UTC).
 * A wall time skipped by a spring-forward gap is read with the offset before the gap, as
 * PostgreSQL does.
 */
function wallToInstant(wall: number, tz: string, hint: number): number {
  const o1 = zoneOffsetMs(wall - hint, tz);
  if (o1 === hint) return wall - hint;
  const o2 = zoneOffsetMs(wall - o1, tz);
  if (o2 === o1) return wall - o1;
  return wall - Math.min(o1, o2);
}

/** Local midnight starting the day, ISO week (Monday) or month holding `wall`. */
function truncateWall(wall: number, unit: 'day' | 'week' | 'month'): number {
  const day = Math.floor(wall / DAY) * DAY;
  if (unit === 'day') return day;
  if (unit === 'week') return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
  const d = new Date(day);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

const UNIT = { '1d': 'day', '1w': 'week', '1mo': 'month' } as const;

/**
 * Start of the bucket holding `ms`, on the local calendar of `tz`. It mirrors the SQL that groups
 * rows (bucketSql in db/aggregate.ts): 15m and 1h keep the instant's UTC offset when truncating,
 * as PostgreSQL's date_trunc(unit, ts, tz) does for units below a day, so the repeated hour of a
 * DST fall-back is two buckets; days, ISO weeks (Monday) and months start at local midnight.
 */
export function bucketStart(ms: number, interval: Interval, tz: string): number {
  const offset = zoneOffsetMs(ms, tz);
  if (interval === '15m' || interval === '1h') {
    const size = interval === '15m' ? 15 * MINUTE : HOUR;
    const local = ms + offset;
    return ms - (((local % size) + size) % size);
  }
  return wallToInstant(truncateWall(ms + offset, UNIT[interval]), tz, offset);
}

function nextStart(start: number, interval: Interval, tz: string): number {
  if (interval === '15m') return start + 15 * MINUTE;
  if (interval === '1h') return start + HOUR;
  const offset = zoneOffsetMs(start, tz);
  // Truncated again: a start moved out of a DST gap at midnight is not on a midnight itself.
  const wall = truncateWall(start + offset, UNIT[interval]);
  let next: number;
  if (interval === '1d') next = wall + DAY;
  else if (interval === '1w') next = wall + 7 * DAY;
  else {
    const d = new Date(wall);
    next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return wallToInstant(next, tz, offset);
}

const SHORTEST_MS: Record<Interval, number> = {
  '15m': 15 * MINUTE,
  '1h': HOUR,
  '1d': 23 * HOUR,
  '1w': 7 * 24 * HOUR - HOUR,
  '1mo': 28 * 24 * HOUR - HOUR,
};

/**
 * The buckets covering [from, to): the first holds `from`, the last holds `to - 1 ms`. Aggregates
 * cover whole buckets, so a range that cuts a day still gets that whole day — which is also what
 * lets rollups answer exactly. Refuses more than MAX_BUCKETS with a 400.
 */
export function buckets(range: TimeRange, interval: Interval, tz: string): Bucket[] {
  const tooMany = () =>
    badParameter(
      'interval',
      `${interval} over this range gives more than ${MAX_BUCKETS.toLocaleString('en-US')} buckets; use a longer interval (${INTERVALS.join(', ')}) or a shorter range`,
    );
  if ((range.to - range.from) / SHORTEST_MS[interval] > MAX_BUCKETS + 2) throw tooMany();
  const out: Bucket[] = [];
  let start = bucketStart(range.from, interval, tz);
  while (start < range.to) {
    const end = nextStart(start, interval, tz);
    out.push({ start, end });
    if (out.length > MAX_BUCKETS) throw tooMany();
    start = end;
  }
  return out;
}

/** Which stored table answers an aggregate exactly. */
export type AggregateSource = 'raw' | 'hourly' | 'daily';

/**
 * Daily rollups follow the site's calendar, so they answer 1d/1w/1mo in the site's own zone.
 * Hourly rollups answer any interval of an hour or more whose bucket edges all fall on UTC hours
 * (whole-hour offsets). Everything else — 15m, or zones such as Asia/Kolkata — reads raw rows.
 */
export function chooseSource(
  interval: Interval,
  tz: string,
  siteTz: string,
  list: Bucket[],
): AggregateSource {
  if (interval === '15m') return 'raw';
  if (interval !== '1h' && tz === siteTz) return 'daily';
  if (list.every((b) => b.start % HOUR === 0 && b.end % HOUR === 0)) return 'hourly';
  return 'raw';
}

/**
 * ISO-8601 of an instant in `tz`, with its offset ("Z" for UTC), milliseconds when not zero —
 * as PostgreSQL prints samples. Offsets are ±hh:mm, or ±hh:mm:ss for the local mean time
 * zones had before standard time (Chicago until 1883: -05:50:36), again as PostgreSQL prints them.
 */
export function formatInstant(ms: number, tz: string): string {
  if (tz === 'UTC') return formatUtc(ms);
  const offset = zoneOffsetMs(ms, tz);
  const iso = new Date(ms + offset).toISOString();
  // Bucket edges are whole minutes: drop ".000" rather than print it thousands of times.
  const local =
    iso.charCodeAt(20) === 48 && iso.charCodeAt(21) === 48 && iso.charCodeAt(22) === 48
      ? iso.slice(0, 19)
      : iso.slice(0, 23);
  // Offsets are whole seconds (tzdata's LMT ones too): zoneOffsetMs reads a wall clock in seconds.
  const abs = Math.round(Math.abs(offset) / 1000);
  const hh = Math.floor(abs / 3600);
  const mm = Math.floor(abs / 60) % 60;
  const ss = abs % 60;
  const sign = offset < 0 ? '-' : '+';
  const hhmm = `${local}${sign}${hh < 10 ? '0' : ''}${hh}:${mm < 10 ? '0' : ''}${mm}`;
  return ss === 0 ? hhmm : `${hhmm}:${ss < 10 ? '0' : ''}${ss}`;
}
