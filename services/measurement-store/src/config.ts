import { env, loadConfig } from '@ep/config';
import { z } from 'zod';

export const configSchema = z.object({
  ...env.DATABASE_URL,
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  ...env.PORT(9103),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Most readings messages (input batches) in one write transaction. */
  STORE_BATCH_MESSAGES: z.coerce.number().int().min(1).max(1_000).default(100),
  /** A write transaction is cut once it holds this many samples (bounds memory and lock time). */
  STORE_BATCH_SAMPLES: z.coerce.number().int().min(1).default(50_000),
  /** Longest wait for a write batch to fill after its first message, in ms (adds this much latency when idle). */
  STORE_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(200),
  /** Write transactions at once per process: two overlap one write's COPY with another's upsert. */
  STORE_WRITES: z.coerce.number().int().min(1).max(8).default(2),
  /** Ack wait of the store's durable consumers, in ms: how soon another replica redelivers a crashed one's batch. */
  STORE_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(30_000),
});

export type Config = z.infer<typeof configSchema>;

/** The only place that reads process.env; exits naming every bad variable. */
export function readConfig(): Config {
  return loadConfig('measurement-store', configSchema);
}
