import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Writes the OpenAPI document of every HTTP service to docs/openapi/<service>.json, as each
// serves it at /docs/json. Each service is started as `pnpm start` would (its own main.ts, its
// own config from the environment), so the document is exactly what users get, without this
// tool knowing how a service is built. Needs what the services need to start (NATS for
// upload-ingest); neither touches the database before a request.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVICES = ['query-api', 'upload-ingest'] as const;
const READY_TIMEOUT_MS = 60_000;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

async function fetchDocument(port: number, child: ChildProcess, service: string): Promise<unknown> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${service} exited with code ${child.exitCode} before serving /docs/json`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/docs/json`);
      if (res.ok) return await res.json();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`${service} served no /docs/json within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function exportDocument(service: string): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: join(root, 'services', service),
    env: { ...process.env, PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const doc = await fetchDocument(port, child, service);
    const file = join(root, 'docs/openapi', `${service}.json`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    return file;
  } finally {
    const exited = new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    child.kill('SIGTERM');
    await exited;
  }
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((s) => !(SERVICES as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`unknown service ${unknown.join(', ')}; known: ${SERVICES.join(', ')}`);
  process.exit(2);
}
for (const service of wanted.length > 0 ? wanted : SERVICES) {
  const file = await exportDocument(service);
  console.log(`wrote ${file.slice(root.length + 1)}`);
}
