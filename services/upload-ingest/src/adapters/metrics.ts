import { Counter, Gauge, type Registry } from 'prom-client';

/** Service metrics, on the same registry /metrics serves. */
export function createIngestMetrics(
  registry: Registry,
  countUploads: () => Promise<{ format: string | null; status: string; n: number }[]>,
) {
  const uploads = new Gauge({
    name: 'upload_ingest_uploads',
    help: 'Uploads on record by detected format and status (read from PostgreSQL at scrape time, so all replicas agree).',
    labelNames: ['format', 'status'] as const,
    registers: [registry],
    async collect() {
      try {
        const rows = await countUploads();
        this.reset();
        for (const r of rows) this.set({ format: r.format ?? 'unknown', status: r.status }, r.n);
      } catch {
        // PostgreSQL unreachable: /readyz reports it; keep the last values.
      }
    },
  });
  return {
    uploads,
    requests: new Counter({
      name: 'upload_ingest_requests_total',
      help: 'Upload requests by endpoint kind and outcome (accepted, duplicate, failed, rejected).',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    samples: new Counter({
      name: 'upload_ingest_samples_total',
      help: 'Samples parsed from accepted files and published to NATS, by format.',
      labelNames: ['format'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'upload_ingest_rejected_total',
      help: 'Rows or values refused in uploaded files (each one listed in the upload report), by format.',
      labelNames: ['format'] as const,
      registers: [registry],
    }),
    parseBytes: new Counter({
      name: 'upload_ingest_parse_bytes_total',
      help: 'Bytes parsed; with upload_ingest_parse_seconds_total gives parse throughput.',
      registers: [registry],
    }),
    parseSeconds: new Counter({
      name: 'upload_ingest_parse_seconds_total',
      help: 'Seconds spent parsing (first pass: detection, validation, counting; publishing excluded).',
      registers: [registry],
    }),
    parseSamples: new Counter({
      name: 'upload_ingest_parse_samples_total',
      help: 'Samples parsed in the first pass; rate over upload_ingest_parse_seconds_total = samples/s.',
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
