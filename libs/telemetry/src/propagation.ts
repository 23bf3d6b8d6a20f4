import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';

/** Message headers as they arrive: NATS and AMQP give string values, HTTP sometimes arrays. */
export type HeaderCarrier = Readonly<Record<string, unknown>>;

// Header names are matched without regard to case: HTTP lower-cases them, AMQP and NATS keep
// whatever the producer wrote.
const getter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    let value = carrier[key];
    if (value === undefined) {
      const match = Object.keys(carrier).find((k) => k.toLowerCase() === key);
      value = match === undefined ? undefined : carrier[match];
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return undefined;
  },
};

/** The tracer for one module or library; spans go nowhere until startTelemetry ran with an endpoint. */
export function tracer(name: string): Tracer {
  return trace.getTracer(name);
}

/**
 * Writes the active trace context into `headers` (W3C `traceparent` and `tracestate`) for a NATS
 * publish or an AMQP message, and returns the same object. Adds nothing when no span is active.
 */
export function injectTraceHeaders(
  headers: Record<string, string>,
  ctx: Context = context.active(),
): Record<string, string> {
  propagation.inject(ctx, headers);
  return headers;
}

/** The context carried by received headers, for use as a parent; `base` when they carry none. */
export function extractTraceContext(headers: HeaderCarrier, base: Context = context.active()): Context {
  return propagation.extract(base, headers, getter);
}

/**
 * Runs `fn` in a new active span whose parent is the trace in `parentHeaders` (a received
 * message's headers) or, without them, the active span. The span ends when `fn` settles; a
 * throw is recorded on it (status ERROR) and rethrown. Headers injected inside `fn` carry this
 * span, so the next hop continues the same trace.
 */
export function withSpan<T>(
  name: string,
  parentHeaders: HeaderCarrier | undefined,
  fn: (span: Span) => Promise<T> | T,
  options: SpanOptions = {},
): Promise<T> {
  const parent = parentHeaders ? extractTraceContext(parentHeaders) : context.active();
  return tracer('@ep/telemetry').startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.message : String(err),
      });
      throw err;
    } finally {
      span.end();
    }
  });
}
