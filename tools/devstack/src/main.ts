// `make dev` is the demo: migrations, the demo site and admin key, the gateway simulators (when
// gateway-poller is in the checkout), then every service in services/ as a child process with one
// log stream whose lines are prefixed by the name, the test-stand simulator (when
// teststand-handler is), the sample files uploaded once, and what to open. Ctrl-C (or SIGTERM)
// stops them all cleanly.
import { runCli, USAGE as CLI_USAGE } from '@ep/cli';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  type Cli,
  DEMO_SITE,
  ensureDemoKey,
  ensureSite,
  epArgs,
  openHints,
  optionalParts,
  simListening,
  uploadSamples,
  waitForHttp,
} from './demo.js';
import { formatLogLine } from './log-format.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/ep',
  LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
};
const COLORS = [36, 35, 33, 32, 34, 91, 96];
const STOP_GRACE_MS = 30_000;

function say(text: string): void {
  process.stdout.write(`\x1b[1m[dev]\x1b[0m ${text}\n`);
}

/** Creates the database named in DATABASE_URL when it does not exist yet. */
async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      say(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

function run(command: string, args: string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function pipeWithPrefix(
  child: ChildProcess,
  label: string,
  color: number,
  onLine?: (line: string) => void,
): void {
  const prefix = `\x1b[${color}m${label.padEnd(18)}\x1b[0m│ `;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(prefix + formatLogLine(line) + '\n');
      onLine?.(line);
    });
  }
}

/** `pnpm ep …` in-process: the CLI's own code, its output collected. */
const cli: Cli = async (argv) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
};

const tsx = (script: string, args: string[] = []) => [
  '--conditions=@ep/source',
  '--import',
  'tsx',
  script,
  ...args,
];
const GATEWAY_SIM_PORT = 8201;
/** Every child process by its log label; stopped together. */
const children = new Map<string, ChildProcess>();
const SIMULATORS = new Set(['gateway-sim', 'teststand-sim']);

/** Once only simulators are left, they stop too. */
function stopSimsWhenAlone(): void {
  if ([...children.keys()].every((label) => SIMULATORS.has(label))) {
    for (const child of children.values()) child.kill('SIGTERM');
  }
}
const KEY_FILE = '.dev/demo-key';
const SECRETS_DIR = '.dev/gateway-secrets';

async function main(): Promise<void> {
  await ensureDatabase(env['DATABASE_URL']!);
  say('running migrations (pnpm ep migrate)');
  if ((await run('pnpm', ['--silent', 'ep', 'migrate'], root)) !== 0) {
    say('migrations failed; not starting the services');
    process.exit(1);
  }

  const servicesDir = `${root}services`;
  const names = readdirSync(servicesDir).filter((n) => existsSync(`${servicesDir}/${n}/src/main.ts`));
  if (names.length === 0) say('no service has a src/main.ts yet');
  let stopping = false;
  let colour = 0;

  const startChild = (label: string, cwd: string, args: string[], onLine?: (line: string) => void) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(label, child);
    pipeWithPrefix(child, label, COLORS[colour++ % COLORS.length]!, onLine);
    child.on('exit', (code, signal) => {
      children.delete(label);
      if (!stopping) say(`${label} exited (${signal ?? `code ${code}`}); the others keep running`);
      if (stopping && children.size === 0) process.exit(0);
      if (stopping) stopSimsWhenAlone();
    });
    return child;
  };

  // The demo site of the sample files and the admin key, through the CLI's own code.
  if (await ensureSite(cli, DEMO_SITE.key, DEMO_SITE.tz, DEMO_SITE.name)) say(`added site ${DEMO_SITE.key}`);
  const demoKey = await ensureDemoKey(cli, `${root}${KEY_FILE}`);

  const parts = optionalParts(root, CLI_USAGE);
  if (parts.gatewaysSkipped) say(`gateway simulators skipped: ${parts.gatewaysSkipped}`);
  else await startGatewaySims(startChild);

  names.forEach((name) => startChild(name, `${servicesDir}/${name}`, tsx('src/main.ts')));
  say(`started ${names.join(', ')} — Ctrl-C stops everything`);

  if (parts.teststandsSkipped) say(`test-stand simulator skipped: ${parts.teststandsSkipped}`);
  else
    startChild(
      'teststand-sim',
      `${root}tools/teststand-sim`,
      tsx('src/main.ts', ['--stands', '3', '--data-every', '5']),
    );

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping ${[...children.keys()].join(', ') || 'nothing'}`);
    if (children.size === 0) process.exit(0);
    // Services first: a poller whose simulator vanished mid-poll would only log refusals.
    for (const [label, child] of children) if (!SIMULATORS.has(label)) child.kill('SIGTERM');
    stopSimsWhenAlone();
    setTimeout(() => {
      for (const [name, child] of children) {
        say(`${name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
        child.kill('SIGKILL');
      }
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  // The sample files, once: upload-ingest answers a repeated file as a duplicate.
  const ingest = `http://127.0.0.1:${process.env['EP_DEV_INGEST_PORT'] ?? '8081'}`;
  if (names.includes('upload-ingest') && (await waitForHttp(`${ingest}/readyz`, 120_000))) {
    for (const line of await uploadSamples(root, ingest, demoKey.key, DEMO_SITE.key)) say(`upload ${line}`);
  } else {
    say(`upload-ingest not ready at ${ingest}; sample files not uploaded`);
  }
  await waitForHttp('http://127.0.0.1:8080/readyz', 60_000);
  for (const line of openHints(demoKey.key, KEY_FILE, demoKey.created, DEMO_SITE.key)) say(line);
}

