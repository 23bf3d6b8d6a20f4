import { env, loadConfig, parseConfig } from '@ep/config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const NotifierConfigSchema = z.object({
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  ...env.AMQP_URL,
  ...env.EP_AMQP_EXCHANGE,
  /** /healthz, /readyz and /metrics. */
  ...env.PORT(9104),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Largest AMQP message body in bytes; a bigger readings event is split into parts (default 1 MiB). */
  EP_AMQP_MAX_MESSAGE_BYTES: positiveInt(1_048_576),
  /**
   * Stored NATS messages in progress at once in one replica (being published, or acked to NATS
   * after the broker confirmed them), and the events they hold: a batch of test-stand events
   * counts as its events (one bigger than this runs alone). Also sets the consumer's
   * max_ack_pending with EP_NOTIFIER_REPLICAS.
   */
  EP_NOTIFIER_CONCURRENCY: positiveInt(128),
  /** AMQP messages published but not yet confirmed by the broker, at most, per replica (the confirm window). */
  EP_AMQP_MAX_IN_FLIGHT: positiveInt(64),
  /** Replicas expected to share the durable consumer; max_ack_pending = replicas × concurrency. */
  EP_NOTIFIER_REPLICAS: positiveInt(4),
  /**
   * How long the server waits for our ack before redelivering, in ms. Longer than a confirm
   * takes on a healthy broker; an event in hand while the broker is away is nak'd sooner.
   */
  EP_NOTIFIER_ACK_WAIT_MS: positiveInt(60_000),
  /** Redelivery delay of an event that could not be published (broker away or refusing), in ms. */
  EP_NOTIFIER_RETRY_DELAY_MS: positiveInt(2_000),
  /** First pause before reconnecting to RabbitMQ, in ms; doubles per failure up to the max. */
  EP_AMQP_RECONNECT_INITIAL_MS: positiveInt(500),
  /** Longest pause between reconnect attempts to RabbitMQ, in ms. */
  EP_AMQP_RECONNECT_MAX_MS: positiveInt(15_000),
});

export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

/** Reads process.env once at start-up; exits naming every bad variable. */
export function loadNotifierConfig(): NotifierConfig {
  return loadConfig('notifier', NotifierConfigSchema);
}

/** For tests: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseNotifierConfig(environment: Record<string, string | undefined>): NotifierConfig {
  return parseConfig('notifier', NotifierConfigSchema, environment);
}
