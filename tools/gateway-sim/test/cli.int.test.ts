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
let prefectUrl: string;
let lines: string[];
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
      'both',
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
      '--print-ep-commands',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  // Two JSON lines (one per vendor), then 2 `ep sites add` and 4 `ep gateways add` lines.
  lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const all = out.split('\n');
      if (all.length > 8) resolve(all.slice(0, 8));
    });
    child.once('exit', (code) => reject(new Error(`gateway-sim exited with ${code} before listening`)));
  });
  const started = lines
    .slice(0, 2)
    .map((l) => JSON.parse(l) as { vendor: string; url: string; sites: string[]; secretsDir: string });
  expect(started.map((s) => s.vendor)).toEqual(['prefect', 'secure']);
  expect(started[1]).toMatchObject({ sites: ['BADOCK', 'GOLDNEY'], secretsDir: dir });
  prefectUrl = started[0]!.url;
  url = started[1]!.url;
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('gateway-sim command line', () => {
  it('prints the commands that register its gateways with EP', () => {
    expect(lines.slice(2)).toEqual([
      'pnpm ep sites add badock --tz Europe/London',
      'pnpm ep sites add goldney --tz Europe/London',
      `pnpm ep gateways add prefect-badock --site badock --vendor prefect --url ${prefectUrl} --interval 300`,
      `pnpm ep gateways add prefect-goldney --site goldney --vendor prefect --url ${prefectUrl} --interval 300`,
      `pnpm ep gateways add secure-badock --site badock --vendor secure --url ${url} --interval 300`,
      `pnpm ep gateways add secure-goldney --site goldney --vendor secure --url ${url} --interval 300`,
    ]);
    expect(prefectUrl).toMatch(/\/apiv1\/SiteApi\/$/);
  });

  it('serves Prefect with the token it wrote, on the same clock', async () => {
    const { token } = JSON.parse(await readFile(join(dir, 'prefect-badock'), 'utf8')) as { token: string };
    const res = await fetch(`${prefectUrl}BADOCK/NodeStatus`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const [node] = (await res.json()) as { LastReceiveAt: number }[];
    expect(node!.LastReceiveAt).toBeLessThanOrEqual(Date.parse('2026-10-25T00:30:00Z') / 1000);
  });

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
