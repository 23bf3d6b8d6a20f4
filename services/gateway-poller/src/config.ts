import { hostname } from 'node:os';
import { env, loadConfig, parseConfig } from '@ep/config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const GatewayPollerConfigSchema = z.object({
  ...env.DATABASE_URL,
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  /** /status, /healthz, /readyz and /metrics. */
  ...env.PORT(9101),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Directory of gateway credentials (a mounted Kubernetes Secret): one JSON file per gateway name. */
  EP_GATEWAY_SECRETS_DIR: z.string().min(1).default('/var/run/secrets/ep-gateways'),
  /** This replica's name in leases and on gateway status (default: host name and pid). */
  EP_GATEWAY_REPLICA_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /** How long a gateway lease lasts without renewal, in ms; a dead replica's gateways move within two. */
  EP_GATEWAY_LEASE_MS: positiveInt(30_000),
  /** How often the scheduler looks for gateways that are due, in ms. */
  EP_GATEWAY_TICK_MS: positiveInt(1_000),
  /** Time-out of one vendor HTTP request, in ms. */
  EP_GATEWAY_HTTP_TIMEOUT_MS: positiveInt(15_000),
  /** Log-ins allowed per Secure request after `ID 848` (session expired). */
  EP_GATEWAY_MAX_RELOGINS: positiveInt(10),
  /** Gateways polled at once by one replica. */
  EP_GATEWAY_CONCURRENCY: positiveInt(8),
});

export type GatewayPollerConfig = z.infer<typeof GatewayPollerConfigSchema>;

/** Reads process.env once at start-up; exits naming every bad variable. */
export function loadGatewayPollerConfig(): GatewayPollerConfig {
  return loadConfig('gateway-poller', GatewayPollerConfigSchema);
}

/** For tests: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseGatewayPollerConfig(
  environment: Record<string, string | undefined>,
): GatewayPollerConfig {
  return parseConfig('gateway-poller', GatewayPollerConfigSchema, environment);
}
