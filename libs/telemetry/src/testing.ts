import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** Spans recorded in memory by recordSpansInMemory(). */
export interface SpanRecorder {
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  reset(): void;
  /** Unregisters everything: the API is back to its no-ops. */
  stop(): Promise<void>;
}

/**
 * For tests: registers what startTelemetry registers (tracer provider, W3C propagator, async
 * context), recording finished spans in memory instead of exporting them, so a test can check
 * which spans a service made and how they link.
 */
export function recordSpansInMemory(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
