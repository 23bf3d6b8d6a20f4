import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  extractTraceContext,
  injectTraceHeaders,
  nextHopTraceHeaders,
  startMessageSpan,
  tracer,
  withSpan,
} from './index.js';
import { recordSpansInMemory } from './testing.js';

// The real SDK pieces, recording in memory instead of exporting: what startTelemetry registers,
// minus the network.
const recorder = recordSpansInMemory();
afterEach(() => recorder.reset());
afterAll(() => recorder.stop());

const spanNamed = (name: string) => recorder.spans().find((s) => s.name === name);

describe('trace headers', () => {
  it('inject then extract round-trips the trace id and span id', () => {
    const span = tracer('test').startSpan('publish');
    const headers = injectTraceHeaders({}, trace.setSpan(context.active(), span));
    const { traceId, spanId } = span.spanContext();
    expect(headers['traceparent']).toBe(`00-${traceId}-${spanId}-01`);

    const received = trace.getSpanContext(extractTraceContext(headers));
    expect(received).toMatchObject({ traceId, spanId, isRemote: true });
    span.end();
  });

  it('reads trace context among other AMQP headers, whatever the case of the name', () => {
    const span = tracer('test').startSpan('publish');
    const headers = injectTraceHeaders({}, trace.setSpan(context.active(), span));
    const amqpHeaders = { 'x-batch': 3, Traceparent: headers['traceparent'], tracestate: undefined };
    expect(trace.getSpanContext(extractTraceContext(amqpHeaders))?.traceId).toBe(span.spanContext().traceId);
    span.end();
  });

  it('adds nothing when no span is active, and extracts nothing from headers without trace context', () => {
    expect(injectTraceHeaders({ 'content-type': 'application/json' })).toEqual({
      'content-type': 'application/json',
    });
    expect(trace.getSpanContext(extractTraceContext({ 'x-other': '1' }))).toBeUndefined();
  });
});

describe('withSpan', () => {
  it('continues the trace of received headers, and headers injected inside carry the new span', async () => {
    const producer = tracer('test').startSpan('upload');
    const received = injectTraceHeaders({}, trace.setSpan(context.active(), producer));
    producer.end();

    const forwarded = await withSpan('store batch', received, async () => {
      await new Promise((resolve) => setImmediate(resolve)); // context survives an async hop
      return injectTraceHeaders({});
    });

    const consumer = spanNamed('store batch');
    expect(consumer?.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(forwarded['traceparent']).toBe(
      `00-${producer.spanContext().traceId}-${consumer?.spanContext().spanId}-01`,
    );
  });

  it('nests under the active span when there are no headers', async () => {
    await withSpan('outer', undefined, () => withSpan('inner', undefined, () => 'done'));
    const outer = spanNamed('outer');
    const inner = spanNamed('inner');
    expect(outer?.parentSpanContext).toBeUndefined();
    expect(inner?.parentSpanContext?.spanId).toBe(outer?.spanContext().spanId);
  });

  it('records a failure on the span, ends it, and rethrows', async () => {
    await expect(
      withSpan('publish', undefined, async () => {
        throw new Error('broker refused');
      }),
    ).rejects.toThrow('broker refused');
    const span = spanNamed('publish');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker refused' });
    expect(span?.events.map((e) => e.name)).toEqual(['exception']);
  });
});

describe('next hop', () => {
  const upstream = () => {
    const span = tracer('test').startSpan('upload');
    const headers = injectTraceHeaders({ tracestate: 'ep=1' }, trace.setSpan(context.active(), span));
    span.end();
    return { span, headers };
  };

  it('passes received trace headers on as they are when no span records here', () => {
    const { headers } = upstream();
    // An HTTP request's headers: lower-case names, other headers beside them.
    const received = { 'content-type': 'text/csv', traceparent: headers['traceparent'], tracestate: 'ep=1' };
    expect(nextHopTraceHeaders(received, ROOT_CONTEXT)).toEqual({
      traceparent: headers['traceparent'],
      tracestate: 'ep=1',
    });
    expect(nextHopTraceHeaders({ 'x-other': '1' }, ROOT_CONTEXT)).toEqual({});
    // Malformed or all-zero ids are not passed on, nor a tracestate without its traceparent.
    const zeros = `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`;
    for (const traceparent of ['garbage', zeros, `${headers['traceparent']}\r\nx: 1`])
      expect(nextHopTraceHeaders({ traceparent, tracestate: 'ep=1' }, ROOT_CONTEXT)).toEqual({});
    expect(
      nextHopTraceHeaders({ traceparent: headers['traceparent'], tracestate: 'x'.repeat(600) }, ROOT_CONTEXT),
    ).toEqual({
      traceparent: headers['traceparent'],
    });
    expect(nextHopTraceHeaders(undefined, ROOT_CONTEXT)).toEqual({});
  });

  it('gives the active span when one records, a child of what came in', async () => {
    const { span, headers } = upstream();
    const next = await withSpan('upload siemens', headers, () => nextHopTraceHeaders(headers));
    const child = spanNamed('upload siemens');
    expect(child?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(next['traceparent']).toBe(`00-${span.spanContext().traceId}-${child?.spanContext().spanId}-01`);
  });

  it('startMessageSpan: a span over gathered work, continuing the received trace, ended once', () => {
    const { span, headers } = upstream();
    const work = startMessageSpan('store readings', headers);
    const next = work.nextHop();
    work.end(new Error('write failed'));
    work.end();
    const spans = recorder.spans().filter((s) => s.name === 'store readings');
    expect(spans).toHaveLength(1);
    expect(spans[0]?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(spans[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'write failed' });
    expect(next['traceparent']).toBe(`00-${span.spanContext().traceId}-${spans[0]?.spanContext().spanId}-01`);
  });
});
