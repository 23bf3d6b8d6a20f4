import type { PointDescriptionColumn, PointsTable } from '@ep/schema';
import type { Selectable } from 'kysely';
import { pointKey, type PointUpsert, type RegisteredPoint } from '../domain/readings.js';
import type { SqlClient } from './session.js';

/** The columns the upsert reads and returns, as the schema declares them. */
type PointRow = Pick<Selectable<PointsTable>, 'id' | 'site_id' | PointDescriptionColumn | 'edited'>;

const toRegistered = (r: PointRow): RegisteredPoint => ({
  id: r.id,
  siteId: r.site_id,
  node: r.node,
  device: r.device,
  parameter: r.parameter,
  name: r.name,
  unit: r.unit,
  kind: r.kind,
  states: r.states,
});

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether the batch may set `field` (a points column): always when no person edited it, and
 * over a person's edit only when the source marked it explicit. The SQL below applies the same
 * rule (`edited` / `explicit`); this copy only saves the write when nothing would change.
 */
function maySet(p: PointUpsert, row: PointRow, column: string): boolean {
  return !row.edited.includes(column) || (explicitColumns(p)?.includes(column) ?? false);
}

const COLUMN_OF = {
  unit: 'unit',
  kind: 'kind',
  states: 'states',
  description: 'description',
  intervalSeconds: 'interval_seconds',
} as const;

/** The points columns `p` sets explicitly (marked explicit and carrying a value). */
function explicitColumns(p: PointUpsert): string[] | null {
  if (!p.explicit) return null;
  return p.explicit.filter((f) => p[f] !== undefined).map((f) => COLUMN_OF[f]);
}

/**
 * Whether an edited column is kept: a person set it and the file does not set it explicitly.
 * In the upsert of an existing point, the proposed row's `edited` carries the file's explicit
 * columns (a new row gets '{}': nobody has edited it yet).
 */
const keep = (column: string) => `'${column}' = ANY(p.edited) AND NOT '${column}' = ANY(EXCLUDED.edited)`;

/** Whether upserting `p` would change the stored row. */
function needsWrite(p: PointUpsert, row: PointRow | undefined): boolean {
  if (!row) return true;
  if (p.name !== row.name) return true;
  const differs = (column: string, value: unknown, stored: unknown) =>
    value !== undefined && !jsonEqual(value, stored) && maySet(p, row, column);
  if (differs('unit', p.unit, row.unit)) return true;
  if (differs('kind', p.kind, row.kind)) return true;
  if (differs('states', p.states, row.states)) return true;
  if (differs('description', p.description, row.description)) return true;
  if (differs('interval_seconds', p.intervalSeconds, row.interval_seconds)) return true;
  // An explicit value equal to the edit still hands the field back to the source.
  if (explicitColumns(p)?.some((c) => row.edited.includes(c))) return true;
  if (p.meta !== undefined && Object.entries(p.meta).some(([k, v]) => !jsonEqual(v, row.meta[k])))
    return true;
  return false;
}

const POINT_COLUMNS =
  'id, site_id, node, device, parameter, name, unit, kind, states, description, interval_seconds, meta, edited';

/**
 * Registers points: new ones are inserted, known ones get the metadata the batch carries
 * (fields it leaves out are kept; meta is merged). A field a person edited (`points.edited`,
 * set by @ep/schema's point edits) is kept unless the batch lists it in `explicit`; then the
 * file's value wins and the field is no longer marked edited. Samples are not touched, so a metadata-only
 * batch only updates metadata. Rows are read first and written only when something differs,
 * so the common case (known points, same metadata) takes no row locks.
 */
