// Every command of README.md runs as written (issue 13). The rule, also stated in the README:
// the ```sh blocks right after a `<!-- readme-test -->` line run in order in ONE bash shell (so
// `KEY=$(…)` carries over), each line exactly as written, from the repository root, against
// measurement-store, upload-ingest and query-api started here as processes on their default
// ports (9103, 8081, 8080) with a fresh database. A `# → text` line after a command is what that
// command prints (`…` = anything): the test fails when a command exits non-zero or its output
// lacks that. Any other ```sh block may hold only `make dev` / `make test` (CI runs `make test`;
// this test is the `make dev` part). Other `#` lines are comments.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '@ep/cli';
import { natsNames } from '@ep/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  createTestDatabase,
  infraUrls,
  startService,
  uniquePrefix,
  type ServiceProcess,
  type TestDatabase,
} from '@ep/testkit';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForHttp } from '../src/demo.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Command {
  line: string;
  /** The README's `# →` texts for this command, as patterns. */
  shows: RegExp[];
}

export function readmeBlocks(markdown: string): { tested: Command[]; other: string[] } {
  const tested: Command[] = [];
  const other: string[] = [];
  const lines = markdown.split('\n');
  let marked = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '<!-- readme-test -->') marked = true;
    else if (line.trim() === '```sh') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      for (const text of body) {
        if (!marked) {
          if (text.trim()) other.push(text);
          continue;
        }
        const shows = /^#\s*→\s*(.+)$/.exec(text.trim());
        if (shows) {
          const pattern = shows[1]!
            .split('…')
            .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('[\\s\\S]*');
          tested.at(-1)?.shows.push(new RegExp(pattern));
        } else if (text.trim() && !text.trim().startsWith('#')) {
          tested.push({ line: text, shows: [] });
        }
      }
      marked = false;
    } else if (line.trim()) marked = false;
  }
  return { tested, other };
}

const readme = readmeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));

describe('README.md', () => {
  it('has commands to test, and every untested sh line is `make dev` or `make test`', () => {
    expect(readme.tested.length).toBeGreaterThan(0);
    expect(readme.other.filter((line) => !/^make (dev|test)\b/.test(line.trim()))).toEqual([]);
  });
});

describe('README.md commands, run as written against the services', () => {
  let db: TestDatabase;
  const services: ServiceProcess[] = [];
  const prefix = uniquePrefix('readme');

  beforeAll(async () => {
    db = await createTestDatabase('readme');
    const migrated = await runCli(['migrate'], {
      env: { DATABASE_URL: db.url },
      out: () => undefined,
      err: (line) => process.stderr.write(`${line}\n`),
    });
    expect(migrated).toBe(0);
    const env = { DATABASE_URL: db.url, EP_NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
    for (const [name, port] of [
      ['measurement-store', 9103],
      ['upload-ingest', 8081],
      ['query-api', 8080],
    ] as const) {
      const service = startService(name, { ...env, PORT: String(port) });
      services.push(service);
      // Ready = /readyz answers 200 (query-api's start line is being renamed in parallel).
      const ready = await Promise.race([
        waitForHttp(`http://127.0.0.1:${port}/readyz`, 90_000),
        service.exited,
      ]);
      if (!ready) throw new Error(`${name} not ready on port ${port} within 90 s (is the port taken?)`);
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await db?.drop();
    // The streams of this prefix go too, so repeated runs do not fill the NATS server.
    const nc = await connect({ servers: infraUrls().natsUrl });
    const jsm = await jetstreamManager(nc);
    for (const stream of Object.values(natsNames(prefix).streams)) {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await nc.close();
  }, 60_000);

  it('each command exits 0 and prints what the README says', () => {
    // One script, each command verbatim in a brace group (the same shell, so variables carry
    // over), its output and exit code kept apart; the script stops at the first failure.
    const dir = mkdtempSync(join(tmpdir(), 'readme-'));
    const script = readme.tested
      .map(
        ({ line }, i) =>
          `{\n${line}\n} >"${dir}/${i}.out" 2>&1 </dev/null; echo $? >"${dir}/${i}.rc"; [ "$(cat "${dir}/${i}.rc")" = 0 ] || exit 1`,
      )
      .join('\n');
    writeFileSync(join(dir, 'readme.sh'), `${script}\n`);
    const devBin = join(root, '.dev/bin');
    const result = spawnSync('bash', [join(dir, 'readme.sh')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, PATH: `${devBin}:${process.env['PATH']}`, DATABASE_URL: db.url },
    });
    readme.tested.forEach(({ line, shows }, i) => {
      let rc = '';
      let out = '';
      try {
        rc = readFileSync(join(dir, `${i}.rc`), 'utf8').trim();
        out = readFileSync(join(dir, `${i}.out`), 'utf8');
      } catch {
        throw new Error(
          `not run (an earlier command failed or the script timed out: ${result.signal ?? result.status}): ${line}`,
        );
      }
      if (rc !== '0') throw new Error(`exit ${rc}: ${line}\n${out}`);
      for (const pattern of shows) {
        if (!pattern.test(out)) throw new Error(`output lacks ${pattern}: ${line}\n${out.slice(0, 2000)}`);
      }
    });
    expect(result.status).toBe(0);
  }, 200_000);
});
