import pg from 'pg';
import { infraUrls, uniqueName } from './infra.js';

export interface TestDatabase {
  name: string;
  /** Connection string of the fresh database. */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database on the test PostgreSQL server, one per test file. */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const adminUrl = infraUrls().databaseUrl;
  const name = uniqueName(`ep_${label}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
