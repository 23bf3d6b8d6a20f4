// `make dev`: migrations, then every service in services/ as a child process, with one log stream
// whose lines are prefixed by the service name. Ctrl-C (or SIGTERM) stops them all cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
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

function pipeWithPrefix(child: ChildProcess, label: string, color: number): void {
  const prefix = `\x1b[${color}m${label.padEnd(18)}\x1b[0m│ `;
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(prefix + formatLogLine(line) + '\n'),
    );
  }
}

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
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  names.forEach((name, i) => {
    const child = spawn(process.execPath, ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: `${servicesDir}/${name}`,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(name, child);
    pipeWithPrefix(child, name, COLORS[i % COLORS.length]!);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (!stopping) say(`${name} exited (${signal ?? `code ${code}`}); the others keep running`);
      if (stopping && children.size === 0) process.exit(0);
    });
  });
  say(`started ${names.join(', ')} — Ctrl-C stops everything`);

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping ${[...children.keys()].join(', ') || 'nothing'}`);
    if (children.size === 0) process.exit(0);
    for (const child of children.values()) child.kill('SIGTERM');
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
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
