import { describe, expect, it } from '@jest/globals';
import { parseCliArgs } from './args.js';

describe('gateway-sim command line', () => {
  it('reads the documented example', () => {
    const o = parseCliArgs([
      '--',
      '--vendor',
      'prefect',
      '--port',
      '8201',
      '--sites',
      '3',
      '--nodes',
      '10',
      '--latency-ms',
      '200',
      '--fail-rate',
      '0.05',
    ]);
    expect(o).toMatchObject({
      vendor: 'prefect',
      port: 8201,
      sites: 3,
      nodes: 10,
      faults: { latencyMs: 200, failRate: 0.05 },
      rate: 1,
    });
  });

  it('defaults the port per vendor and takes removed nodes', () => {
    const o = parseCliArgs([
      '--vendor',
      'secure',
      '--remove-node',
      'BADOCK:3',
      '--remove-node',
      'HIATT:1',
      '--gateway-fault',
      'BADOCK:failRate=0.5,latencyMs=200',
    ]);
    expect(o?.gatewayFaults).toEqual({ BADOCK: { failRate: 0.5, latencyMs: 200 } });
    expect(o?.port).toBe(8202);
    expect(o?.removeNodes).toEqual([
      ['BADOCK', '3'],
      ['HIATT', '1'],
    ]);
  });

  it('says what is wrong', () => {
    expect(() => parseCliArgs([])).toThrow(/--vendor must be prefect, secure or both/);
    expect(() => parseCliArgs(['--vendor', 'prefect', '--fail-rate', '5'])).toThrow(
      /--fail-rate must be a probability/,
    );
    expect(() =>
      parseCliArgs(['--vendor', 'prefect', '--fail-rate', '0.6', '--timeout-rate', '0.6']),
    ).toThrow(/add up/);
    expect(() => parseCliArgs(['--vendor', 'prefect', '--remove-node', 'BADOCK'])).toThrow(/SITE:NODE/);
    expect(() => parseCliArgs(['--vendor', 'prefect', '--gateway-fault', 'BADOCK:fail=1'])).toThrow(
      /unknown setting "fail"/,
    );
    expect(() => parseCliArgs(['--vendor', 'prefect', '--gateway-fault', 'BADOCK:failRate=3'])).toThrow(
      /probability/,
    );
    expect(parseCliArgs(['--help'])).toBeNull();
  });
});
