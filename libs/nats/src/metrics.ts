import { Counter, Histogram, type Registry } from 'prom-client';

/** Why a message was terminated instead of redelivered. */
export type TerminateReason = 'invalid' | 'permanent' | 'exhausted';

export interface ConsumerMetrics {
  handled(count: number): void;
  failed(count: number): void;
  terminated(reason: TerminateReason, count: number): void;
  /** Starts timing one handler call; the returned function records it. */
  time(): () => void;
}

const NO_METRICS: ConsumerMetrics = {
  handled: () => undefined,
  failed: () => undefined,
  terminated: () => undefined,
  time: () => () => undefined,
};

// Several consumers in one process share one registry, and a metric name can be registered only
// once per registry: look it up before creating it.
function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Prometheus metrics of one consume loop, labelled `consumer`; nothing is recorded without a
 * registry.
 */
export function consumerMetrics(registry: Registry | undefined, consumer: string): ConsumerMetrics {
  if (!registry) return NO_METRICS;
  const handled = counter(registry, 'ep_nats_messages_handled_total', 'Messages handled and acked.', [
    'consumer',
  ]);
  const failed = counter(
    registry,
    'ep_nats_messages_failed_total',
    'Messages whose handler failed; nak-ed for redelivery.',
    ['consumer'],
  );
  const terminated = counter(
    registry,
    'ep_nats_messages_terminated_total',
    'Messages terminated (never redelivered): invalid, permanent handler error, or deliveries exhausted.',
    ['consumer', 'reason'],
  );
  const durationName = 'ep_nats_handler_duration_seconds';
  const duration =
    (registry.getSingleMetric(durationName) as Histogram | undefined) ??
    new Histogram({
      name: durationName,
      help: 'Time in the message (or batch) handler, in seconds.',
      labelNames: ['consumer'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return {
    handled: (count) => handled.inc({ consumer }, count),
    failed: (count) => failed.inc({ consumer }, count),
    terminated: (reason, count) => terminated.inc({ consumer, reason }, count),
    time: () => {
      const end = duration.startTimer({ consumer });
      return () => void end();
    },
  };
}
