import { zoneOffsetMs } from './time.js';

// Times for spreadsheets. Excel and LibreOffice read "2026-03-29 01:30:00" as a date and time, but
// not ISO-8601 with a "T" and an offset, and their cells have no time zone. So a time in a local
// zone is written as two columns: the wall clock of the zone (named in the header), and the UTC
// offset in hours as a number. The offset keeps the repeated hour of a DST fall-back apart
// (01:30 at +1, then 01:30 at 0) and gives UTC back with a formula: time − offset/24.

/** A time of `tz` as spreadsheets want it: its wall clock (ms, read as if UTC) and offset (ms). */
export interface LocalTime {
  wall: number;
  offset: number;
}

export function localTime(ms: number, tz: string): LocalTime {
  const offset = tz === 'UTC' ? 0 : zoneOffsetMs(ms, tz);
  return { wall: ms + offset, offset };
}

/** "YYYY-MM-DD HH:MM:SS", with ".mmm" only when not zero. */
export function wallText(wall: number): string {
  const iso = new Date(wall).toISOString();
  return `${iso.slice(0, 10)} ${wall % 1000 === 0 ? iso.slice(11, 19) : iso.slice(11, 23)}`;
}

/** An offset in hours (5.5 for +05:30), to six decimals for the local mean times before 1883. */
export function formatOffsetHours(offsetMs: number): number {
  return Math.round(offsetMs / 3.6) / 1e6;
}

/** The header of a local time column: "time (Europe/London)". */
export const timeHeader = (label: string, tz: string) => `${label} (${tz})`;
export const OFFSET_HEADER = 'UTC offset (h)';

/**
 * A PostgreSQL ISO time ("2017-11-05 01:00:00.5-06", "1849-12-31 23:59:59-05:50:36") as a
 * LocalTime, without a Date or a zone lookup per row.
 */
export function localTimeFromPg(text: string): LocalTime {
  let at = 19;
  while (at < text.length && text[at] !== '+' && text[at] !== '-') at++;
  const wall =
    Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(5, 7)) - 1,
      Number(text.slice(8, 10)),
      Number(text.slice(11, 13)),
      Number(text.slice(14, 16)),
      Number(text.slice(17, 19)),
    ) + (at > 19 ? Math.round(Number(`0${text.slice(19, at)}`) * 1000) : 0);
  return { wall, offset: pgOffsetMs(text.slice(at)) };
}

/** A PostgreSQL offset ("+05", "-05:30", "-05:50:36") in ms. */
export function pgOffsetMs(offset: string): number {
  const [h = '0', m = '0', s = '0'] = offset.slice(1).split(':');
  const seconds = Number(h) * 3600 + Number(m) * 60 + Number(s);
  return (offset[0] === '-' ? -seconds : seconds) * 1000;
}
