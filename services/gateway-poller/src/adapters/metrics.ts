import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PollerMetrics {
  polls: Counter<'vendor' | 'outcome'>;
  duration: Histogram<'vendor'>;
  samples: Counter<'vendor'>;
  lag: Gauge<'gateway'>;
  backfillDays: Counter<'gateway'>;
  rejectedParts: Counter<'gateway'>;
  leases: Gauge;
  writes: Counter<'outcome'>;
}

export function createPollerMetrics(registry: Registry): PollerMetrics {
  return {
    polls: new Counter({
      name: 'ep_gateway_polls_total',
      help: 'Gateway polls by vendor and outcome (ok, auth_refused, unreachable, bad_answer, no_secret, refused, called_off)',
      labelNames: ['vendor', 'outcome'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'ep_gateway_poll_duration_seconds',
      help: 'Duration of one gateway poll, backfill included',
      labelNames: ['vendor'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    samples: new Counter({
      name: 'ep_gateway_samples_total',
      help: 'Samples published in readings batches',
      labelNames: ['vendor'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'ep_gateway_lag_seconds',
      help: 'Time between the last successful poll and the newest sample the gateway gave',
      labelNames: ['gateway'],
      registers: [registry],
    }),
    backfillDays: new Counter({
      name: 'ep_gateway_backfill_days_total',
      help: 'Days of history read while backfilling (Prefect NodeHistory answers)',
      labelNames: ['gateway'],
      registers: [registry],
    }),
    rejectedParts: new Counter({
      name: 'ep_gateway_rejected_parts_total',
      help: 'Parts of gateway answers that could not be read (the rest was kept)',
      labelNames: ['gateway'],
      registers: [registry],
    }),
    leases: new Gauge({
      name: 'ep_gateway_leases_held',
      help: 'Gateways this replica owns',
      registers: [registry],
    }),
    writes: new Counter({
      name: 'ep_gateway_setpoint_writes_total',
      help: 'Set-point writes handled, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
