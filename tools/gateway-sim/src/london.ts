/**
 * Local wall-clock time of an IANA zone (Europe/London for the Secure cloud), written the way the
 * Secure API writes LUTs: `yyyy-MM-ddTHH:mm:ss`, no offset. Uses the runtime's Intl zone data.
 */

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

// Zone offsets change at most once a day and only on quarter-hour boundaries of UTC, so a day
// with the same offset at both ends has it throughout (one look-up serves the whole day), and a
// day of change is looked up per quarter hour. The simulators ask millions of times.
const DAY = 86_400_000;
const QUARTER = 900_000;
const offsetsByZone = new Map<string, Map<number, number>>();

function cachedOffset(quarter: number, zone: string): number {
  let offsets = offsetsByZone.get(zone);
  if (!offsets) offsetsByZone.set(zone, (offsets = new Map()));
  let offset = offsets.get(quarter);
  if (offset === undefined) {
    const probe = quarter * QUARTER;
    offset = intlWallMs(probe, zone) - probe;
    if (offsets.size > 100_000) offsets.clear();
    offsets.set(quarter, offset);
  }
  return offset;
}

/** Local wall-clock fields of an instant, as if they were UTC (epoch ms). */
export function localWallMs(utcMs: number, zone: string): number {
  const firstQuarter = Math.floor(utcMs / DAY) * 96;
  const first = cachedOffset(firstQuarter, zone);
  if (first === cachedOffset(firstQuarter + 95, zone)) return utcMs + first;
  return utcMs + cachedOffset(Math.floor(utcMs / QUARTER), zone);
}

function intlWallMs(utcMs: number, zone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(utcMs))) parts[p.type] = p.value;
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

/** Offset of the zone at an instant, in minutes east of UTC (London: 0 or 60). */
export function zoneOffsetMinutes(utcMs: number, zone: string): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  return Math.round((localWallMs(whole, zone) - whole) / 60_000);
}

/** `yyyy-MM-ddTHH:mm:ss` in the zone's local time (seconds truncated). */
export function formatLocal(utcMs: number, zone: string): string {
  return new Date(localWallMs(Math.floor(utcMs / 1000) * 1000, zone)).toISOString().slice(0, 19);
}

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/**
 * Every UTC instant whose local time in the zone is `local`, earliest first: one normally, two
 * in the repeated hour of an autumn change, none in the skipped hour of a spring change.
 * Throws on a string that is not `yyyy-MM-ddTHH:mm:ss`.
 */
export function parseLocal(local: string, zone: string): number[] {
  const m = LOCAL_PATTERN.exec(local);
  if (!m) throw new Error(`not a local time yyyy-MM-ddTHH:mm:ss: "${local}"`);
  const wall = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  if (new Date(wall).toISOString().slice(0, 19) !== local) throw new Error(`not a calendar time: "${local}"`);
  const found = new Set<number>();
  // Zone offsets in use are within ±14 h; trying the offsets seen around the wall time finds all.
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
    const utc = wall - zoneOffsetMinutes(probe, zone) * 60_000;
    if (formatLocal(utc, zone) === local) found.add(utc);
  }
  return [...found].sort((a, b) => a - b);
}
