import { describe, expect, it } from '@jest/globals';
import { NoRespondersError, RequestError, TimeoutError, ClosedConnectionError } from '@nats-io/nats-core';
import { encodePayload, isTransientPublishError } from './publish.js';

describe('encodePayload', () => {
  it('sends bytes unchanged and objects as UTF-8 JSON', () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(encodePayload(bytes)).toBe(bytes);
    expect(new TextDecoder().decode(encodePayload({ site: 'bøliou', v: [1, null] }))).toBe(
      '{"site":"bøliou","v":[1,null]}',
    );
  });
});

describe('isTransientPublishError', () => {
  it('retries timeouts and no-responders (also as nats.js wraps them), nothing else', () => {
    const noResponders = new RequestError('no responders', { cause: new NoRespondersError('ep.readings.x') });
    expect(isTransientPublishError(new TimeoutError())).toBe(true);
    expect(isTransientPublishError(noResponders)).toBe(true);
    expect(isTransientPublishError(new Error('jetstream is not enabled', { cause: noResponders }))).toBe(
      true,
    );
    expect(isTransientPublishError(new ClosedConnectionError())).toBe(false);
    expect(isTransientPublishError(new Error('maximum payload exceeded'))).toBe(false);
  });
});
