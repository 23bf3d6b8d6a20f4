/**
 * Bounded concurrency: at most `limit` tasks run at once and, when `maxWeight` is given, the
 * weights of the running tasks add up to at most that (a task heavier than `maxWeight` still
 * runs, alone). Waiting for a slot gives up when `signal` aborts (the loop is stopping) or while
 * paused (the loop is paused), so neither waits behind the queue; running tasks go on.
 */
export class Slots {
  private readonly running = new Set<Promise<void>>();
  private weight = 0;
  private paused = false;
  /** Resolved by pause() and by the signal, to wake the waiters; re-armed by every pause(). */
  private woken!: Promise<void>;
  private wake!: () => void;

  constructor(
    private readonly limit: number,
    private readonly signal: AbortSignal,
    private readonly maxWeight = Infinity,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`concurrency must be a positive integer, got ${limit}`);
    if (!(maxWeight > 0)) throw new Error(`the weight limit must be positive, got ${maxWeight}`);
    this.arm();
    if (signal.aborted) this.wake();
    else signal.addEventListener('abort', () => this.wake(), { once: true });
  }

  private arm(): void {
    this.woken = new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Summed weight of the running tasks. */
  get weightInFlight(): number {
    return this.weight;
  }

  /** Waiting tasks give up (run resolves false) until resume(); running tasks are not touched. */
  pause(): void {
    this.paused = true;
    const wake = this.wake;
    this.arm();
    wake();
  }

  resume(): void {
    this.paused = false;
  }

  private get closed(): boolean {
    return this.paused || this.signal.aborted;
  }

  private full(weight: number): boolean {
    if (this.running.size >= this.limit) return true;
    return this.running.size > 0 && this.weight + weight > this.maxWeight;
  }

  /**
   * Starts `task` once a slot (and room for its weight) is free and resolves true when it has
   * started (not finished); false, without starting it, when the signal aborted or pause() was
   * called first. `task` must not reject.
   */
  async run(task: () => Promise<void>, weight = 1): Promise<boolean> {
    if (!Number.isFinite(weight) || weight < 0)
      throw new Error(`a task's weight must be finite and ≥ 0, got ${weight}`);
    while (this.full(weight) && !this.closed) {
      await Promise.race([...this.running, this.woken]);
    }
    if (this.closed) return false;
    // Taken synchronously after the check, so two waiters can never both fill the last slot.
    this.weight += weight;
    const p: Promise<void> = task().finally(() => {
      this.weight -= weight;
      this.running.delete(p);
    });
    this.running.add(p);
    return true;
  }

  /** Resolves true once every running task has finished, or false after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      while (this.running.size > 0) {
        const done = await Promise.race([Promise.all([...this.running]).then(() => true), timeout]);
        if (!done) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
