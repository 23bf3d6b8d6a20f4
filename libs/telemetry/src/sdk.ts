import { context, propagation, trace } from '@opentelemetry/api';

export interface TelemetryOptions {
  /** service.name of every span, e.g. `upload-ingest`. */
  serviceName: string;
  /**
   * OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://otel-collector:4318); spans go
   * to `<endpoint>/v1/traces`. Tracing is off when absent.
   */
  endpoint?: string;
}

export interface Telemetry {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  /** Flushes spans not yet exported and unregisters the SDK; safe to call more than once. */
  shutdown(): Promise<void>;
}

/** OTLP/HTTP's traces path under the base endpoint, as the OTel spec builds it from the env var. */
function tracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

/**
 * Starts tracing for this process: with an endpoint, the OpenTelemetry NodeSDK with an OTLP/HTTP
 * span exporter (batching), the async-local-storage context manager and the W3C propagator;
 * without one, nothing at all — the API's no-op tracer costs next to nothing per span.
 * No auto-instrumentation: spans are made where they mean something (withSpan).
 *
 * The SDK and the exporter are imported only when tracing is on: loading them costs a service
 * about 26 MB of RSS, which a service without a collector should not pay.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (!options.endpoint) {
    return { enabled: false, shutdown: async () => undefined };
  }
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }),
    instrumentations: [],
    // Traces only: without this the SDK would also start an OTLP log exporter by default.
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopping ??= sdk.shutdown().finally(() => {
        // Back to the no-op API, so nothing records into a provider that is shut down.
        trace.disable();
        propagation.disable();
        context.disable();
      });
      return stopping;
    },
  };
}
