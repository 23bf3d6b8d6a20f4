import { describe, expect, it } from '@jest/globals';
import { deliveryKey, eventIdFor } from './identity.js';

describe('deliveryKey', () => {
  const payload = Buffer.from('{"a":1}');
  it('is the same for a redelivery of one message', () => {
    expect(deliveryKey('h-0', 7, 's/m/Inbound', payload)).toBe(
      deliveryKey('h-0', 7, 's/m/Inbound', Buffer.from('{"a":1}')),
    );
  });
  it('differs by session, packet id, topic and payload', () => {
    const base = deliveryKey('h-0', 7, 's/m/Inbound', payload);
    expect(
      new Set([
        base,
        deliveryKey('h-1', 7, 's/m/Inbound', payload),
        deliveryKey('h-0', 8, 's/m/Inbound', payload),
        deliveryKey('h-0', 7, 't/m/Inbound', payload),
        deliveryKey('h-0', 7, 's/m/Inbound', Buffer.from('{"a":2}')),
      ]).size,
    ).toBe(5);
  });
  it('the event id adds the time of receipt', () => {
    expect(eventIdFor('k', new Date(1_000))).not.toBe(eventIdFor('k', new Date(2_000)));
  });
});
