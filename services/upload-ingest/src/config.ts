import { env, loadConfig, parseConfig } from '@ep/config';
import { SAMPLES_PER_BATCH } from '@ep/contracts';
import { z } from 'zod';

export const UploadIngestConfigSchema = z.object({
  ...env.DATABASE_URL,
  ...env.NATS_URL,
  ...env.EP_NATS_PREFIX,
  ...env.PORT(8081),
  ...env.LOG_LEVEL,
  ...env.OTEL_EXPORTER_OTLP_ENDPOINT,
  /** Largest accepted file in bytes (default 100 MB); a bigger one is answered 413 without being stored. */
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  /** Most samples per readings batch published to NATS (ARCHITECTURE §2: about 5,000). */
  SAMPLES_PER_BATCH: z.coerce.number().int().min(1).max(50_000).default(SAMPLES_PER_BATCH),
  /**
   * Publishes awaiting their JetStream ack at once: more hides the round trip, fewer bounds
   * memory. 8 already keeps the connection busy (csv-ingest bench: faster than 32, and 50 MB
   * less peak RSS).
   */
  PUBLISH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** Where received files are spooled while they are hashed and parsed (the OS temp dir by default). */
  UPLOAD_TMP_DIR: z.string().min(1).optional(),
  /**
   * Seconds after which an upload left in parsing/publishing (its process died) is taken over by
   * a re-post of the same file; younger ones are answered 409 (being ingested right now).
   */
  UPLOAD_STALE_SECONDS: z.coerce.number().int().min(1).default(300),
});

export type UploadIngestConfig = z.infer<typeof UploadIngestConfigSchema>;

/** The only place that reads process.env; exits naming every bad variable. */
export function loadUploadIngestConfig(): UploadIngestConfig {
  return loadConfig('upload-ingest', UploadIngestConfigSchema);
}

/** For tests: parse a given environment, throwing a ConfigError instead of exiting. */
export function parseUploadIngestConfig(environment: Record<string, string | undefined>): UploadIngestConfig {
  return parseConfig('upload-ingest', UploadIngestConfigSchema, environment);
}
