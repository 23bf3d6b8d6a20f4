import { z } from 'zod';

/** One problem with one environment variable. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly issues: ConfigIssue[],
  ) {
    super(
      `${service}: invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Parses `env` with a zod object schema whose keys are variable names.
 * Throws a ConfigError naming every bad variable at once, never only the first.
 */
export function parseConfig<S extends z.ZodObject>(service: string, schema: S, env: Env): z.infer<S> {
  // Empty strings are treated as unset so that `FOO=` falls back to the default.
  const cleaned: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    variable: issue.path.map(String).join('.') || '(environment)',
    message: issue.message,
  }));
  throw new ConfigError(service, issues);
}

/**
 * Reads the process environment once, at start-up. On a bad configuration it prints every
 * problem to stderr and exits 1: a service must not run half-configured.
 */
export function loadConfig<S extends z.ZodObject>(
  service: string,
  schema: S,
  env: Env = process.env,
): z.infer<S> {
  try {
    return parseConfig(service, schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

const urlWithProtocols = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );

const prefix = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,30}$/,
    'must be lowercase letters, digits or _, starting with a letter (≤31 chars)',
  );

/**
 * The variables shared by every service (ARCHITECTURE §6). Services pick the ones they use:
 * `z.object({ ...env.DATABASE_URL, ...env.PORT(8080) })`.
 */
export const env = {
  /** PostgreSQL connection string. */
  DATABASE_URL: {
    DATABASE_URL: urlWithProtocols(['postgres', 'postgresql']).default(
      'postgres://postgres@127.0.0.1:5432/ep',
    ),
  },
  /** NATS server URL(s), comma-separated for a cluster. */
  NATS_URL: { NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222') },
  /** Prefix of every NATS subject and stream, so environments can share one server. */
  EP_NATS_PREFIX: { EP_NATS_PREFIX: prefix.default('ep') },
  /** RabbitMQ connection URL. */
  AMQP_URL: { AMQP_URL: urlWithProtocols(['amqp', 'amqps']).default('amqp://guest:guest@127.0.0.1:5672') },
  /** The durable fanout exchange every stored fact is published to. */
  EP_AMQP_EXCHANGE: { EP_AMQP_EXCHANGE: z.string().min(1).default('ep.events') },
  /** MQTT broker URL (mqtt:// or mqtts:// for TLS). */
  MQTT_URL: { MQTT_URL: urlWithProtocols(['mqtt', 'mqtts', 'ws', 'wss']).default('mqtt://127.0.0.1:1883') },
  /** MQTT credentials, when the broker asks for them. */
  MQTT_AUTH: { MQTT_USERNAME: z.string().optional(), MQTT_PASSWORD: z.string().optional() },
  /** HTTP port for the API and /healthz, /readyz, /metrics. */
  PORT: (defaultPort: number) => ({ PORT: z.coerce.number().int().min(0).max(65535).default(defaultPort) }),
  /** pino log level. */
  LOG_LEVEL: {
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  },
  /** OTLP/HTTP endpoint for traces; tracing is off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: { OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional() },
};