/**
 * Prefect and Secure simulators in one process (one clock), their credentials written to
 * .dev/gateway-secrets for the poller, and the `pnpm ep` lines they print run once.
 */
async function startGatewaySims(
  startChild: (label: string, cwd: string, args: string[], onLine?: (line: string) => void) => ChildProcess,
): Promise<void> {
  const lines: string[][] = [];
  let expected = 0;
  let gatewayLines = 0;
  const printed = new Promise<void>((resolve, reject) => {
    const child = startChild(
      'gateway-sim',
      `${root}tools/gateway-sim`,
      tsx('src/main.ts', [
        '--vendor',
        'both',
        '--port',
        String(GATEWAY_SIM_PORT),
        '--sites',
        '3',
        '--nodes',
        '10',
        // Polled and reporting every minute (the vendors' default is 5): the demo shows gateway
        // data within its first minutes, not after a first five-minute slot.
        '--poll-interval',
        '60',
        '--report-interval',
        '60',
        '--secrets-dir',
        `${root}${SECRETS_DIR}`,
        '--print-ep-commands',
      ]),
      (line) => {
        const listening = simListening(line);
        if (listening) expected += listening.sites.length;
        const args = epArgs(line);
        if (!args) return;
        lines.push(args);
        if (args[0] === 'gateways' && ++gatewayLines === expected) resolve();
      },
    );
    child.once('exit', () => reject(new Error('gateway-sim exited before it printed its gateways')));
    setTimeout(() => reject(new Error('gateway-sim printed no gateways within 60 s')), 60_000).unref();
  });
  await printed;
  env['EP_GATEWAY_SECRETS_DIR'] = `${root}${SECRETS_DIR}`;
  for (const args of lines) {
    if (args[0] === 'sites' && args[1] === 'add') {
      const tz = args[args.indexOf('--tz') + 1]!;
      if (await ensureSite(cli, args[2]!, tz)) say(`added site ${args[2]}`);
      continue;
    }
    const result = await cli(args);
    if (result.code === 0) say(`ep ${args.slice(0, 3).join(' ')}: ${result.out.join(' ')}`);
    else if (!result.err.join(' ').includes('exists already'))
      throw new Error(`ep ${args.join(' ')}: ${result.err.join(' ')}`);
  }
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  for (const child of children.values()) child.kill('SIGTERM');
  process.exit(1);
});
