import { parseArgs } from 'node:util';
import type { FaultSettings } from './faults.js';

const FAULT_SETTING_KEYS: (keyof FaultSettings)[] = [
  'latencyMs',
  'failRate',
  'timeoutRate',
  'malformedRate',
  'missingFieldRate',
];

export type Vendor = 'prefect' | 'secure';

/** `both` runs the two simulators in one process on one clock (the demo). */
export type VendorChoice = Vendor | 'both';

export interface CliOptions {
  vendor: VendorChoice;
  host: string;
  port: number;
  sites: number;
  nodes: number;
  seed: number;
  /** Simulated clock start (ISO); default the wall clock. */
  start?: string;
  /** Simulated ms per real ms. */
  rate: number;
  historyDays: number;
  pollIntervalS: number;
  faults: FaultSettings;
  /** Per-gateway fault settings, merged over `faults`. */
  gatewayFaults: Record<string, FaultSettings>;
  /** `SITE:NODE` pairs taken out from the start. */
  removeNodes: [string, string][];
  reportIntervalS?: number;
  dropoutRate?: number;
  overrideRate?: number;
  sessionTtlS?: number;
  maxClockSkewS?: number;
  /** Write each site's credentials JSON here, as EP_GATEWAY_SECRETS_DIR expects. */
  secretsDir?: string;
  /** Default `<vendor>-`; with `both`, each vendor's files get their own vendor's prefix. */
  secretsPrefix?: string;
  /** Print the `pnpm ep sites add` / `pnpm ep gateways add` commands that register the simulated gateways. */
  printEpCommands: boolean;
  /** Keep the record's samples (off with --no-record-samples). */
  recordSamples: boolean;
}

export const DEFAULT_PORTS: Record<Vendor, number> = { prefect: 8201, secure: 8202 };

export const USAGE = `usage: pnpm --filter @ep/gateway-sim start -- --vendor prefect|secure|both [options]

Runs a vendor's simulated cloud API (see tools/gateway-sim/README.md) until Ctrl-C, and prints
one JSON line {"vendor","url","sites","secretsDir"} per vendor once it listens.

  --vendor prefect|secure|both
                              which API (required); both = the two on one clock, Prefect on
                              --port and Secure on --port + 1 (default 8201 and 8202)
  --host <addr>               interface (default 127.0.0.1)
  --port <n>                  port (default 8201 prefect, 8202 secure; 0 = any free port)
  --sites <n>                 sites (accounts), one gateway each (default 3)
  --nodes <n>                 Prefect nodes / Secure zones per site (default 10)
  --seed <n>                  seed of all generated data and credentials (default 1)
  --start <ISO instant>       simulated clock start (default now)
  --rate <x>                  simulated seconds per real second (default 1; 0 freezes it)
  --history-days <n>          days of data before the start (default 60)
  --poll-interval <s>         poll-counter interval of the record (default 300)
  --latency-ms <ms>           delay before every answer (default 0)
  --fail-rate <p>             probability of HTTP 500 per request, 0–1 (default 0)
  --timeout-rate <p>          probability of never answering (default 0)
  --malformed-rate <p>        probability of cut-off JSON (default 0)
  --missing-field-rate <p>    probability of one required field missing (default 0)
  --gateway-fault <SITE:k=v[,k=v]>
                              faults of one gateway, e.g. BADOCK:failRate=0.5,latencyMs=200 (keys:
                              latencyMs, failRate, timeoutRate, malformedRate, missingFieldRate); repeatable
  --remove-node <SITE:NODE>   a node (Prefect address, Secure zone id) that has disappeared; repeatable
  --report-interval <s>       Prefect: seconds between a node's reports (default 300)
  --dropout-rate <p>          Prefect: probability a report is lost (default 0.03)
  --override-rate <p>         Prefect: probability per node per day of an operator override (default 0.3)
  --session-ttl <s>           Secure: simulated seconds a session lives before ID 848 (default 3600)
  --max-clock-skew <s>        Secure: refuse a DateHeader this far from the simulated clock (default off)
  --secrets-dir <dir>         write each site's credentials JSON to <dir>/<prefix><site lower-case>
  --secrets-prefix <p>        file-name prefix for --secrets-dir (default "<vendor>-")
  --print-ep-commands         print the pnpm ep commands that register the simulated gateways
  --no-record-samples         record only poll/request/write counts, not samples (long benchmark runs)
  --help

Faults can also be changed while it runs: POST /_sim/faults (see the README).
`;

function num(
  name: string,
  value: string | undefined,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new Error(`--${name} must be ${what}, got "${value}"`);
  return n;
}
const whole = (n: number) => Number.isInteger(n) && n >= 0;
const positive = (n: number) => Number.isInteger(n) && n >= 1;
const probability = (n: number) => n >= 0 && n <= 1;

