import { describe, expect, it } from '@jest/globals';
import { headersToRecord, recordToHeaders } from './headers.js';

describe('headers', () => {
  it('round-trips a W3C trace context through NATS headers', () => {
    const record = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'ep=1',
    };
    expect(headersToRecord(recordToHeaders(record))).toEqual(record);
  });

  it('sends no header block when there is nothing to send', () => {
    expect(recordToHeaders(undefined)).toBeUndefined();
    expect(recordToHeaders({})).toBeUndefined();
    expect(headersToRecord(undefined)).toEqual({});
  });
});
