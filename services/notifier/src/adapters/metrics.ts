import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The notifier's own metrics. Per AMQP message (published, confirmed, returned, nacked and the
 * publish → confirm latency) they come from @ep/amqp as ep_amqp_*; the consume loop's from
 * @ep/nats as ep_nats_*. Here: per event (a test-stand batch counts as its events), per NATS
 * message, and the NATS backlog.
 */
export interface NotifierMetrics {
  /**
   * One stored NATS message fully confirmed, `seconds` after it was taken: `events` events of
   * AMQP type `type` (one, or a test-stand batch's events) in `messages` AMQP messages (more
   * than `events` when a readings event was split).
   */
  relayed(type: string, events: number, messages: number, seconds: number): void;
}

export function createNotifierMetrics(
  registry: Registry,
  backlog: () => Promise<number>,
  onBacklogError: (err: unknown) => void,
): NotifierMetrics {
  const registers = [registry];
  const events = new Counter({
    name: 'ep_notifier_events_total',
    help: 'Stored events published to the exchange and confirmed by the broker, by type (each event of a test-stand batch counts).',
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
    help: 'Time from taking a stored NATS message (an event or a test-stand batch) to the broker confirm of its last AMQP message.',
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
    relayed(type, eventCount, messageCount, seconds) {
      events.inc({ type }, eventCount);
      messages.inc(messageCount);
      // Only a readings event is ever split, and it comes alone.
      if (messageCount > eventCount) split.inc();
      latency.observe(seconds);
    },
  };
}
