// Time in a site's zone without a date library: Intl knows every IANA zone and its rules.

const partsFormat = new Map<string, Intl.DateTimeFormat>();

function parts(ms: number, tz: string): Record<string, number> {
  let f = partsFormat.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormat.set(tz, f);
  }
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

/** Offset of `tz` from UTC at the instant `ms`, in milliseconds (e.g. −6 h for CST). */
export function tzOffsetMs(ms: number, tz: string): number {
  const p = parts(ms, tz);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant a wall-clock time `YYYY-MM-DDTHH:mm[:ss]` names in `tz`. In a fall-back hour the
 * earlier (daylight) instant; a time in a spring-forward gap moves forward by the gap, as clocks do.
 */
export function zonedToUtc(local: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) throw new Error(`not a local time: "${local}" (expected YYYY-MM-DDTHH:mm)`);
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  // Try the offsets in force shortly before and after; keep the candidates that read back as `wall`.
  const candidates = [wall - tzOffsetMs(wall - 86_400_000, tz), wall - tzOffsetMs(wall + 86_400_000, tz)];
  const exact = candidates.filter((c) => c + tzOffsetMs(c, tz) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  return Math.max(...candidates);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:mm` of the instant in `tz` (the value of a datetime-local input). */
export function toLocalInput(ms: number, tz: string): string {
  const p = parts(ms, tz);
  return `${pad(p.year!, 4)}-${pad(p.month!)}-${pad(p.day!)}T${pad(p.hour!)}:${pad(p.minute!)}`;
}

/** ISO-8601 with the zone's offset, e.g. `2017-11-05T01:00:00-06:00` (what CSV downloads carry). */
export function toLocalIso(ms: number, tz: string): string {
  const p = parts(ms, tz);
  const off = Math.round(tzOffsetMs(ms, tz) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const offset = off === 0 ? 'Z' : `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  return `${pad(p.year!, 4)}-${pad(p.month!)}-${pad(p.day!)}T${pad(p.hour!)}:${pad(p.minute!)}:${pad(p.second!)}${offset}`;
}

/** A human time in the zone, e.g. `2017-11-05 01:00 CST`. */
export function formatLocal(ms: number, tz: string): string {
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'short' })
      .formatToParts(new Date(ms))
      .find((p) => p.type === 'timeZoneName')?.value ?? tz;
  return `${toLocalInput(ms, tz).replace('T', ' ')} ${zone}`;
}

/** How long ago, in the largest whole unit: `just now`, `12 min ago`, `3 h ago`, `41 days ago`. */
export function age(ms: number, now: number): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return s < 0 ? 'in the future' : 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86_400);
  return d < 730 ? `${d} day${d === 1 ? '' : 's'} ago` : `${Math.floor(d / 365)} years ago`;
}

/** A length of time in the largest sensible unit: `40 s`, `12 min`, `3.5 h`, `2 days`. */
export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
