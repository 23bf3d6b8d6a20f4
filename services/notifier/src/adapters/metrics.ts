import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The notifier's own metrics. Per AMQP message (published, confirmed, returned, nacked and the
 * publish → confirm latency) they come from @ep/amqp as ep_amqp_*; the consume loop's from
 * @ep/nats as ep_nats_*. Here: per event, and the NATS backlog.
 */
export interface NotifierMetrics {
  /** One stored event fully confirmed, in `messages` AMQP messages, `seconds` after it was taken. */
  relayed(type: string, messages: number, seconds: number): void;
}

export function createNotifierMetrics(
  registry: Registry,
  backlog: () => Promise<number>,
  onBacklogError: (err: unknown) => void,
): NotifierMetrics {
  const registers = [registry];
  const events = new Counter({
    name: 'ep_notifier_events_total',
    help: 'Stored events published to the exchange and confirmed by the broker, by type.',
    labelNames: ['type'],
    registers,
  });
  const split = new Counter({
    name: 'ep_notifier_split_events_total',
    help: 'Stored events that were above EP_AMQP_MAX_MESSAGE_BYTES and went out in parts.',
    registers,
  });
  const messages = new Counter({
    name: 'ep_notifier_messages_total',
    help: 'AMQP messages (whole events and parts) confirmed by the broker.',
    registers,
  });
  const latency = new Histogram({
    name: 'ep_notifier_event_publish_seconds',
    help: 'Time from taking a stored event to the broker confirm of its last message.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'ep_notifier_backlog_messages',
    help: 'Stored events not yet confirmed: pending in the NATS consumer plus delivered but not acked.',
    registers,
    async collect() {
      try {
        this.set(await backlog());
      } catch (err) {
        // A scrape during a NATS outage still answers; the gauge keeps its last value.
        onBacklogError(err);
      }
    },
  });
  return {
    relayed(type, count, seconds) {
      events.inc({ type });
      messages.inc(count);
      if (count > 1) split.inc();
      latency.observe(seconds);
    },
  };
}
