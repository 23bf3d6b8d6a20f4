import { sql, type Kysely, type Selectable } from 'kysely';
import {
  POINT_DESCRIPTION_COLUMNS,
  qualified,
  type Database,
  type PointDescriptionColumn,
  type PointsTable,
} from '@ep/schema';

// Sites and points: the hierarchy site → node → device → parameter.

export interface SiteRow {
  id: number;
  key: string;
  name: string;
  timezone: string;
  created_at: Date;
}

/** Sites in key order; a key bound to a site (`onlySite`) sees that one only. */
export async function listSites(db: Kysely<Database>, onlySite: string | null): Promise<SiteRow[]> {
  let q = db.selectFrom('sites').select(['id', 'key', 'name', 'timezone', 'created_at']).orderBy('key');
  if (onlySite !== null) q = q.where('key', '=', onlySite);
  return q.execute();
}

export async function findSite(db: Kysely<Database>, key: string): Promise<SiteRow | undefined> {
  return db
    .selectFrom('sites')
    .select(['id', 'key', 'name', 'timezone', 'created_at'])
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function siteHasPoints(db: Kysely<Database>, siteId: number): Promise<boolean> {
  const row = await db
    .selectFrom('points')
    .select('id')
    .where('site_id', '=', siteId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Inserts or updates a site; returns it and whether it was created. */
export async function upsertSite(
  db: Kysely<Database>,
  site: { key: string; name: string; timezone: string },
): Promise<{ site: SiteRow; created: boolean }> {
  const row = await db
    .insertInto('sites')
    .values(site)
    .onConflict((oc) => oc.column('key').doUpdateSet({ name: site.name, timezone: site.timezone }))
    .returning(['id', 'key', 'name', 'timezone', 'created_at', sql<boolean>`(xmax = 0)`.as('created')])
    .executeTakeFirstOrThrow();
  const { created, ...rest } = row;
  return { site: rest, created };
}

/** A point as the API lists it: its columns as the schema declares them, with its site's key and zone. */
export type PointRow = Pick<
  Selectable<PointsTable>,
  'id' | 'source' | PointDescriptionColumn | 'first_ts' | 'last_ts' | 'last_value' | 'last_quality'
> & { site: string; site_timezone: string };

function pointsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('points as p')
    .innerJoin('sites as s', 's.id', 'p.site_id')
    .select([
      'p.id',
      's.key as site',
      's.timezone as site_timezone',
      'p.source',
      ...qualified('p', POINT_DESCRIPTION_COLUMNS),
      'p.first_ts',
      'p.last_ts',
      'p.last_value',
      'p.last_quality',
    ]);
}

export interface PointFilter {
  site?: string;
  node?: string;
  device?: string;
  parameter?: string;
  source?: string;
  unit?: string;
  /** Case-insensitive text found in the name, node, device, parameter or description. */
  q?: string;
}

/** One page of points in id order, after `afterId`. Fetches limit + 1 to tell whether more follow. */
export async function listPoints(
  db: Kysely<Database>,
  filter: PointFilter,
  onlySite: string | null,
  afterId: number,
  limit: number,
): Promise<PointRow[]> {
  let q = pointsQuery(db)
    .where('p.id', '>', afterId)
    .orderBy('p.id')
    .limit(limit + 1);
  if (onlySite !== null) q = q.where('s.key', '=', onlySite);
  if (filter.site !== undefined) q = q.where('s.key', '=', filter.site);
  if (filter.node !== undefined) q = q.where('p.node', '=', filter.node);
  if (filter.device !== undefined) q = q.where('p.device', '=', filter.device);
  if (filter.parameter !== undefined) q = q.where('p.parameter', '=', filter.parameter);
  if (filter.source !== undefined) q = q.where('p.source', '=', filter.source);
  if (filter.unit !== undefined) q = q.where('p.unit', '=', filter.unit);
  if (filter.q !== undefined) {
    const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb('p.name', 'ilike', like),
        eb('p.node', 'ilike', like),
        eb('p.device', 'ilike', like),
        eb('p.parameter', 'ilike', like),
        eb('p.description', 'ilike', like),
      ]),
    );
  }
  return q.execute();
}

/** Points by id that `onlySite` may see, in the order asked; missing ids are simply absent. */
export async function findPoints(
  db: Kysely<Database>,
  ids: number[],
  onlySite: string | null,
): Promise<PointRow[]> {
  if (ids.length === 0) return [];
  let q = pointsQuery(db).where('p.id', 'in', ids);
  if (onlySite !== null) q = q.where('s.key', '=', onlySite);
  const rows = await q.execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Every point of a site in hierarchy order (node, device, parameter), for its tree. */
export async function sitePoints(db: Kysely<Database>, site: string): Promise<PointRow[]> {
  return pointsQuery(db)
    .where('s.key', '=', site)
    .orderBy('p.node')
    .orderBy('p.device')
    .orderBy('p.parameter')
    .orderBy('p.id')
    .execute();
}

/** Points of one device of one site, for the legacy device CSV. */
export async function devicePoints(db: Kysely<Database>, site: string, device: string): Promise<PointRow[]> {
  return pointsQuery(db)
    .where('s.key', '=', site)
    .where('p.device', '=', device)
    .orderBy('p.parameter')
    .orderBy('p.node')
    .execute();
}

/**
 * The point's sampling interval in seconds when its metadata lacks one: the median spacing of its
 * last 1,001 samples (a cheap backward index scan). Undefined with fewer than two samples.
 */
export async function inferIntervalSeconds(
  db: Kysely<Database>,
  pointId: number,
): Promise<number | undefined> {
  const { rows } = await sql<{ median: number | null }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS median
    FROM (
      SELECT extract(epoch FROM ts - lag(ts) OVER (ORDER BY ts))::float8 AS d
      FROM (SELECT ts FROM measurements WHERE point_id = ${pointId} ORDER BY ts DESC LIMIT 1001) recent
    ) gaps
    WHERE d IS NOT NULL`.execute(db);
  const median = rows[0]?.median;
  return median !== null && median !== undefined && median > 0 ? median : undefined;
}
