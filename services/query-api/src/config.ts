import { env, loadConfig, parseConfig } from '@ep/config';
import { z } from 'zod';

export const QueryApiConfigSchema = z.object({
  // Primary PostgreSQL: API keys (looked up, touched, created, revoked) and sites.
  ...env.DATABASE_URL,
  // Where reads go: a read replica in production; DATABASE_URL when unset.
  DATABASE_READ_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a URL with protocol postgres:// or postgresql://')
    .optional(),
  // Connections per pool (reads, keys, CSV streams each have one); a CSV download holds one
  // connection of the stream pool for as long as it takes.
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  // NATS, for test-stand commands (requests to the teststand-handler) and set-point writes
  // (requests to gateway-poller); subjects start with the prefix (the services' EP_NATS_PREFIX).
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  // How long a command request waits for a teststand-handler's answer (broker PUBACK included), in ms.
  EP_TESTSTAND_COMMAND_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  // How long after a command its stand's next status still counts as the reply, in ms; after it
  // a command without one shows "no answer".
  EP_TESTSTAND_REPLY_WINDOW_MS: z.coerce.number().int().positive().default(60_000),
  // HTTP port of the API, /docs, /healthz, /readyz and /metrics.
  ...env.PORT(8080),
  // pino log level.
  ...env.LOG_LEVEL,
  // OTLP/HTTP endpoint for traces; tracing is off when unset.
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  // The built explorer (libs/explorer's dist/app) served at `/`; unset: `explorer/` beside this
  // package (the Docker image) or libs/explorer/dist/app (the repository).
  EXPLORER_DIR: z.string().min(1).optional(),
  // upload-ingest's base URL: `POST /upload/{siemens,alc}` is forwarded there so the explorer
  // uploads through its own origin. Unset: those paths answer 503 (route them at the ingress).
  UPLOAD_INGEST_URL: z.url().optional(),
});

export type QueryApiConfig = z.infer<typeof QueryApiConfigSchema>;

/** The service's configuration; the only reader of process.env. Exits naming every bad variable. */
export function loadQueryApiConfig(): QueryApiConfig {
  return loadConfig('query-api', QueryApiConfigSchema);
}

/** For tests: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseQueryApiConfig(environment: Record<string, string | undefined>): QueryApiConfig {
  return parseConfig('query-api', QueryApiConfigSchema, environment);
}
