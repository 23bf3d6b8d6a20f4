import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateApiKey } from '@ep/auth';
import { natsNames, type TeststandEventInput } from '@ep/contracts';
import { createDb } from '@ep/db';
import { connectNats, publish } from '@ep/nats';
import { silentLogger } from '@ep/logger';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { freePort, infraUrls, uniquePrefix, waitFor } from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { chromium, type Browser } from 'playwright-core';

/**
 * The real system the explorer talks to, for its browser tests and benchmark: a fresh migrated
 * database, its own NATS prefix, measurement-store, upload-ingest and query-api each running as
 * its own process (`node src/main.ts`, as `pnpm dev` runs them), query-api serving the built app
 * and forwarding /upload/* to upload-ingest. Only the first admin key is inserted directly.
 */
export interface Stack {
  base: string;
  uploadBase: string;
  adminKey: string;
  /** Calls the API with a key (admin by default); throws with the body on an unexpected status. */
  call(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Posts a file to upload-ingest and waits until the store has every sample. */
  upload(
    kind: 'siemens' | 'alc',
    site: string,
    name: string,
    text: string,
  ): Promise<{ uploadId: string; samples: number }>;
  publishTeststand(event: TeststandEventInput): Promise<void>;
  close(): Promise<void>;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const APP_DIR = fileURLToPath(new URL('../dist/app', import.meta.url));
export const CHROMIUM = process.env.EP_CHROMIUM ?? '/usr/bin/chromium';

function startService(dir: string, env: Record<string, string>, logs: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: `${root}${dir}`,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    logs.push(`[${dir}] ${b.toString()}`);
    if (logs.length > 200) logs.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

async function ready(url: string, child: ChildProcess, logs: string[]): Promise<void> {
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${logs.join('')}`);
      return (
        (await fetch(url)
          .then((r) => r.ok)
          .catch(() => false)) || undefined
      );
    },
    { what: `${url} ready`, timeoutMs: 60_000 },
  );
}

export async function startStack(
  label: string,
  options: { storeEnv?: Record<string, string> } = {},
): Promise<Stack> {
  const testDb = await createMigratedTestDatabase(label);
  const db = createDb<Database>({ url: testDb.url, max: 2 });
  const admin = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({ name: 'bootstrap', prefix: admin.prefix, hash: admin.hash, scopes: ['admin'], site_id: null })
    .execute();
  const prefix = uniquePrefix(label);
  const { natsUrl } = infraUrls();
  const common = { DATABASE_URL: testDb.url, NATS_URL: natsUrl, EP_NATS_PREFIX: prefix };
  const logs: string[] = [];
  const [storePort, ingestPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // Each child stops on SIGTERM (its lifecycle drains); the ones we started, by their handle.
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
            c.once('exit', () => (clearTimeout(t), resolve()));
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  const nc = await connectNats({ url: natsUrl, name: `explorer-${label}`, logger: silentLogger() });
  const names = natsNames(prefix);
  try {
    const store = startService(
      'services/measurement-store',
      { ...common, PORT: String(storePort), ...options.storeEnv },
      logs,
    );
    children.push(store);
    await ready(`http://127.0.0.1:${storePort}/readyz`, store, logs);
    const ingest = startService('services/upload-ingest', { ...common, PORT: String(ingestPort) }, logs);
    children.push(ingest);
    const api = startService(
      'services/query-api',
      {
        DATABASE_URL: testDb.url,
        PORT: String(apiPort),
        EXPLORER_DIR: APP_DIR,
        UPLOAD_INGEST_URL: `http://127.0.0.1:${ingestPort}`,
      },
      logs,
    );
    children.push(api);
    await ready(`http://127.0.0.1:${ingestPort}/readyz`, ingest, logs);
    await ready(`http://127.0.0.1:${apiPort}/readyz`, api, logs);
  } catch (err) {
    await stopAll();
    await nc.close();
    throw err;
  }
  const base = `http://127.0.0.1:${apiPort}`;
  const uploadBase = `http://127.0.0.1:${ingestPort}`;

  const call: Stack['call'] = async (method, path, body, key = admin.secret) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };

  return {
    base,
    uploadBase,
    adminKey: admin.secret,
    call,
    async upload(kind, site, name, text) {
      const res = await fetch(
        `${uploadBase}/upload/${kind}?site=${site}&filename=${encodeURIComponent(name)}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'text/csv' },
          body: text,
        },
      );
      const report = (await res.json()) as { uploadId: string; samples: number; message?: string };
      if (res.status !== 202 && res.status !== 200)
        throw new Error(`upload ${name}: ${res.status} ${report.message}`);
      await waitFor(
        async () =>
          (await call('GET', `/api/v1/uploads/${report.uploadId}`)).json.status === 'stored' || undefined,
        { what: `upload ${name} stored`, timeoutMs: 120_000 },
      );
      return report;
    },
    async publishTeststand(event) {
      await publish(jetstream(nc), names.subjects.teststand(event.stand, event.kind), event, {
        msgID: event.eventId,
      });
      await waitFor(
        async () =>
          (await db
            .selectFrom('teststand_messages')
            .select('id')
            .where('event_id', '=', event.eventId)
            .executeTakeFirst()) !== undefined || undefined,
        { what: `test stand event ${event.eventId} stored` },
      );
    },
    async close() {
      await stopAll();
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(names.streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
      await db.destroy();
      await testDb.drop();
    },
  };
}

/** Debian's Chromium, headless, driven by playwright-core (no browser download). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
}

/** A year of 5-minute samples as an ALC long export (UTC times), with a two-day hole in March. */
export function yearOfSamples(
  point: string,
  year: number,
  options: { hole?: boolean } = {},
): { text: string; count: number } {
  const lines = ['point,timestamp,value'];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const holeFrom = Date.UTC(year, 2, 10);
  const holeTo = Date.UTC(year, 2, 12);
  for (let t = start; t < end; t += 300_000) {
    if (options.hole !== false && t >= holeFrom && t < holeTo) continue;
    const day = ((t - start) / 86_400_000) * 2 * Math.PI;
    const v = 20 + 8 * Math.sin(day / 365) + 3 * Math.sin(day);
    lines.push(`${point},${new Date(t).toISOString().replace('.000', '')},${v.toFixed(2)}`);
  }
  return { text: lines.join('\n') + '\n', count: lines.length - 1 };
}
