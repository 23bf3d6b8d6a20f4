import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { md5Hex } from '../src/index.js';

// The command line as `pnpm --filter @ep/gateway-sim start -- …` runs it: a process that prints
// its URL, writes the credentials for EP_GATEWAY_SECRETS_DIR, serves, and stops on SIGTERM.

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let child: ChildProcess;
let dir: string;
let url: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gateway-sim-'));
  child = spawn(
    process.execPath,
    [
      '--conditions=@ep/source',
      '--import',
      'tsx',
      'src/main.ts',
      '--',
      '--vendor',
      'secure',
      '--port',
      '0',
      '--sites',
      '2',
      '--nodes',
      '2',
      '--start',
      '2026-10-25T00:30:00Z',
      '--rate',
      '0',
      '--fail-rate',
      '0',
      '--secrets-dir',
      dir,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`gateway-sim exited with ${code} before listening`)));
  });
  const started = JSON.parse(line) as { vendor: string; url: string; sites: string[]; secretsDir: string };
  expect(started).toMatchObject({ vendor: 'secure', sites: ['BADOCK', 'GOLDNEY'], secretsDir: dir });
  url = started.url;
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('gateway-sim command line', () => {
  it('writes each site’s credentials (mode 0600) that log in', async () => {
    const file = join(dir, 'secure-badock');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const secret = JSON.parse(await readFile(file, 'utf8')) as { email: string; password: string };
    const res = await fetch(`${url}/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ UserEMailID: secret.email, Password: md5Hex(secret.password) }),
    });
    expect(res.status).toBe(200);
  });

  it('takes faults and clock moves through its control API, and stops on SIGTERM', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${url}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
    expect(await post('clock', { advanceMs: 3_600_000 })).toEqual({
      now: '2026-10-25T01:30:00.000Z',
      rate: 0,
    });
    expect(await post('faults', { gateway: 'BADOCK', settings: { failRate: 1 } })).toMatchObject({
      settings: { failRate: 1 },
    });
    const secret = JSON.parse(await readFile(join(dir, 'secure-badock'), 'utf8')) as {
      email: string;
      password: string;
    };
    const res = await fetch(`${url}/user/login`, {
      method: 'POST',
      body: new URLSearchParams({ UserEMailID: secret.email, Password: md5Hex(secret.password) }),
    });
    expect(res.status).toBe(500);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
