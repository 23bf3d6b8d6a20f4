import { env, loadConfig, parseConfig } from '@ep/config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0),
    )
    .refine((topics) => topics.length > 0, { message: 'must name at least one topic filter' });

export const TeststandHandlerConfigSchema = z.object({
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  ...env.MQTT_URL,
  ...env.MQTT_AUTH,
  /** /healthz, /readyz and /metrics. */
  ...env.PORT(9102),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Topic filters the stands publish on, comma-separated (PROTOCOL.md: both shapes occur). */
  EP_MQTT_TOPICS: list('+/+/Inbound,+/inbound'),
  /**
   * MQTT shared-subscription group: replicas subscribe to `$share/<group>/<filter>` and the broker
   * deals each message to one of them. Empty: plain subscriptions (every replica gets everything).
   */
  EP_MQTT_SHARE_GROUP: z.string().default('teststand-handler'),
  /**
   * The persistent session's client id; must be stable across restarts and unique per replica
   * (a StatefulSet pod name). Default: teststand-handler_<hostname>.
   */
  EP_MQTT_CLIENT_ID: z.string().min(1).optional(),
  /**
   * QoS 1 messages being published to NATS at once before the oldest is acknowledged to the
   * broker (the MQTT 5 receive maximum). More hides the NATS round trip; each is one message
   * the broker resends after a crash.
   */
  EP_MQTT_MAX_IN_FLIGHT: positiveInt(512),
  /** A payload bigger than this many bytes is stored as rejected, cut to this size (default 256 KiB). */
  EP_TESTSTAND_MAX_MESSAGE_BYTES: positiveInt(262_144),
  /** `sentBy` of the commands EP sends to stands. */
  EP_TESTSTAND_SENDER: z.string().min(1).default('ep'),
  /** A stand silent for longer than this (ms) is offline; going offline or online is an event. */
  EP_TESTSTAND_OFFLINE_AFTER_MS: positiveInt(60_000),
  /** How often (ms) a replica writes the stands it heard from and looks for silent ones. */
  EP_TESTSTAND_LIVENESS_CHECK_MS: positiveInt(5_000),
  /** How long a command's publish may wait for the broker's PUBACK, in ms. */
  EP_TESTSTAND_COMMAND_TIMEOUT_MS: positiveInt(5_000),
});

export type TeststandHandlerConfig = z.infer<typeof TeststandHandlerConfigSchema>;

/** Reads process.env once at start-up; exits naming every bad variable. */
export function loadTeststandHandlerConfig(): TeststandHandlerConfig {
  return loadConfig('teststand-handler', TeststandHandlerConfigSchema);
}

/** For tests: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseTeststandHandlerConfig(
  environment: Record<string, string | undefined>,
): TeststandHandlerConfig {
  return parseConfig('teststand-handler', TeststandHandlerConfigSchema, environment);
}
