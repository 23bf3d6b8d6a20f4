import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { endWithUs } from './children.js';
import { freePort } from './port.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// A service as its own process, for the tests and benchmarks that need one the way it runs in a
// pod: another service's integration tests (no package depends on a service to start it), the
// benchmarks, and kill -9 tests. One way to start a service, here, for all of them.

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** A service, by its folder under services/ (= package = image = chart component). */
export type ServiceName = string;

export const serviceDir = (name: ServiceName): string => join(repo, 'services', name);

/** Compiles services (and the libs they reference) so that `start:dist` runs the current source. */
export function buildServices(...names: ServiceName[]): void {
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', ...names.map(serviceDir)], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`tsc -b failed:\n${result.stdout}${result.stderr}`);
}

export interface ServiceProcess {
  proc: ChildProcess;
  /** Resolves with performance.now() when a stdout line contains the `ready` text; rejects if it exits first. */
  ready: Promise<number>;
  /** Rejects when the process exits on its own, so a crash ends a run instead of hanging it. */
  exited: Promise<never>;
  /** Everything it printed on stdout lately (its JSON log lines), for a failing test's message. */
  output(): string;
  /** SIGTERM, and wait for the exit; resolves with how it ended (a clean stop: code 0). */
  stop(): Promise<ExitStatus>;
  /** SIGKILL, and wait for the exit: a crash, as a pod's OOM kill or a node loss would be. */
  kill(): Promise<ExitStatus>;
}

/** How a process ended: its exit code, or the signal that ended it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartServiceOptions {
  /**
   * `source` (default) runs the package's `start` script (TypeScript through tsx, no build step);
   * `dist` its `start:dist`, the Dockerfile's `node dist/src/main.js` (call buildServices first).
   */
  mode?: 'source' | 'dist';
  /** The stdout text that means ready; every service logs `<name> started` (runService). */
  ready?: string;
  /** Where its stderr goes: the test's own stderr (default) or nowhere. */
  stderr?: 'inherit' | 'ignore';
  /** Options for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/**
 * Starts a service's process with `env` added to this one's, run with this node directly so that
 * `proc.pid` is the service's own process (RSS readings, SIGKILL).
 */
export function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: StartServiceOptions = {},
): ServiceProcess {
  const dir = serviceDir(name);
  const scriptName = options.mode === 'dist' ? 'start:dist' : 'start';
  const script = (
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts[scriptName];
  if (!script) throw new Error(`services/${name}/package.json has no "${scriptName}" script`);
  const [command, ...args] = script.split(/\s+/);
  const isNode = command === 'node';
  const proc = endWithUs(
    spawn(isNode ? process.execPath : command!, isNode ? [...(options.nodeArgs ?? []), ...args] : args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
      env: { ...process.env, ...env },
    }),
  );
  const ready = options.ready ?? `${name} started`;
  let seen = '';
  const exited = new Promise<never>((_, reject) => {
    proc.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}); it printed:\n${seen.slice(-2000)}`)),
    );
  });
  exited.catch(() => undefined);
  const readyAt = new Promise<number>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      seen = (seen + d.toString()).slice(-16_384);
      if (seen.includes(ready)) resolve(performance.now());
    });
    exited.catch(reject);
  });
  readyAt.catch(() => undefined);
  const status = new Promise<ExitStatus>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const end = async (signal: NodeJS.Signals): Promise<ExitStatus> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return status;
  };
  return {
    proc,
    ready: readyAt,
    exited,
    output: () => seen,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}

/**
 * measurement-store as deployed, its own process, on one test database and NATS prefix: what
 * another service's tests and the benchmarks store through (no package depends on the store's).
 * Resolves once it has created its streams and consumers and said it started. `env` adds or
 * overrides settings (STORE_BATCH_WAIT_MS, …).
 */
export async function startStore(
  target: { databaseUrl: string; natsUrl: string; prefix: string },
  env: Record<string, string> = {},
  options: StartServiceOptions = {},
): Promise<ServiceProcess> {
  const store = startService(
    'measurement-store',
    {
      DATABASE_URL: target.databaseUrl,
      NATS_URL: target.natsUrl,
      EP_NATS_PREFIX: target.prefix,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
      ...env,
    },
    options,
  );
  try {
    await store.ready;
  } catch (err) {
    await store.kill();
    throw err;
  }
  return store;
}
