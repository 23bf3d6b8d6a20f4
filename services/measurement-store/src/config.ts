import { env, loadConfig, parseConfig } from '@ep/config';
import { z } from 'zod';

export const StoreConfigSchema = z.object({
  ...env.DATABASE_URL,
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  /** /healthz, /readyz and /metrics. */
  ...env.PORT(9103),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Most readings messages (input batches) in one write transaction. */
  STORE_BATCH_MESSAGES: z.coerce.number().int().min(1).max(1_000).default(100),
  /** Most samples in one write transaction (bounds memory and lock time); a larger input batch goes alone. */
  STORE_BATCH_SAMPLES: z.coerce.number().int().min(1).default(50_000),
  /** Longest wait for a write batch to fill after its first message, in ms (adds this much latency when idle). */
  STORE_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(200),
  /** Write transactions at once per process: two overlap one write's COPY with another's upsert. */
  STORE_WRITES: z.coerce.number().int().min(1).max(8).default(2),
  /** Ack wait of the store's durable consumers, in ms: how soon another replica redelivers a crashed one's batch. */
  STORE_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
});

export type StoreConfig = z.infer<typeof StoreConfigSchema>;

/** The only place that reads process.env; exits naming every bad variable. */
export function loadStoreConfig(): StoreConfig {
  return loadConfig('measurement-store', StoreConfigSchema);
}

/** For tests and in-process stores: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseStoreConfig(environment: Record<string, string | undefined>): StoreConfig {
  return parseConfig('measurement-store', StoreConfigSchema, environment);
}
