import { describe, expect, it } from '@jest/globals';
import { parseNotifierConfig } from './config.js';

describe('notifier config', () => {
  it('has the documented defaults', () => {
    expect(parseNotifierConfig({})).toMatchObject({
      EP_AMQP_EXCHANGE: 'ep.events',
      EP_AMQP_MAX_MESSAGE_BYTES: 1_048_576,
      EP_NATS_PREFIX: 'ep',
      PORT: 9104,
    });
  });

  it('names every bad variable at once', () => {
    expect(() =>
      parseNotifierConfig({
        EP_AMQP_MAX_MESSAGE_BYTES: '1MB',
        AMQP_URL: 'http://x',
        EP_NOTIFIER_CONCURRENCY: '0',
      }),
    ).toThrow(/EP_AMQP_MAX_MESSAGE_BYTES[\s\S]*AMQP_URL|AMQP_URL[\s\S]*EP_AMQP_MAX_MESSAGE_BYTES/);
  });
});
