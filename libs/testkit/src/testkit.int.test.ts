import { afterAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import pg from 'pg';
import { createTestDatabase, startFaultProxy, uniquePrefix, waitFor, type TestDatabase } from './index.js';

describe('testkit', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it('gives each caller a fresh, empty database', async () => {
    const a = await createTestDatabase('kit');
    const b = await createTestDatabase('kit');
    dbs.push(a, b);
    expect(a.name).not.toBe(b.name);
    const client = new pg.Client({ connectionString: a.url });
    await client.connect();
    const { rows } = await client.query(`SELECT current_database() AS name`);
    await client.end();
    expect(rows[0].name).toBe(a.name);
  });

  it('makes prefixes valid for EP_NATS_PREFIX', () => {
    expect(uniquePrefix('nats')).toMatch(/^[a-z][a-z0-9_]{0,30}$/);
    expect(uniquePrefix('nats')).not.toBe(uniquePrefix('nats'));
  });

  it('fault proxy relays, cuts and restores a real connection', async () => {
    const proxy = await startFaultProxy('postgres://postgres@127.0.0.1:5432/postgres');
    const client = new pg.Client({ connectionString: proxy.url });
    client.on('error', () => undefined);
    await client.connect();
    expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    proxy.cut();
    await expect(client.query('SELECT 1')).rejects.toThrow();
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(proxy.port, '127.0.0.1');
      s.on('close', () => resolve(true));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    proxy.restore();
    const again = new pg.Client({ connectionString: proxy.url });
    await again.connect();
    expect((await again.query('SELECT 2 AS two')).rows[0].two).toBe(2);
    await again.end();
    await proxy.close();
    await waitFor(() => proxy.connections === 0, { what: 'connections closed' });
  });
});
