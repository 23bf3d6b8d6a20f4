/** Bounds of an exponential backoff, in ms. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (0-based): exponential growth capped at `maxMs`, with
 * "equal jitter" — a random point in the upper half of the step — so that many replicas that
 * lost the broker at the same moment do not all come back in the same millisecond, while the
 * delay never collapses to ~0 as full jitter can.
 */
export function backoffDelay(
  attempt: number,
  { initialMs, maxMs }: BackoffOptions,
  random = Math.random,
): number {
  // 2 ** 31 is already far beyond any sane maxMs; capping the exponent avoids Infinity.
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 31));
  return Math.round(step / 2 + random() * (step / 2));
}
