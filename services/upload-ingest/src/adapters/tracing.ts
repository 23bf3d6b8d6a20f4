import { withSpan } from '@ep/telemetry';
import type { UploadIngester } from '../use-cases/ports.js';

/**
 * One span per upload, continuing the sender's trace if it sent one; the batches published
 * inside it carry it on to the store and the notifier (ARCHITECTURE: HTTP → AMQP, one trace).
 */
export function withTracing(inner: UploadIngester): UploadIngester {
  return {
    ingest: (request) => withSpan(`upload ${request.kind}`, request.headers, () => inner.ingest(request)),
  };
}
