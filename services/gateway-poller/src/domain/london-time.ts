/**
 * Secure gateways write every `LUT` as Europe/London wall-clock time with no offset
 * (`2026-10-25T01:30:00`). Twice a year that is not one instant: in March an hour of wall-clock
 * time never happens, in October one happens twice. These functions turn such a time into UTC.
 */

const LUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
export const LONDON = 'Europe/London';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall-clock time of `ms` in `zone`, written as a LUT (`yyyy-MM-ddTHH:mm:ss`). */
export function toLocalLut(ms: number, zone = LONDON): string {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}`;
}

/** Wall-clock fields read as if they were UTC, in ms; undefined when `lut` is not a LUT. */
export function naiveMs(lut: string): number | undefined {
  const m = LUT.exec(lut);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls month 13 into January: a field out of range is not a LUT.
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return ms;
}

/** Offset of `zone` from UTC at instant `ms`, in ms (BST: +3_600_000). */
function offsetAt(ms: number, zone: string): number {
  const local = naiveMs(toLocalLut(ms, zone));
  return (local ?? ms) - Math.floor(ms / 1000) * 1000;
}

/**
 * Every UTC instant whose wall-clock time in `zone` is `lut`, earliest first: one normally, two in
 * the repeated hour, none in the skipped hour.
 */
export function instantsOf(lut: string, zone = LONDON): number[] {
  const naive = naiveMs(lut);
  if (naive === undefined) return [];
  // The offsets in force a day either side cover both sides of any change of offset.
  const offsets = new Set([offsetAt(naive - 86_400_000, zone), offsetAt(naive + 86_400_000, zone)]);
  const out: number[] = [];
  for (const offset of offsets) {
    const candidate = naive - offset;
    if (toLocalLut(candidate, zone) === lut) out.push(candidate);
  }
  return out.sort((a, b) => a - b);
}

/**
 * The UTC instant of a LUT. In the repeated hour the first instant is taken unless it lies before
 * `lastSeenMs` (the latest instant already read from this gateway): a LUT earlier than the last
 * one seen is the second pass through that hour. A LUT in the skipped hour (which a correct clock
 * never writes) is read with the offset in force before the change, i.e. moved an hour on.
 * Undefined when `lut` is not a LUT.
 */
export function lutToUtc(lut: string, lastSeenMs?: number, zone = LONDON): number | undefined {
  const candidates = instantsOf(lut, zone);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    const [first, second] = candidates as [number, number];
    return lastSeenMs !== undefined && first < lastSeenMs ? second : first;
  }
  const naive = naiveMs(lut);
  if (naive === undefined) return undefined;
  return naive - offsetAt(naive - 86_400_000, zone);
}
