import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Label = 'publisher' | 'exchange';
const labelNames: Label[] = ['publisher', 'exchange'];

/** What the publisher reports; a no-op set when no registry is given. */
export interface PublisherMetrics {
  published(): void;
  /** A broker ack, with the publish → confirm round trip in seconds. */
  confirmed(seconds: number): void;
  nacked(): void;
  returned(): void;
  connected(up: boolean): void;
}

const noop: PublisherMetrics = {
  published: () => undefined,
  confirmed: () => undefined,
  nacked: () => undefined,
  returned: () => undefined,
  connected: () => undefined,
};

// Several publishers may share one registry; prom-client refuses to register a name twice.
function reuse<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Registers (or reuses) the ep_amqp_* metrics in `registry`, labelled with this publisher. */
export function createPublisherMetrics(
  registry: Registry | undefined,
  labels: Record<Label, string>,
): PublisherMetrics {
  if (!registry) return noop;
  const registers = [registry];
  const counter = (name: string, help: string) =>
    reuse(registry, name, () => new Counter({ name, help, labelNames, registers })).labels(labels);

  const published = counter('ep_amqp_published_total', 'Messages handed to the broker.');
  const confirmed = counter('ep_amqp_confirmed_total', 'Messages the broker confirmed (basic.ack).');
  const nacked = counter('ep_amqp_nacked_total', 'Messages the broker refused (basic.nack).');
  const returned = counter(
    'ep_amqp_returned_total',
    'Mandatory messages no queue was bound to (basic.return).',
  );
  const latency = reuse(
    registry,
    'ep_amqp_publish_confirm_seconds',
    () =>
      new Histogram({
        name: 'ep_amqp_publish_confirm_seconds',
        help: 'Time from publish to broker confirm.',
        labelNames,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  ).labels(labels);
  const up = reuse(
    registry,
    'ep_amqp_connected',
    () =>
      new Gauge({
        name: 'ep_amqp_connected',
        help: '1 while connected to the broker.',
        labelNames,
        registers,
      }),
  ).labels(labels);

  return {
    published: () => published.inc(),
    confirmed: (seconds) => {
      confirmed.inc();
      latency.observe(seconds);
    },
    nacked: () => nacked.inc(),
    returned: () => returned.inc(),
    connected: (isUp) => up.set(isUp ? 1 : 0),
  };
}