export async function upsertPoints(
  client: SqlClient,
  points: readonly PointUpsert[],
): Promise<RegisteredPoint[]> {
  if (points.length === 0) return [];
  const keys = JSON.stringify(
    points.map((p) => ({ site_id: p.siteId, node: p.node, device: p.device, parameter: p.parameter })),
  );
  const existing = await client.query<PointRow>(
    `SELECT ${POINT_COLUMNS.split(', ')
      .map((c) => `p.${c}`)
      .join(', ')}
     FROM jsonb_to_recordset($1::jsonb) AS x(site_id int, node text, device text, parameter text)
     JOIN points p ON p.site_id = x.site_id AND p.node = x.node AND p.device = x.device AND p.parameter = x.parameter`,
    [keys],
  );
  const rowKey = (r: PointRow) => pointKey(r.site_id, r.node, r.device, r.parameter);
  const keyOf = (p: PointUpsert) => pointKey(p.siteId, p.node, p.device, p.parameter);
  const byKey = new Map(existing.rows.map((r) => [rowKey(r), r]));
  // `points` is sorted by key (mergePoints), so concurrent writers lock rows in one order.
  const toWrite = points.filter((p) => needsWrite(p, byKey.get(keyOf(p))));
  if (toWrite.length > 0) {
    const written = await client.query<PointRow>(
      `INSERT INTO points AS p (site_id, source, node, device, parameter, name, unit, kind, states, description, interval_seconds, meta, edited)
       SELECT x.site_id, x.source, x.node, x.device, x.parameter, x.name, x.unit, x.kind, x.states, x.description,
              x.interval_seconds, COALESCE(x.meta, '{}'::jsonb), COALESCE(x.explicit, '{}')
       FROM jsonb_to_recordset($1::jsonb)
         AS x(site_id int, source text, node text, device text, parameter text, name text, unit text, kind text,
              states jsonb, description text, interval_seconds int, meta jsonb, explicit text[], ord int)
       ORDER BY x.ord
       ON CONFLICT (site_id, node, device, parameter) DO UPDATE SET
         name = EXCLUDED.name,
         unit = CASE WHEN ${keep('unit')} THEN p.unit ELSE COALESCE(EXCLUDED.unit, p.unit) END,
         kind = CASE WHEN ${keep('kind')} THEN p.kind ELSE COALESCE(EXCLUDED.kind, p.kind) END,
         states = CASE WHEN ${keep('states')} THEN p.states ELSE COALESCE(EXCLUDED.states, p.states) END,
         description = CASE WHEN ${keep('description')} THEN p.description
                            ELSE COALESCE(EXCLUDED.description, p.description) END,
         interval_seconds = CASE WHEN ${keep('interval_seconds')} THEN p.interval_seconds
                                 ELSE COALESCE(EXCLUDED.interval_seconds, p.interval_seconds) END,
         meta = p.meta || EXCLUDED.meta,
         -- An explicit value the file carries replaces the edit: the field is the source's again.
         edited = CASE WHEN cardinality(p.edited) = 0 THEN p.edited
                       ELSE ARRAY(SELECT f FROM unnest(p.edited) AS f WHERE NOT f = ANY(EXCLUDED.edited)) END,
         updated_at = now()
       RETURNING ${POINT_COLUMNS}`,
      [
        JSON.stringify(
          toWrite.map((p, ord) => ({
            ord,
            site_id: p.siteId,
            source: p.source,
            node: p.node,
            device: p.device,
            parameter: p.parameter,
            name: p.name,
            unit: p.unit ?? null,
            kind: p.kind ?? null,
            states: p.states ?? null,
            description: p.description ?? null,
            interval_seconds: p.intervalSeconds ?? null,
            meta: p.meta ?? null,
            explicit: byKey.has(keyOf(p)) ? explicitColumns(p) : null,
          })),
        ),
      ],
    );
    for (const r of written.rows) byKey.set(rowKey(r), r);
  }
  return points.map((p) => {
    const row = byKey.get(keyOf(p));
    if (!row) throw new Error(`point ${p.name} was neither found nor inserted`);
    return toRegistered(row);
  });
}

/**
 * Locks the written points' rows, in id order, until commit, and returns the time span of each
 * one's stored samples. Two stores writing samples of the same points take turns, so the spans
 * (and "did this sample exist?") are exact, which the append path and the incremental rollups
 * rely on. Points of different sites or files are written in parallel.
 */
export async function lockPoints(
  client: SqlClient,
  pointIds: readonly number[],
): Promise<Map<number, { firstMs: number; lastMs: number }>> {
  const spans = new Map<number, { firstMs: number; lastMs: number }>();
  if (pointIds.length === 0) return spans;
  const { rows } = await client.query<{ id: number; first_ts: Date | null; last_ts: Date | null }>(
    'SELECT id, first_ts, last_ts FROM points WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE',
    [[...pointIds]],
  );
  for (const r of rows) {
    if (r.first_ts && r.last_ts)
      spans.set(r.id, { firstMs: r.first_ts.getTime(), lastMs: r.last_ts.getTime() });
  }
  return spans;
}

export interface PointExtent {
  pointId: number;
  firstMs: number;
  lastMs: number;
  lastValue: number | null;
  lastQuality: number;
}

/**
 * Moves each written point's first_ts / last_ts / last value outwards (every written row now
 * equals the stored one). Points are only written when that changes them.
 */
export async function refreshPointExtent(client: SqlClient, extents: readonly PointExtent[]): Promise<void> {
  if (extents.length === 0) return;
  await client.query(
    `UPDATE points p SET
      first_ts = LEAST(p.first_ts, x.first_ts),
      last_ts = GREATEST(p.last_ts, x.last_ts),
      last_value = CASE WHEN p.last_ts IS NULL OR x.last_ts >= p.last_ts THEN x.last_value ELSE p.last_value END,
      last_quality = CASE WHEN p.last_ts IS NULL OR x.last_ts >= p.last_ts THEN x.last_quality ELSE p.last_quality END,
      updated_at = now()
    FROM (
      SELECT * FROM jsonb_to_recordset($1::jsonb)
        AS x(point_id int, first_ts timestamptz, last_ts timestamptz, last_value float8, last_quality int2)
    ) x
    WHERE p.id = x.point_id
      AND (p.first_ts IS NULL OR x.first_ts < p.first_ts OR p.last_ts IS NULL OR x.last_ts > p.last_ts
           OR (x.last_ts = p.last_ts AND (p.last_value, p.last_quality) IS DISTINCT FROM (x.last_value, x.last_quality)))`,
    [
      JSON.stringify(
        extents.map((e) => ({
          point_id: e.pointId,
          first_ts: new Date(e.firstMs).toISOString(),
          last_ts: new Date(e.lastMs).toISOString(),
          last_value: e.lastValue,
          last_quality: e.lastQuality,
        })),
      ),
    ],
  );
}
