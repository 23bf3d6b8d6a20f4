/**
 * Keeps at most `size` publishes awaiting their JetStream ack: more hides the round trip, fewer
 * bounds memory. The first failure is kept; once there is one, the caller stops adding.
 */
export class PublishWindow {
  private readonly inflight = new Set<Promise<void>>();
  private failure: { err: unknown } | undefined;

  constructor(private readonly size: number) {}

  /** True once a publish failed: publish no more, and let `drain()` throw it. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Adds a publish; resolves once there is room for the next one. */
  async add(publish: Promise<unknown>): Promise<void> {
    // A rejection is caught here at once: an unobserved one would be an unhandled rejection.
    const p: Promise<void> = publish.then(
      () => {
        this.inflight.delete(p);
      },
      (err: unknown) => {
        this.inflight.delete(p);
        this.failure ??= { err };
      },
    );
    this.inflight.add(p);
    if (this.inflight.size >= this.size) await Promise.race(this.inflight);
  }

  /** Waits for every publish in flight; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure.err;
  }
}
