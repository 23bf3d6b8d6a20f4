// The pieces of `make dev`'s demo: the demo site and key, the optional simulators, the sample
// uploads and what to open. main.ts strings them together; each piece is testable on its own.
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One `pnpm ep …` invocation run in-process through @ep/cli's runCli (the same code as the CLI). */
export type Cli = (argv: string[]) => Promise<{ code: number; out: string[]; err: string[] }>;

/** The site the sample files are uploaded to (they are exports of Carleton College's Siemens and ALC systems). */
export const DEMO_SITE = { key: 'carleton', tz: 'America/Chicago', name: 'Carleton College' } as const;

/** The repository's own fixtures (not ../shared/samples), and the endpoint each goes to. */
export const DEMO_UPLOADS = [
  { file: 'services/upload-ingest/test/fixtures/evans-room-temp-and-valve.head300.csv', kind: 'siemens' },
  { file: 'services/upload-ingest/test/fixtures/reccntr-audit-trend-report.head300.csv', kind: 'siemens' },
  { file: 'services/upload-ingest/test/fixtures/evans-trend-report-cr-bom.csv', kind: 'siemens' },
  { file: 'services/upload-ingest/test/fixtures/point-definition-report.csv', kind: 'siemens' },
  { file: 'services/upload-ingest/test/fixtures/point-list-export.csv', kind: 'alc' },
] as const;

/** The simulators run only when what consumes them is in the checkout (they land on other branches). */
export interface OptionalParts {
  /** Why the gateway simulators are not run, or null when they are. */
  gatewaysSkipped: string | null;
  /** Why the test-stand simulator is not run, or null when it is. */
  teststandsSkipped: string | null;
}

export function optionalParts(root: string, cliUsage: string): OptionalParts {
  const has = (path: string) => existsSync(join(root, path));
  const gatewaysSkipped = !has('services/gateway-poller/src/main.ts')
    ? 'services/gateway-poller is not in this checkout'
    : !has('tools/gateway-sim/package.json')
      ? 'tools/gateway-sim is not in this checkout'
      : !cliUsage.includes('gateways add')
        ? 'the CLI has no `ep gateways add`'
        : null;
  const teststandsSkipped = !has('services/teststand-handler/src/main.ts')
    ? 'services/teststand-handler is not in this checkout'
    : !has('tools/teststand-sim/package.json')
      ? 'tools/teststand-sim is not in this checkout'
      : null;
  return { gatewaysSkipped, teststandsSkipped };
}

/**
 * The CLI arguments of a `pnpm ep …` line as gateway-sim's --print-ep-commands prints them
 * (words separated by spaces, no quoting), or undefined for any other line.
 */
export function epArgs(line: string): string[] | undefined {
  const match = /^pnpm ep (.+)$/.exec(line.trim());
  return match ? match[1]!.split(/\s+/) : undefined;
}

/** gateway-sim's `{"vendor","url","sites"}` line, or undefined for any other line. */
export function simListening(line: string): { vendor: string; url: string; sites: string[] } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as { vendor?: unknown; url?: unknown; sites?: unknown };
    if (typeof value.vendor === 'string' && typeof value.url === 'string' && Array.isArray(value.sites)) {
      return { vendor: value.vendor, url: value.url, sites: value.sites as string[] };
    }
  } catch {
    // not JSON: a log line
  }
  return undefined;
}

/** Column `column` of a table the CLI prints (`sites list`, `keys list`, `gateways list`), header dropped. */
export function tableColumn(lines: string[], column: string): string[] {
  const header = lines[0]?.trim().split(/\s{2,}/) ?? [];
  const index = header.indexOf(column);
  if (index < 0) return [];
  return lines.slice(1).map((line) => line.trim().split(/\s{2,}/)[index] ?? '');
}

async function must(cli: Cli, argv: string[]): Promise<string[]> {
  const result = await cli(argv);
  if (result.code !== 0) throw new Error(`ep ${argv.join(' ')}: ${result.err.join(' ')}`);
  return result.out;
}

/** Adds the site unless it exists; true when it was added now. */
export async function ensureSite(cli: Cli, key: string, tz: string, name?: string): Promise<boolean> {
  const keys = tableColumn(await must(cli, ['sites', 'list']), 'key');
  if (keys.includes(key)) return false;
  await must(cli, ['sites', 'add', key, '--tz', tz, ...(name ? ['--name', name] : [])]);
  return true;
}

/**
 * The demo's admin key: the one kept in `file` (under .dev/, git-ignored) while the database still
 * has it unrevoked, else a new one (`ep keys create --name demo --scopes admin`) written there.
 */
export async function ensureDemoKey(cli: Cli, file: string): Promise<{ key: string; created: boolean }> {
  const kept = existsSync(file) ? (await readFile(file, 'utf8')).trim() : '';
  if (kept) {
    const rows = await must(cli, ['keys', 'list']);
    const prefixes = tableColumn(rows, 'prefix');
    const revoked = tableColumn(rows, 'revoked_at');
    if (prefixes.some((prefix, i) => prefix && kept.includes(prefix) && revoked[i] === '-')) {
      return { key: kept, created: false };
    }
  }
  const out = await must(cli, ['keys', 'create', '--name', 'demo', '--scopes', 'admin']);
  const key = out.at(-1)!.trim();
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}

/** Polls `url` until it answers 2xx or the time is up. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/** One line per file: what upload-ingest answered (a repeated file is answered `duplicate`). */
export async function uploadSamples(
  root: string,
  ingestUrl: string,
  key: string,
  site: string,
): Promise<string[]> {
  const lines: string[] = [];
  for (const { file, kind } of DEMO_UPLOADS) {
    const body = new FormData();
    body.set(
      'file',
      new Blob([await readFile(join(root, file))], { type: 'text/csv' }),
      file.split('/').at(-1),
    );
    const res = await fetch(`${ingestUrl}/upload/${kind}?site=${encodeURIComponent(site)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body,
    });
    const report = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const what = report['duplicate']
      ? 'already uploaded'
      : `${String(report['status'] ?? '?')}, ${String(report['samples'] ?? 0)} samples, ${String(report['points'] ?? 0)} points`;
    lines.push(`${kind} ${file.split('/').at(-1)} → HTTP ${res.status} (${what})`);
  }
  return lines;
}

/** What to open and run once everything is up. */
export function openHints(key: string, keyFile: string, created: boolean, site: string): string[] {
  const auth = `-H "Authorization: Bearer $(cat ${keyFile})"`;
  return [
    created
      ? `demo admin key (shown once, kept in ${keyFile}): ${key}`
      : `demo admin key: the one in ${keyFile} (created by an earlier make dev)`,
    `  use it as  Authorization: Bearer <key>  (scope admin: every read, upload and /api/v1/admin call)`,
    `open  http://127.0.0.1:8080/        the web explorer (sites, trees, charts)`,
    `open  http://127.0.0.1:8080/docs    the API (Authorize with the key)`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/sites"`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/sites/${site}/tree"`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/points?site=${site}&limit=5"`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/uploads?site=${site}"`,
    `gateways (Prefect and Secure simulators, polled every minute):`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/gateways"`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/points?site=badock&limit=5"`,
    `test stands (teststand1…3, a data message every 5 s):`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/teststands"`,
    `try   curl -s ${auth} "http://127.0.0.1:8080/api/v1/teststands/teststand1/messages?kind=data&limit=3"`,
    `watch pnpm --filter @ep/amqp-tap run tap -- --count 5     (stored facts on the AMQP exchange ep.events)`,
  ];
}
