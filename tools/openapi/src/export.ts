import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startService, type ServiceProcess } from '@ep/testkit';

// Writes the OpenAPI document of every HTTP service to docs/openapi/<service>.json, as each
// serves it at /docs/json. Each service is started as `pnpm start` would (its own main.ts, its
// own config from the environment), so the document is exactly what users get, without this
// tool knowing how a service is built. Needs what the services need to start (NATS for
// upload-ingest); neither touches the database before a request.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVICES = ['query-api', 'upload-ingest'] as const;
const READY_TIMEOUT_MS = 60_000;

async function fetchDocument(port: number, child: ServiceProcess, service: string): Promise<unknown> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.proc.exitCode !== null)
      throw new Error(`${service} exited with code ${child.proc.exitCode} before serving /docs/json`);
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
  // LOG_LEVEL=warn hides the started line; the document is polled instead.
  const child = startService(service, { PORT: String(port), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  try {
    const doc = await fetchDocument(port, child, service);
    const file = join(root, 'docs/openapi', `${service}.json`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
    return file;
  } finally {
    await child.stop();
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
