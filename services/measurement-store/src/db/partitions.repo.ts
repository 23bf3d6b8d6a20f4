import type { SqlClient } from './session.js';

/** Names of the measurement partitions that exist now. */
export async function listPartitions(client: SqlClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
     JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'measurements'::regclass`,
  );
  return rows.map((r) => r.name);
}

/**
 * Creates the partition of each given month (epoch ms of its first instant) that is missing.
 * Runs outside the write transaction: the function serialises creators with a transaction-level
 * advisory lock, which must not be held for a whole write.
 */
export async function ensurePartitions(client: SqlClient, monthStarts: readonly number[]): Promise<void> {
  for (const month of monthStarts) {
    const at = new Date(month).toISOString();
    await client.query('SELECT ensure_measurement_partitions($1::timestamptz, $1::timestamptz)', [at]);
  }
}
