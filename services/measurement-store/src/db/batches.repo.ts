import type { SqlClient } from './session.js';

export interface BatchClaim {
  batchId: string;
  source: string;
  siteId: number;
  uploadId: string | null;
  points: number;
  samples: number;
}

/**
 * Inserts a `batches` row per input batch, sorted, and returns the ids that were new. An id
 * already there (or committed meanwhile by another store, whose insert this one waits for) is
 * a replay: its samples are already stored.
 */
export async function claimBatches(client: SqlClient, claims: readonly BatchClaim[]): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const sorted = [...claims].sort((a, b) => (a.batchId < b.batchId ? -1 : a.batchId > b.batchId ? 1 : 0));
  const { rows } = await client.query<{ batch_id: string }>(
    `INSERT INTO batches (batch_id, source, site_id, upload_id, points, samples, inserted, revised, unchanged)
     SELECT x.batch_id, x.source, x.site_id, x.upload_id, x.points, x.samples, 0, 0, 0
     FROM jsonb_to_recordset($1::jsonb) AS x(batch_id text, source text, site_id int, upload_id text, points int, samples int)
     ON CONFLICT (batch_id) DO NOTHING
     RETURNING batch_id`,
    [
      JSON.stringify(
        sorted.map((c) => ({
          batch_id: c.batchId,
          source: c.source,
          site_id: c.siteId,
          upload_id: c.uploadId,
          points: c.points,
          samples: c.samples,
        })),
      ),
    ],
  );
  return new Set(rows.map((r) => r.batch_id));
}

export interface BatchCountsRow {
  batchId: string;
  inserted: number;
  revised: number;
  unchanged: number;
}

export async function setBatchCounts(client: SqlClient, counts: readonly BatchCountsRow[]): Promise<void> {
  if (counts.length === 0) return;
  await client.query(
    `UPDATE batches b SET inserted = x.inserted, revised = x.revised, unchanged = x.unchanged
     FROM jsonb_to_recordset($1::jsonb) AS x(batch_id text, inserted int, revised int, unchanged int)
     WHERE b.batch_id = x.batch_id`,
    [JSON.stringify(counts.map((c) => ({ batch_id: c.batchId, ...c })))],
  );
}

export interface RoundCounts {
  batch: number;
  inserted: number;
  revised: number;
  unchanged: number;
}

/** Inserted / revised / unchanged per input batch of the staged rows (the slow path: a join). */
export async function countStagedPerBatch(client: SqlClient): Promise<RoundCounts[]> {
  const { rows } = await client.query<{ b: number; inserted: number; revised: number; unchanged: number }>(`
    SELECT r.b,
           count(c.point_id) FILTER (WHERE NOT c.existed)::int AS inserted,
           count(c.point_id) FILTER (WHERE c.existed)::int AS revised,
           count(*) FILTER (WHERE c.point_id IS NULL)::int AS unchanged
    FROM store_rows r LEFT JOIN store_changed c USING (point_id, ts)
    GROUP BY r.b`);
  return rows.map((r) => ({ batch: r.b, inserted: r.inserted, revised: r.revised, unchanged: r.unchanged }));
}
