import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { endWithUs } from './children.js';
import { freePort } from './port.js';
import { waitFor } from './wait.js';

/** A Mosquitto process of a test's own (`mosquitto -c <conf>`, Debian's binary). */
export interface Mosquitto {
  url: string;
  port: number;
  /** Directory holding its configuration (and whatever the test put there). */
  dir: string;
  /** What the broker logged so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto on a free port with `lines` as its configuration; a `listener` line for the
 * port is added when `lines` has none (`{port}` in a line is replaced by the port). The shared
 * broker keeps at most 1,000 queued messages per session (Mosquitto's default), which a burst
 * test overruns: this one queues up to a million unless `lines` says otherwise.
 */
export async function startMosquitto(
  lines: string[] = ['allow_anonymous true'],
  options: { dir?: string } = {},
): Promise<Mosquitto> {
  const port = await freePort();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'ep-mosquitto-')));
  const conf = join(dir, 'mosquitto.conf');
  const body = lines.map((l) => l.replaceAll('{port}', String(port)));
  if (!body.some((l) => l.startsWith('listener '))) body.unshift(`listener ${port} 127.0.0.1`);
  if (!body.some((l) => l.startsWith('max_queued_messages'))) body.push('max_queued_messages 1000000');
  await writeFile(conf, [...body, ''].join('\n'));
  const child: ChildProcess = endWithUs(
    spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `mqtt://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${output}`);
      try {
        const c = await connectAsync(url, { connectTimeout: 500, reconnectPeriod: 0 });
        await c.endAsync();
        return true;
      } catch (err) {
        // A broker that refuses an anonymous probe is up.
        return /Not authorized|Bad username|unauthori/i.test((err as Error).message);
      }
    },
    { what: `mosquitto on ${port}`, timeoutMs: 10_000 },
  );
  return {
    url,
    port,
    dir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
