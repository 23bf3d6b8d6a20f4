import { describe, expect, it } from '@jest/globals';
import { parseTapArgs, queueArguments } from './args.js';

describe('parseTapArgs', () => {
  it('reads the documented command line, ignoring the `--` pnpm passes through', () => {
    const options = parseTapArgs(
      ['--', '--exchange', 'ep.events', '--queue', 'my-q', '--ttl', '1800000', '--dlx', 'ep.dead'],
      {},
    );
    expect(options).toMatchObject({ exchange: 'ep.events', queue: 'my-q', ttlMs: 1_800_000, bodies: true });
    expect(queueArguments(options!)).toEqual({
      'x-message-ttl': 1_800_000,
      'x-dead-letter-exchange': 'ep.dead',
    });
  });

  it('falls back to AMQP_URL and EP_AMQP_EXCHANGE, and declares no x-arguments unless asked', () => {
    const options = parseTapArgs([], { AMQP_URL: 'amqp://u:p@broker:5672', EP_AMQP_EXCHANGE: 'x.y' });
    expect(options).toMatchObject({ url: 'amqp://u:p@broker:5672', exchange: 'x.y', queue: undefined });
    expect(queueArguments(options!)).toEqual({});
  });

  it('refuses a TTL that is not a whole number and unknown options', () => {
    expect(() => parseTapArgs(['--ttl', '30m'], {})).toThrow(/--ttl must be a whole number/);
    expect(() => parseTapArgs(['--tll', '5'], {})).toThrow(/tll/);
    expect(parseTapArgs(['--help'], {})).toBeNull();
  });
});
