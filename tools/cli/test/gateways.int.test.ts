import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDb } from '@ep/db';
import type { Database } from '@ep/schema';
import { createTestDatabase, type TestDatabase } from '@ep/testkit';
import { runCli } from '../src/index.js';

describe('pnpm ep gateways (against real PostgreSQL)', () => {
  let testDb: TestDatabase;

  async function ep(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      env: { DATABASE_URL: testDb.url },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  beforeAll(async () => {
    testDb = await createTestDatabase('cligw');
    expect((await ep('migrate')).out).toContain('applied 2026_12_02_0020_gateways');
    expect((await ep('sites', 'add', 'badock', '--tz', 'Europe/London')).code).toBe(0);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('adds, lists and removes gateways, refusing bad vendors, unknown sites and a second gateway per site and vendor', async () => {
    const added = await ep(
      'gateways',
      'add',
      'badock-prefect',
      '--site',
      'badock',
      '--vendor',
      'prefect',
      '--url',
      'http://127.0.0.1:1/apiv1/SiteApi/',
      '--interval',
      '60',
    );
    expect(added.code).toBe(0);
    expect(added.out).toContain('put its secret in the file badock-prefect of EP_GATEWAY_SECRETS_DIR');
    const badVendor = await ep(
      'gateways',
      'add',
      'x',
      '--site',
      'badock',
      '--vendor',
      'acme',
      '--url',
      'http://h/',
    );
    expect(badVendor.code).toBe(2);
    expect(badVendor.err).toContain('--vendor prefect|secure, not "acme"');
    const noSite = await ep(
      'gateways',
      'add',
      'y',
      '--site',
      'nowhere',
      '--vendor',
      'secure',
      '--url',
      'http://h/',
    );
    expect(noSite.code).toBe(1);
    expect(noSite.err).toContain('pnpm ep sites add nowhere');
    const second = await ep(
      'gateways',
      'add',
      'badock-2',
      '--site',
      'badock',
      '--vendor',
      'prefect',
      '--url',
      'http://h/',
    );
    expect(second.code).toBe(1);
    expect(second.err).toContain('one per site and vendor');
    const list = await ep('gateways', 'list');
    expect(list.out).toMatch(
      /badock-prefect\s+badock\s+prefect\s+http:\/\/127\.0\.0\.1:1\/apiv1\/SiteApi\/\s+60\s+30/,
    );
    // The status its poller wrote, shown as every EP time is written ("…00Z", never "….000Z").
    const db = createDb<Database>({ url: testDb.url, max: 1 });
    try {
      const { id } = await db
        .selectFrom('gateways')
        .select('id')
        .where('name', '=', 'badock-prefect')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('gateway_status')
        .values({
          gateway_id: id,
          owner: 'poller-0',
          last_success_at: new Date('2026-12-03T07:00:00Z'),
          last_error_kind: 'unreachable',
          last_error: 'connect ECONNREFUSED',
        })
        .execute();
    } finally {
      await db.destroy();
    }
    expect((await ep('gateways', 'list')).out).toMatch(/poller-0\s+2026-12-03T07:00:00Z\s+unreachable/);
    expect((await ep('gateways', 'remove', 'badock-prefect')).code).toBe(0);
    expect((await ep('gateways', 'remove', 'badock-prefect')).err).toContain(
      'no gateway named "badock-prefect"',
    );
    expect((await ep('gateways', 'list')).out.split('\n')).toHaveLength(1);
  });
});
