import { describe, expect, it } from '@jest/globals';
import { gatewayState, type GatewayStatus } from './gateways.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();
const gateway = (over: Partial<GatewayStatus>): GatewayStatus => ({
  name: 'g',
  site: 's',
  vendor: 'prefect',
  intervalSeconds: 300,
  owner: 'r1',
  lastPollAt: at(10),
  lastSuccessAt: at(10),
  lagSeconds: 42,
  lastError: null,
  ...over,
});

describe('gateway state', () => {
  it('is ok after a recent good poll, late past three intervals without one', () => {
    expect(gatewayState(gateway({}), NOW)).toEqual({ text: 'ok', cls: 'ok' });
    expect(gatewayState(gateway({ lastSuccessAt: at(900) }), NOW).text).toBe('ok');
    expect(gatewayState(gateway({ lastSuccessAt: at(901) }), NOW)).toEqual({ text: 'late', cls: 'bad' });
    expect(gatewayState(gateway({ lastSuccessAt: null }), NOW).text).toBe('late');
  });

  it('says a failing poll in words, whatever the last success', () => {
    const error = (kind: string | null) => ({ kind, message: 'GET /x: HTTP 401', at: at(5) });
    expect(gatewayState(gateway({ lastError: error('auth_refused') }), NOW)).toEqual({
      text: 'failing: credentials refused',
      cls: 'bad',
    });
    expect(gatewayState(gateway({ lastError: error('no_secret') }), NOW).text).toBe(
      'failing: no usable credentials',
    );
    expect(gatewayState(gateway({ lastError: error('something_new') }), NOW).text).toBe(
      'failing: something_new',
    );
    expect(gatewayState(gateway({ lastError: error(null) }), NOW).text).toBe('failing: error');
  });

  it('is not polled yet before its first poll', () => {
    expect(gatewayState(gateway({ lastPollAt: null, lastSuccessAt: null }), NOW)).toEqual({
      text: 'not polled yet',
      cls: 'muted',
    });
  });
});
