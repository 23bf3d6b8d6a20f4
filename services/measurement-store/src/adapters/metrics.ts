import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The store's own metrics; the consume loops add theirs (handled, failed, terminated). */
export function createStoreMetrics(
  registry: Registry,
  /** Reads each stream's lag from the server; called at scrape time so the gauge is current. */
  readLag?: () => Promise<{ stream: string; lag: number }[]>,
) {
  const registers = [registry];
  return {
    batches: new Counter({
      name: 'store_batches_total',
      help: 'Readings batches committed, by outcome (stored = new, replay = already stored).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    samples: new Counter({
      name: 'store_samples_total',
      help: 'Samples committed, by outcome: inserted, revised (replaced a different value), unchanged.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    revised: new Counter({
      name: 'store_revised_samples_total',
      help: 'Samples that replaced a different stored value or quality.',
      registers,
    }),
    dropped: new Counter({
      name: 'store_dropped_samples_total',
      help: 'Samples refused for an unusable timestamp (recorded in rejected_messages).',
      registers,
    }),
    writeSeconds: new Histogram({
      name: 'store_write_duration_seconds',
      help: 'Time of one write transaction (points, samples, rollups, counters), commit included.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    writeSamples: new Histogram({
      name: 'store_write_samples',
      help: 'Samples per write transaction.',
      buckets: [100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000],
      registers,
    }),
    lag: new Gauge({
      name: 'store_consumer_lag_messages',
      help: 'Messages not yet acked by the store (pending plus in flight), by stream.',
      labelNames: ['stream'] as const,
      registers,
      async collect() {
        if (!readLag) return;
        for (const { stream, lag } of await readLag()) this.set({ stream }, lag);
      },
    }),
    teststandMessages: new Counter({
      name: 'store_teststand_messages_total',
      help: 'Test-stand messages stored, by validity.',
      labelNames: ['valid'] as const,
      registers,
    }),
    teststandRedeliveries: new Counter({
      name: 'store_teststand_redeliveries_dropped_total',
      help: 'Test-stand messages the MQTT broker re-sent (DUP) that were stored already, so dropped.',
      registers,
    }),
  };
}

export type StoreMetrics = ReturnType<typeof createStoreMetrics>;
