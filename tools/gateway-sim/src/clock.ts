/**
 * The simulators' notion of "now". Everything they serve (current values, history days, LUTs,
 * session expiry, the poll counter's intervals) is computed from this clock, so a test can jump
 * to 2026-10-25T00:50Z, advance across the DST change and see exactly what a gateway would have
 * said, without waiting.
 *
 * `rate` 0 freezes the clock (it moves only by `set`/`advance`); `rate` 1 runs with the wall
 * clock from the start instant (the CLI's default); `rate` 60 makes a simulated minute of every
 * real second.
 */
export interface SimClock {
  /** Simulated now, epoch milliseconds. */
  now(): number;
  /** Jumps to an instant (epoch ms, Date or ISO string); the rate is kept. */
  set(to: number | Date | string): void;
  /** Moves the simulated time forward by `ms` (negative moves it back). */
  advance(ms: number): void;
  /** Simulated ms per real ms; 0 = frozen. */
  rate(): number;
  setRate(rate: number): void;
}

export interface ClockOptions {
  /** Start instant; default the wall clock at creation. */
  start?: number | Date | string;
  /** Simulated ms per real ms; default 0 (frozen) for tests. */
  rate?: number;
}

export function toEpochMs(value: number | Date | string): number {
  const ms =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(ms)) throw new Error(`not an instant: ${String(value)}`);
  return ms;
}

export function createClock(options: ClockOptions = {}): SimClock {
  let base = options.start === undefined ? Date.now() : toEpochMs(options.start);
  let realBase = Date.now();
  let rate = options.rate ?? 0;
  if (!(rate >= 0)) throw new Error(`clock rate must be ≥ 0, got ${rate}`);
  const now = () => Math.floor(base + (Date.now() - realBase) * rate);
  return {
    now,
    set(to) {
      base = toEpochMs(to);
      realBase = Date.now();
    },
    advance(ms) {
      base = now() + ms;
      realBase = Date.now();
    },
    rate: () => rate,
    setRate(next) {
      if (!(next >= 0)) throw new Error(`clock rate must be ≥ 0, got ${next}`);
      base = now();
      realBase = Date.now();
      rate = next;
    },
  };
}
