import { performance } from 'node:perf_hooks';
import { HttpError } from '@ep/http';
import type { Logger } from '@ep/logger';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FilePasses, UploadIngester } from '../use-cases/ports.js';

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
      help: 'Upload requests by endpoint kind and outcome (accepted, duplicate, busy, rejected, failed).',
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

/** Counts each upload request by its outcome; the use case reads the same without it. */
export function withRequestMetrics(inner: UploadIngester, metrics: IngestMetrics): UploadIngester {
  return {
    async ingest(request) {
      const outcome = (label: string) => metrics.requests.inc({ kind: request.kind, outcome: label });
      try {
        const result = await inner.ingest(request);
        outcome(result.created ? 'accepted' : 'duplicate');
        return result;
      } catch (err) {
        const status = err instanceof HttpError ? err.statusCode : 500;
        outcome(status === 409 ? 'busy' : status < 500 ? 'rejected' : 'failed');
        throw err;
      }
    },
  };
}

/**
 * Measures the passes over a file: parse time, bytes and samples of pass one (its rate is the
 * parse throughput), problems found, and samples published; logs each parse with its rate.
 */
export function withPassMetrics(inner: FilePasses, metrics: IngestMetrics, logger: Logger): FilePasses {
  return {
    async count(job) {
      const started = performance.now();
      const counted = await inner.count(job);
      const seconds = (performance.now() - started) / 1000;
      const { format } = job.shape;
      const { samples } = counted.summary;
      metrics.parseSeconds.inc(seconds);
      metrics.parseBytes.inc(job.request.file.size);
      metrics.parseSamples.inc(samples);
      metrics.rejected.inc({ format }, counted.issues.count);
      logger.info(
        { uploadId: job.uploadId, format, samples, seconds, samplesPerSecond: Math.round(samples / seconds) },
        'parsed',
      );
      return counted;
    },
    async publish(job, counted) {
      await inner.publish(job, counted);
      metrics.samples.inc({ format: job.shape.format }, counted.summary.samples);
    },
  };
}
