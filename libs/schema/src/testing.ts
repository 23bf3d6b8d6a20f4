import { createDb } from '@ep/db';
import { createTestDatabase, type TestDatabase } from '@ep/testkit';
import { migrateToLatest } from './migrate.js';

/**
 * A fresh database on the test server with every migration applied, for integration tests that
 * need the schema but not a running store. `drop()` removes it.
 *
 * Lives here, not in @ep/testkit, because testkit must not depend on the schema (@ep/db's own
 * tests use testkit). @ep/testkit is a devDependency: this entry point is for tests only.
 */
export async function createMigratedTestDatabase(label = 'db'): Promise<TestDatabase> {
  const testDb = await createTestDatabase(label);
  const db = createDb<unknown>({ url: testDb.url, max: 1, applicationName: 'ep-test-migrate' });
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    await testDb.drop();
    throw err;
  }
  await db.destroy();
  return testDb;
}
