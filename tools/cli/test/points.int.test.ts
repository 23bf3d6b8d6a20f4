import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createDb } from '@ep/db';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import type { TestDatabase } from '@ep/testkit';
import type { Kysely } from 'kysely';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, runCli, USAGE } from '../src/index.js';

jest.setTimeout(60_000);

// `pnpm ep points …` (issue 13) against real PostgreSQL: the same use case as query-api's PATCH.
describe('pnpm ep points', () => {
  let testDb: TestDatabase;
  let db: Kysely<Database>;
  let id = 0;

  async function ep(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      env: { DATABASE_URL: testDb.url, USER: 'tester' },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    testDb = await createMigratedTestDatabase('clipoints');
    db = createDb<Database>({ url: testDb.url, max: 2 });
    const site = await db
      .insertInto('sites')
      .values({ key: 'carleton', name: 'Carleton', timezone: 'America/Chicago' })
      .returning('id')
      .executeTakeFirstOrThrow();
    id = (
      await db
        .insertInto('points')
        .values({
          site_id: site.id,
          source: 'siemens',
          node: 'CMC',
          device: '328',
          parameter: 'KWH',
          name: 'CMC.328.KWH',
          unit: null,
          kind: 'sampled',
          states: null,
          description: null,
          interval_seconds: 300,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it('sets unit, kind, interval, display name and states as cli:<user>, and lists the edits', async () => {
    const r = await ep(
      'points',
      'set',
      String(id),
      '--unit',
      'kWh',
      '--kind',
      'counter',
      '--interval',
      '900',
      '--display-name',
      'Main meter',
      '--states',
      '{"0":"OFF","1":"ON"}',
    );
    expect(r).toMatchObject({ code: EXIT.ok, err: '' });
    expect(r.out).toContain(`point ${id}: unit null → "kWh"`);
    const p = await db.selectFrom('points').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      unit: 'kWh',
      kind: 'counter',
      interval_seconds: 900,
      display_name: 'Main meter',
      states: { '0': 'OFF', '1': 'ON' },
      edited: ['display_name', 'interval_seconds', 'kind', 'states', 'unit'],
    });
    const edits = await ep('points', 'edits', String(id));
    expect(edits.code).toBe(EXIT.ok);
    expect(edits.out).toMatch(/cli:tester {2}unit {2}null → "kWh"/);
    expect(edits.out).toMatch(/cli:tester {2}interval_seconds {2}300 → 900/);
    // Times as the API writes them ("…00Z"), never "….000Z": a whole second shows it.
    await db
      .updateTable('point_edits')
      .set({ at: new Date('2026-12-03T07:00:00Z') })
      .where('point_id', '=', id)
      .execute();
    expect((await ep('points', 'edits', String(id))).out).toMatch(
      /^2026-12-03T07:00:00Z {2}cli:tester {2}unit /m,
    );
  });

  it('refuses bad values naming the option (exit 2) and unknown points (exit 1), changing nothing', async () => {
    const kind = await ep('points', 'set', String(id), '--kind', 'meter');
    expect(kind.code).toBe(EXIT.usage);
    expect(kind.err).toMatch(/--kind: "meter" is not a kind; one of sampled, state, counter, event/);
    expect((await ep('points', 'set', String(id), '--interval', '15m')).err).toMatch(/--interval: "15m"/);
    expect((await ep('points', 'set', String(id))).err).toMatch(/no field to change/);
    expect((await ep('points', 'set', 'abc', '--unit', 'W')).code).toBe(EXIT.usage);
    const missing = await ep('points', 'set', '999999', '--unit', 'W');
    expect(missing).toMatchObject({
      code: EXIT.failed,
      err: expect.stringMatching(/no point with id 999999/),
    });
    const p = await db.selectFrom('points').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(p).toMatchObject({ unit: 'kWh', kind: 'counter' });
  });

  it('imports a metadata CSV line by line, applying good lines and naming bad ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ep-points-'));
    const file = join(dir, 'units.csv');
    await writeFile(file, `site,name,unit,description\ncarleton,CMC.328.KWH,MWh,Main\ncarleton,NOPE,W,\n`);
    const r = await ep('points', 'import', file);
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toContain(`line 2: point ${id} unit, description`);
    expect(r.err).toContain('line 3: refused: name: point NOPE of site carleton not found');
    expect(r.out).toContain('1 lines applied, 1 refused');
  });

  it('documents the commands in the help', () => {
    expect(USAGE).toContain('points set <id> [--unit <u>]');
    expect(USAGE).toContain('points edits <id>');
    expect(USAGE).toContain('points import <file.csv>');
  });
});
