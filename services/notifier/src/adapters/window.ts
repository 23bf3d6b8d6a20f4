/**
 * At most `size` holders at once; the rest wait in arrival order. Bounds the AMQP messages
 * published but not yet confirmed (the confirm window), independently of how many events the
 * consume loop has in progress — an event also spends time being acked to NATS, during which its
 * publish slot is better used by the next event.
 */
export class Window {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`window size must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Runs `task` once a place is free and frees it when the task settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      // Hand the place straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }

  /** Places taken now. */
  get inUse(): number {
    return this.size - this.free;
  }
}
