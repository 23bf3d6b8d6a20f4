import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { injectTraceHeaders, startTelemetry, tracer, withSpan } from './index.js';

interface Received {
  url: string;
  contentType: string | undefined;
  body: string;
}

describe('startTelemetry', () => {
  it('without an endpoint is a no-op that shuts down cleanly', async () => {
    const telemetry = await startTelemetry({ serviceName: 'ep-test' });
    expect(telemetry.enabled).toBe(false);
    const span = tracer('test').startSpan('ignored');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(await withSpan('also ignored', undefined, () => injectTraceHeaders({}))).toEqual({});
    await expect(telemetry.shutdown()).resolves.toBeUndefined();
  });

  describe('with an endpoint', () => {
    // A stand-in OTLP/HTTP collector: it records what the exporter posts.
    const received: Received[] = [];
    let collector: Server;
    let endpoint: string;

    beforeAll(async () => {
      collector = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            url: req.url ?? '',
            contentType: req.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      collector.closeAllConnections();
      await new Promise((resolve) => collector.close(resolve));
    });

    it('records spans and exports them to <endpoint>/v1/traces by shutdown', async () => {
      const telemetry = await startTelemetry({ serviceName: 'ep-test-service', endpoint });
      expect(telemetry.enabled).toBe(true);
      const headers = await withSpan('parse upload', undefined, (span) => {
        expect(span.isRecording()).toBe(true);
        return injectTraceHeaders({});
      });
      expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

      await telemetry.shutdown();
      const traces = received.filter((r) => r.url === '/v1/traces');
      expect(traces).toHaveLength(1);
      expect(traces[0]?.body).toContain('ep-test-service');
      expect(traces[0]?.body).toContain('parse upload');
      // After shutdown the API is back to no-op.
      expect(tracer('test').startSpan('late').isRecording()).toBe(false);
      await expect(telemetry.shutdown()).resolves.toBeUndefined();
    });
  });
});
