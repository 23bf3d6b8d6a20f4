import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createDb } from '@ep/db';
import { createTestDatabase, type TestDatabase } from '@ep/testkit';
import type { Database } from '@ep/schema';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { generateApiKey, hashApiKey, SCOPES } from '@ep/auth';
import { EXIT, runCli } from '../src/index.js';

jest.setTimeout(60_000);

describe('pnpm ep (against real PostgreSQL)', () => {
  let testDb: TestDatabase;
  let db: Kysely<Database>;
  const bootstrap = generateApiKey().secret;

  async function ep(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      env: { DATABASE_URL: testDb.url, EP_BOOTSTRAP_ADMIN_KEY: bootstrap },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    testDb = await createTestDatabase('cli');
    db = createDb<Database>({ url: testDb.url, max: 2 });
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it('migrates from three processes at once, applying each migration once and storing the bootstrap key once', async () => {
    const runs = await Promise.all([ep('migrate'), ep('migrate'), ep('migrate')]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(runs.filter((r) => r.out.includes('applied 2026_11_22_0001_initial'))).toHaveLength(1);
    const keys = await db.selectFrom('api_keys').selectAll().execute();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: 'bootstrap', scopes: ['admin'], hash: hashApiKey(bootstrap) });
    expect(JSON.stringify(keys)).not.toContain(bootstrap);
    const again = await ep('migrate');
    expect(again.out).toContain('0 applied now');
    expect(again.out).toContain('bootstrap admin key already stored');
  });

  it('adds and lists sites, refusing unknown time zones with an example', async () => {
    expect(
      (await ep('sites', 'add', 'carleton', '--tz', 'America/Chicago', '--name', 'Carleton College')).code,
    ).toBe(EXIT.ok);
    const bad = await ep('sites', 'add', 'mars', '--tz', 'Mars/Olympus_Mons');
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/unknown time zone "Mars\/Olympus_Mons".*America\/Chicago/);
    const offset = await ep('sites', 'add', 'mars', '--tz', '+01:00');
    expect(offset.code).toBe(EXIT.usage);
    const dup = await ep('sites', 'add', 'carleton', '--tz', 'Europe/London');
    expect(dup.code).toBe(EXIT.failed);
    expect(dup.err).toContain('exists already');
    const list = await ep('sites', 'list');
    expect(list.out).toMatch(/carleton\s+Carleton College\s+America\/Chicago/);
    expect(list.out).not.toContain('mars');
  });

  it('creates keys (secret printed once, stored hashed), lists them without secrets, revokes them', async () => {
    const created = await ep(
      'keys',
      'create',
      '--name',
      'dash',
      '--scopes',
      'read,upload:siemens',
      '--site',
      'carleton',
    );
    expect(created.code).toBe(EXIT.ok);
    const secret = /^(ep_[a-z2-7]{8}_[a-z2-7]{32})$/m.exec(created.out)?.[1];
    expect(secret).toBeDefined();
    const row = await db
      .selectFrom('api_keys')
      .selectAll()
      .where('name', '=', 'dash')
      .executeTakeFirstOrThrow();
    expect(row.hash).toBe(hashApiKey(secret!));
    expect(row.scopes).toEqual(['read', 'upload:siemens']);

    const list = await ep('keys', 'list');
    expect(list.out).toMatch(/dash\s+[a-z2-7]{8}\s+read,upload:siemens\s+carleton/);
    expect(list.out).not.toContain(secret!);

    const revoked = await ep('keys', 'revoke', String(row.id));
    expect(revoked.out).toBe(`key ${row.id} revoked`);
    const { rows } = await sql<{
      revoked: boolean;
    }>`SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = ${row.id}`.execute(db);
    expect(rows[0]!.revoked).toBe(true);
    expect((await ep('keys', 'revoke', '99999')).code).toBe(EXIT.failed);
  });

  it('refuses unknown scopes listing the allowed ones, and unknown sites saying how to add them', async () => {
    const bad = await ep('keys', 'create', '--name', 'x', '--scopes', 'read,write');
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toContain('unknown scope write');
    for (const scope of SCOPES) expect(bad.err).toContain(scope);
    const noSite = await ep('keys', 'create', '--name', 'x', '--scopes', 'read', '--site', 'nowhere');
    expect(noSite.code).toBe(EXIT.failed);
    expect(noSite.err).toContain('pnpm ep sites add nowhere');
    expect(await db.selectFrom('api_keys').select('id').where('name', '=', 'x').execute()).toEqual([]);
  });

  it('answers --help with 0 and a bad command or option with 2, as a real process', () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts', ...args], {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env['PATH'], DATABASE_URL: testDb.url },
      });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('sites add <key> --tz <IANA zone>');
    const unknown = run('sites', 'remove', 'x');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "sites remove"');
    expect(run('keys', 'list', '--colour').status).toBe(2);
  });

  it('leaves quietly when its reader closes the pipe early (`pnpm ep sites zones | head`)', () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const piped = spawnSync(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        'node --conditions=@ep/source --import tsx src/main.ts sites zones | head -n 1',
      ],
      { cwd, encoding: 'utf8', env: { PATH: process.env['PATH'], DATABASE_URL: testDb.url } },
    );
    expect(piped.stdout.trim()).toMatch(/^[A-Z][A-Za-z_]+\/[A-Za-z_]/);
    expect(piped.stderr).not.toContain('EPIPE');
    expect(piped.status).toBe(0);
  });
});
