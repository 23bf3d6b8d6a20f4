import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** The services the suites run, by their folder under services/. */
export type ServiceName =
  'measurement-store' | 'upload-ingest' | 'notifier' | 'query-api' | 'teststand-handler';

export const serviceDir = (name: ServiceName) => join(repo, 'services', name);

/** Compiles the services (and the libs they reference) so that `start:dist` runs the current source. */
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
  /** SIGTERM, and wait for the exit (nothing when it has exited already). */
  stop(): Promise<void>;
}

/**
 * Starts a service as deployed: its `start:dist` script (the Dockerfile's `node dist/src/main.js`;
 * call buildServices first), run with this node directly so that `proc.pid` is the service's own
 * process, as the RSS readings need.
 */
export function startService(
  name: ServiceName,
  env: Record<string, string>,
  ready = `${name} started`,
): ServiceProcess {
  const dir = serviceDir(name);
  const script = (
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: { 'start:dist': string } }
  ).scripts['start:dist'];
  const [command, ...args] = script.split(/\s+/);
  const proc = spawn(command === 'node' ? process.execPath : command!, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<never>((_, reject) => {
    proc.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}) during the run`)),
    );
  });
  exited.catch(() => undefined);
  const readyAt = new Promise<number>((resolve, reject) => {
    let seen = '';
    proc.stdout!.on('data', (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4096);
      if (seen.includes(ready)) resolve(performance.now());
    });
    exited.catch(reject);
  });
  readyAt.catch(() => undefined);
  return {
    proc,
    ready: readyAt,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}
