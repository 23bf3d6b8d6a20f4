// Which data a chart asks for: raw samples when the range is short enough to draw them all,
// hourly or daily aggregates (avg with a min–max band) when it is not. The user zooms; this picks.

export type Resolution = 'raw' | 'hourly' | 'daily';
export type ResolutionChoice = Resolution | 'auto';

/** Raw samples per point drawn at most before switching to aggregates (a wide screen's pixels, ×2). */
export const RAW_BUDGET = 5_000;
/** Hourly buckets up to this span; daily beyond (~2,900 buckets at most per point). */
export const HOURLY_MAX_SPAN_MS = 120 * 86_400_000;
/** Assumed sampling interval of a point that states none (EP's most common: 5 minutes). */
export const DEFAULT_INTERVAL_S = 300;

export function chooseResolution(
  spanMs: number,
  intervalSeconds: readonly (number | null)[],
  choice: ResolutionChoice = 'auto',
): Resolution {
  if (choice !== 'auto') return choice;
  const known = intervalSeconds.filter((s): s is number => s !== null && s > 0);
  const densest = known.length > 0 ? Math.min(...known) : DEFAULT_INTERVAL_S;
  if (spanMs / (densest * 1000) <= RAW_BUDGET) return 'raw';
  return spanMs <= HOURLY_MAX_SPAN_MS ? 'hourly' : 'daily';
}

/** The query-api `interval` of an aggregate resolution. */
export const intervalOf = (r: Exclude<Resolution, 'raw'>) => (r === 'hourly' ? '1h' : '1d');
