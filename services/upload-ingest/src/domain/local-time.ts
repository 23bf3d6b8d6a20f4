import { IANAZone } from 'luxon';

/** Wall-clock fields of a local time, as read from a file. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export type Resolved = { ok: true; ms: number } | { ok: false; reason: string };

const HOUR_MS = 3_600_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function formatLocal(t: LocalTime): string {
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

/**
 * Turns local wall-clock times of one site into UTC instants, DST included.
 *
 * A time in the repeated fall-back hour has two instants. Files list readings in time order, so
 * the first time a series shows a given local time it is the earlier (daylight) instant, and the
 * second time the later (standard) one — tracked per series (one per file for a wide report,
 * one per point for a long export). A time in the spring-forward gap never happened on the
 * site's clock: it is refused with the reason rather than guessed.
 */
export class LocalTimeResolver {
  private readonly zone: IANAZone;
  /** Local times in a repeated hour already seen, per series, and how often. */
  private readonly seen = new Map<string, Map<number, number>>();

  constructor(readonly timeZone: string) {
    const zone = IANAZone.create(timeZone);
    if (!zone.isValid) throw new Error(`unknown IANA time zone "${timeZone}"`);
    this.zone = zone;
  }

  /**
   * Per local day (its naive UTC midnight): the zone's one offset in minutes when no transition
   * comes near that day, or null. Asking the zone costs an Intl formatting call, and a trend
   * file holds hundreds of rows per day, so each day is asked about twice, not each row thrice.
   */
  private readonly dayOffsets = new Map<number, number | null>();

  /** Both candidate instants of a wall-clock time (0 in a gap, 2 in a repeated hour). */
  candidates(t: LocalTime): number[] {
    const naive = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
    const day = Date.UTC(t.year, t.month - 1, t.day);
    let dayOffset = this.dayOffsets.get(day);
    if (dayOffset === undefined) {
      // Offsets run from -12 h to +14 h, so the day's local times are instants between 14 h
      // before its naive midnight and 36 h after. The same offset at both ends means no
      // transition in between (transitions are months apart; two that cancel out within two
      // days do not occur).
      const before = this.zone.offset(day - 14 * HOUR_MS);
      dayOffset = before === this.zone.offset(day + 36 * HOUR_MS) ? before : null;
      this.dayOffsets.set(day, dayOffset);
    }
    if (dayOffset !== null) return [naive - dayOffset * 60_000];
    // Offsets half a day either side cover the one transition a day can hold.
    const offsets = new Set([this.zone.offset(naive - 12 * HOUR_MS), this.zone.offset(naive + 12 * HOUR_MS)]);
    const out: number[] = [];
    for (const offsetMin of offsets) {
      const instant = naive - offsetMin * 60_000;
      if (this.zone.offset(instant) === offsetMin) out.push(instant);
    }
    return out.sort((a, b) => a - b);
  }

  resolve(t: LocalTime, series = ''): Resolved {
    const found = this.candidates(t);
    if (found.length === 1) return { ok: true, ms: found[0]! };
    if (found.length === 0) {
      return {
        ok: false,
        reason: `local time ${formatLocal(t)} does not exist in ${this.timeZone} (clocks jump forward over it)`,
      };
    }
    let perSeries = this.seen.get(series);
    if (!perSeries) {
      perSeries = new Map();
      this.seen.set(series, perSeries);
    }
    const key = found[0]!;
    const count = perSeries.get(key) ?? 0;
    perSeries.set(key, count + 1);
    if (count < found.length) return { ok: true, ms: found[count]! };
    return {
      ok: false,
      reason: `local time ${formatLocal(t)} appears a third time; in ${this.timeZone} it repeats only once (fall back)`,
    };
  }
}

const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  if (m === 2) return d <= (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28);
  return d <= MONTH_DAYS[m - 1]!;
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export type ParsedTime = { local: LocalTime } | { instantMs: number } | { error: string };

/** Reads `M/D/YYYY` plus `H:MM[:SS][ AM|PM]` (Insight, WebCTRL). */
export function parseUsDateTime(date: string, time: string): { local: LocalTime } | { error: string } {
  const d = US_DATE.exec(date.trim());
  if (!d) return { error: `date "${date}" is not M/D/YYYY` };
  const t = TIME.exec(time.trim());
  if (!t) return { error: `time "${time}" is not H:MM:SS` };
  const year = Number(d[3]);
  const month = Number(d[1]);
  const day = Number(d[2]);
  if (!validDate(year, month, day)) return { error: `date "${date}" does not exist` };
  let hour = Number(t[1]);
  const minute = Number(t[2]);
  const second = t[3] ? Number(t[3]) : 0;
  const ampm = t[4]?.toUpperCase();
  if (ampm) {
    if (hour < 1 || hour > 12) return { error: `time "${time}" has hour ${hour} with ${ampm}M` };
    hour = (hour % 12) + (ampm === 'P' ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return { error: `time "${time}" is out of range` };
  return { local: { year, month, day, hour, minute, second } };
}

/**
 * Reads one timestamp field: `M/D/YYYY h:mm[:ss] [AM/PM]` or ISO 8601. ISO with an offset or Z is
 * already an instant; anything else is local to the site.
 */
export function parseTimestampField(text: string): ParsedTime {
  const s = text.trim();
  const iso = ISO.exec(s);
  if (iso) {
    if (iso[7]) {
      const ms = Date.parse(s.replace(' ', 'T'));
      return Number.isNaN(ms) ? { error: `timestamp "${text}" is not a valid ISO time` } : { instantMs: ms };
    }
    const local = {
      year: Number(iso[1]),
      month: Number(iso[2]),
      day: Number(iso[3]),
      hour: Number(iso[4]),
      minute: Number(iso[5]),
      second: iso[6] ? Number(iso[6]) : 0,
    };
    if (
      !validDate(local.year, local.month, local.day) ||
      local.hour > 23 ||
      local.minute > 59 ||
      local.second > 59
    ) {
      return { error: `timestamp "${text}" is out of range` };
    }
    return { local };
  }
  const space = s.indexOf(' ');
  if (space < 0) return { error: `timestamp "${text}" is neither M/D/YYYY h:mm[:ss] [AM/PM] nor ISO 8601` };
  const r = parseUsDateTime(s.slice(0, space), s.slice(space + 1));
  if ('error' in r) return { error: `timestamp "${text}": ${r.error}` };
  return r;
}