/** Parses the command line; throws an Error fit for the terminal; `null` asks for help. */
export function parseCliArgs(argv: string[]): CliOptions | null {
  // `pnpm start -- --x` hands the `--` through; it is not an end-of-options marker here.
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    strict: true,
    allowPositionals: false,
    options: {
      vendor: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      sites: { type: 'string' },
      nodes: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      rate: { type: 'string' },
      'history-days': { type: 'string' },
      'poll-interval': { type: 'string' },
      'latency-ms': { type: 'string' },
      'fail-rate': { type: 'string' },
      'timeout-rate': { type: 'string' },
      'malformed-rate': { type: 'string' },
      'missing-field-rate': { type: 'string' },
      'remove-node': { type: 'string', multiple: true },
      'gateway-fault': { type: 'string', multiple: true },
      'report-interval': { type: 'string' },
      'dropout-rate': { type: 'string' },
      'override-rate': { type: 'string' },
      'session-ttl': { type: 'string' },
      'max-clock-skew': { type: 'string' },
      'secrets-dir': { type: 'string' },
      'secrets-prefix': { type: 'string' },
      'no-record-samples': { type: 'boolean' },
      'print-ep-commands': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return null;
  const vendor = values.vendor;
  if (vendor !== 'prefect' && vendor !== 'secure' && vendor !== 'both')
    throw new Error(
      `--vendor must be prefect, secure or both, got ${vendor === undefined ? 'nothing' : `"${vendor}"`}`,
    );
  if (values.start !== undefined && !Number.isFinite(Date.parse(values.start)))
    throw new Error(`--start must be an ISO instant, got "${values.start}"`);
  const removeNodes = (values['remove-node'] ?? []).map((pair): [string, string] => {
    const m = /^([^:]+):(\d+)$/.exec(pair);
    if (!m) throw new Error(`--remove-node must be SITE:NODE (e.g. BADOCK:17), got "${pair}"`);
    return [m[1] as string, m[2] as string];
  });
  const faults: FaultSettings = {};
  const latency = num('latency-ms', values['latency-ms'], whole, 'a whole number of ms');
  if (latency !== undefined) faults.latencyMs = latency;
  const rates: [keyof FaultSettings, string][] = [
    ['failRate', 'fail-rate'],
    ['timeoutRate', 'timeout-rate'],
    ['malformedRate', 'malformed-rate'],
    ['missingFieldRate', 'missing-field-rate'],
  ];
  for (const [key, flag] of rates) {
    const v = num(flag, values[flag as 'fail-rate'], probability, 'a probability from 0 to 1');
    if (v !== undefined) faults[key] = v;
  }
  const gatewayFaults: Record<string, FaultSettings> = {};
  for (const spec of values['gateway-fault'] ?? []) {
    const m = /^([^:]+):(.+)$/.exec(spec);
    if (!m) throw new Error(`--gateway-fault must be SITE:key=value[,key=value], got "${spec}"`);
    const settings: FaultSettings = (gatewayFaults[m[1] as string] ??= {});
    for (const pair of (m[2] as string).split(',')) {
      const [key, value] = pair.split('=') as [string, string | undefined];
      if (!FAULT_SETTING_KEYS.includes(key as keyof FaultSettings)) {
        throw new Error(`--gateway-fault: unknown setting "${key}"; one of ${FAULT_SETTING_KEYS.join(', ')}`);
      }
      const latency = key === 'latencyMs';
      settings[key as keyof FaultSettings] = num(
        'gateway-fault',
        value,
        latency ? whole : probability,
        `${key} ${latency ? 'a whole number of ms' : 'a probability from 0 to 1'}`,
      );
    }
  }
  const rateSum =
    (faults.failRate ?? 0) +
    (faults.timeoutRate ?? 0) +
    (faults.malformedRate ?? 0) +
    (faults.missingFieldRate ?? 0);
  if (rateSum > 1) throw new Error(`the fault rates add up to ${rateSum}, more than 1`);
  return {
    vendor,
    host: values.host ?? '127.0.0.1',
    port:
      num('port', values.port, (n) => whole(n) && n < 65536, 'a port number') ??
      DEFAULT_PORTS[vendor === 'both' ? 'prefect' : vendor],
    sites: num('sites', values.sites, positive, 'a whole number ≥ 1') ?? 3,
    nodes: num('nodes', values.nodes, positive, 'a whole number ≥ 1') ?? 10,
    seed: num('seed', values.seed, Number.isInteger, 'a whole number') ?? 1,
    start: values.start,
    rate: num('rate', values.rate, (n) => n >= 0, 'a number ≥ 0') ?? 1,
    historyDays: num('history-days', values['history-days'], whole, 'a whole number of days') ?? 60,
    pollIntervalS:
      num('poll-interval', values['poll-interval'], positive, 'a whole number of seconds ≥ 1') ?? 300,
    faults,
    gatewayFaults,
    removeNodes,
    reportIntervalS: num(
      'report-interval',
      values['report-interval'],
      (n) => Number.isInteger(n) && n >= 10,
      'a whole number of seconds ≥ 10',
    ),
    dropoutRate: num('dropout-rate', values['dropout-rate'], probability, 'a probability from 0 to 1'),
    overrideRate: num('override-rate', values['override-rate'], probability, 'a probability from 0 to 1'),
    sessionTtlS: num('session-ttl', values['session-ttl'], positive, 'a whole number of seconds ≥ 1'),
    maxClockSkewS: num('max-clock-skew', values['max-clock-skew'], whole, 'a whole number of seconds'),
    secretsDir: values['secrets-dir'],
    secretsPrefix: values['secrets-prefix'],
    printEpCommands: values['print-ep-commands'] ?? false,
    recordSamples: !values['no-record-samples'],
  };
}
