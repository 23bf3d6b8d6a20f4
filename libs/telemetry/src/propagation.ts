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

/** The W3C trace context headers, as they travel from hop to hop, and what each must look like. */
const PASSED_ON = {
  // Version 00, a trace id and a parent id that are not all zeros, flags.
  traceparent: (v: string) => /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/.test(v),
  // The W3C limit is 32 list members; 512 characters keeps a sender from bloating every message.
  tracestate: (v: string) => v.length <= 512 && !/[\r\n]/.test(v),
} as const;

/**
 * The trace headers for the next hop (a NATS publish, an AMQP message) of work done for a
 * received message or request: the context of `ctx` when tracing is on, a child of what came in;
 * with tracing off, the received `traceparent` and `tracestate` passed on as they are (when they
 * are well-formed), so a trace begun upstream still joins up downstream of a service that records
 * nothing.
 */
export function nextHopTraceHeaders(
  received: HeaderCarrier | undefined,
  ctx: Context = context.active(),
): Record<string, string> {
  const injected = injectTraceHeaders({}, ctx);
  if (injected['traceparent']) return injected;
  const out: Record<string, string> = {};
  if (!received) return out;
  for (const [name, valid] of Object.entries(PASSED_ON)) {
    const value = getter.get(received, name);
    const first = Array.isArray(value) ? value[0] : value;
    if (first && valid(first)) out[name] = first;
  }
  // A tracestate means nothing without the traceparent it belongs to.
  if (!out['traceparent']) return {};
  return out;
}

/** A span over work that outlives one call; see startMessageSpan. */
export interface MessageSpan {
  /** Headers that continue this span's trace at the next hop (see nextHopTraceHeaders). */
  nextHop(): Record<string, string>;
  /** Ends the span, recording `err` (status ERROR) when given. Later calls do nothing. */
  end(err?: unknown): void;
}

/**
 * Starts a span for a received message whose work is not one function call (the store gathers
 * messages into shared writes), with the trace in `parentHeaders` as its parent.
 */
export function startMessageSpan(name: string, parentHeaders: HeaderCarrier): MessageSpan {
  const parent = extractTraceContext(parentHeaders);
  const span = tracer('@ep/telemetry').startSpan(name, {}, parent);
  const ctx = trace.setSpan(parent, span);
  let ended = false;
  return {
    nextHop: () => nextHopTraceHeaders(parentHeaders, ctx),
    end(err) {
      if (ended) return;
      ended = true;
      if (err !== undefined) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: err instanceof Error ? err.message : String(err),
        });
      }
      span.end();
    },
  };
}
