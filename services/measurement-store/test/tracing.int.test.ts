import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import { recordSpansInMemory, type SpanRecorder } from '@ep/telemetry/testing';
import { waitFor } from '@ep/testkit';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { SpanStatusCode } from '@opentelemetry/api';
import { startMeasurementStore } from '../src/index.js';
import { batchOf, storeTestEnv, type StoreTestEnv } from './support.js';

// Tracing on, spans recorded in memory: the store's span per readings message continues the
// producer's trace, ends once, and its context is what the stored event carries on.

describe('measurement-store tracing', () => {
  let env: StoreTestEnv;
  let store: Awaited<ReturnType<typeof startMeasurementStore>>;
  let recorder: SpanRecorder;

  beforeAll(async () => {
    recorder = recordSpansInMemory();
    env = await storeTestEnv('tracing');
    await env.addSite('carleton', 'America/Chicago');
    store = await startMeasurementStore({
      databaseUrl: env.testDb.url,
      natsUrl: env.natsUrl,
      prefix: env.prefix,
      logger: silentLogger(),
      limits: { maxWaitMs: 20 },
    });
  });

  afterAll(async () => {
    await store?.stop();
    await env?.close();
    await recorder?.stop();
  });

  /** Publishes a readings batch as a traced producer would. */
  async function publishTraced(batch: ReturnType<typeof batchOf>, traceparent: string) {
    const h = natsHeaders();
    h.set('traceparent', traceparent);
    await env.js.publish(env.names.subjects.readings(batch.source, batch.site), JSON.stringify(batch), {
      msgID: batch.batchId,
      headers: h,
    });
  }

  it('makes one span per readings message, a child of the producer, and carries it to the stored event', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const producerSpan = '00f067aa0ba902b7';
    await publishTraced(
      batchOf('traced:1', 'carleton', [['2026-01-06T00:00:00Z', 1, 0]]),
      `00-${traceId}-${producerSpan}-01`,
    );
    const stored = await waitFor(async () => {
      const { state } = await env.jsm.streams.info(env.names.streams.stored);
      if (state.messages === 0) return undefined;
      return env.jsm.streams.getMessage(env.names.streams.stored, { seq: state.last_seq });
    });
    const spans = await waitFor(() => {
      const found = recorder.spans().filter((s) => s.name === 'store readings');
      return found.length > 0 ? found : undefined;
    });
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(producerSpan);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(stored.header?.get('traceparent')).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
  });

  it('ends the span of a refused message with the reason', async () => {
    recorder.reset();
    await publishTraced(
      batchOf('traced:nosite', 'nowhere', [['2026-01-06T00:00:00Z', 1, 0]]),
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    const span = await waitFor(() => recorder.spans().find((s) => s.name === 'store readings'));
    expect(span.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('unknown site'),
    });
  });
});
