import { POINT_KINDS } from '@ep/contracts';
import { narrowTo, type Database } from '@ep/schema';
import { sql, type Kysely, type Transaction } from 'kysely';

// A person describing a point — unit, description, display name, state labels, kind, expected
// interval — written once for every place that does it: query-api's PATCH /points/{id} and its
// metadata CSV upload, and the operators' CLI (`pnpm ep points set`). Each field a person sets
// is added to `points.edited`, so a later upload keeps it unless the file states the field
// explicitly (measurement-store's upsertPoints), and each change is a row of `point_edits`.

/** The fields a person may set, by their column (and point_edits.field) name. */
export const EDITABLE_FIELDS = [
  'unit',
  'description',
  'display_name',
  'states',
  'kind',
  'interval_seconds',
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/** Validated changes: a value to set, or null to clear the field. */
export interface PointChanges {
  unit?: string | null;
  description?: string | null;
  display_name?: string | null;
  states?: Record<string, string> | null;
  kind?: (typeof POINT_KINDS)[number] | null;
  interval_seconds?: number | null;
}

/** A change refused: `field` names what was wrong, `message` says why and what is allowed. */
export class PointEditError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'PointEditError';
  }
}

const TEXT_LIMITS = { unit: 32, description: 1000, display_name: 200 } as const;
/** Longest expected interval: a week (monthly meter readings are not "sampled"). */
export const MAX_INTERVAL_SECONDS = 7 * 24 * 3600;

function parseText(field: keyof typeof TEXT_LIMITS, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw new PointEditError(field, 'must be a string (or null to clear it)');
  const trimmed = value.trim();
  if (trimmed === '') throw new PointEditError(field, 'is empty; give a value, or null to clear it');
  if (trimmed.length > TEXT_LIMITS[field])
    throw new PointEditError(field, `at most ${TEXT_LIMITS[field]} characters, got ${trimmed.length}`);
  return trimmed;
}

function parseStates(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new PointEditError('states', 'is not JSON; give an object like {"0":"OFF","1":"ON"}');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new PointEditError(
      'states',
      'must be an object of state number → label, e.g. {"0":"OFF","1":"ON"}',
    );
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0)
    throw new PointEditError('states', 'has no states; give at least one, or null to clear them');
  const states: Record<string, string> = {};
  for (const [k, label] of entries) {
    if (!/^-?\d{1,9}$/.test(k))
      throw new PointEditError('states', `key "${k}" is not a state number (an integer)`);
    if (typeof label !== 'string' || label.trim() === '' || label.length > 100)
      throw new PointEditError(
        'states',
        `label of ${k} must be a non-empty string of at most 100 characters`,
      );
    states[String(Number(k))] = label.trim();
  }
  return states;
}

function parseKind(value: unknown): PointChanges['kind'] {
  if (value === null) return null;
  if (typeof value !== 'string' || !(POINT_KINDS as readonly string[]).includes(value))
    throw new PointEditError('kind', `"${String(value)}" is not a kind; one of ${POINT_KINDS.join(', ')}`);
  return value as PointChanges['kind'];
}

function parseInterval(value: unknown): number | null {
  if (value === null) return null;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_INTERVAL_SECONDS)
    throw new PointEditError(
      'interval_seconds',
      `"${String(value)}" is not an interval: whole seconds from 1 to ${MAX_INTERVAL_SECONDS}, e.g. 900`,
    );
  return n;
}

/**
 * Validates raw values by field name (JSON values, or strings as a CSV or the command line
 * gives them); undefined leaves a field alone, null clears it. Unknown fields are refused.
 */
export function parsePointChanges(input: Record<string, unknown>): PointChanges {
  const changes: PointChanges = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (field) {
      case 'unit':
      case 'description':
      case 'display_name':
        changes[field] = parseText(field, value);
        break;
      case 'states':
        changes.states = parseStates(value);
        break;
      case 'kind':
        changes.kind = parseKind(value);
        break;
      case 'interval_seconds':
        changes.interval_seconds = parseInterval(value);
        break;
      default:
        throw new PointEditError(field, `is not a point field; one of ${EDITABLE_FIELDS.join(', ')}`);
    }
  }
  if (Object.keys(changes).length === 0)
    throw new PointEditError('body', `no field to change; give any of ${EDITABLE_FIELDS.join(', ')}`);
  return changes;
}

/** One recorded change. */
export interface PointEdit {
  id: number;
  pointId: number;
  field: EditableField;
  old: unknown;
  new: unknown;
  by: string;
  at: Date;
}

export interface EditResult {
  pointId: number;
  /** The changes that differed from the stored value (an equal value is not recorded). */
  edits: PointEdit[];
}

type EditTables = Pick<Database, 'points' | 'point_edits' | 'sites'>;
const narrow = narrowTo<EditTables>();

const jsonEqual = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Applies `changes` to a point, as `by` (an API key `key:<name>#<id>`, or `cli:<user>`), in one
 * transaction: the row is locked, changed fields are written and marked edited, and each change
 * is recorded. A field set to its current value is still marked edited (the person confirmed
 * it) but not recorded. Returns null when the point does not exist (or is not of `site`).
 */
export async function editPoint<DB extends EditTables>(
  db: Kysely<DB>,
  pointId: number,
  changes: PointChanges,
  by: string,
  options: { site?: string | null } = {},
): Promise<EditResult | null> {
  return narrow(db)
    .transaction()
    .execute((trx) => editInTransaction(trx, pointId, changes, by, options.site ?? null));
}

async function editInTransaction(
  trx: Transaction<EditTables>,
  pointId: number,
  changes: PointChanges,
  by: string,
  site: string | null,
): Promise<EditResult | null> {
  let query = trx
    .selectFrom('points as p')
    .innerJoin('sites as s', 's.id', 'p.site_id')
    .select([
      'p.id',
      'p.unit',
      'p.description',
      'p.display_name',
      'p.states',
      'p.kind',
      'p.interval_seconds',
      'p.edited',
    ])
    .where('p.id', '=', pointId)
    .forUpdate('p');
  if (site !== null) query = query.where('s.key', '=', site);
  const row = await query.executeTakeFirst();
  if (!row) return null;
  const fields = Object.keys(changes) as EditableField[];
  const changed = fields.filter((f) => !jsonEqual(row[f], changes[f]));
  const set: Record<string, unknown> = {};
  for (const f of fields) set[f] = f === 'states' ? JSON.stringify(changes.states ?? null) : changes[f];
  if (set['states'] === 'null') set['states'] = null;
  await trx
    .updateTable('points')
    .set({
      ...set,
      edited: sql<string[]>`ARRAY(SELECT DISTINCT unnest(edited || ${fields}::text[]) ORDER BY 1)`,
      updated_at: sql`now()`,
    })
    .where('id', '=', pointId)
    .execute();
  if (changed.length === 0) return { pointId, edits: [] };
  const inserted = await trx
    .insertInto('point_edits')
    .values(
      changed.map((f) => ({
        point_id: pointId,
        field: f,
        old: JSON.stringify(row[f] ?? null),
        new: JSON.stringify(changes[f] ?? null),
        by,
      })),
    )
    .returningAll()
    .execute();
  return { pointId, edits: inserted.map(toEdit) };
}

const toEdit = (r: {
  id: number;
  point_id: number;
  field: string;
  old: unknown;
  new: unknown;
  by: string;
  at: Date;
}): PointEdit => ({
  id: Number(r.id),
  pointId: r.point_id,
  field: r.field as EditableField,
  old: r.old,
  new: r.new,
  by: r.by,
  at: r.at,
});

/** Every recorded change of a point, oldest first. */
export async function listPointEdits<DB extends EditTables>(
  db: Kysely<DB>,
  pointId: number,
): Promise<PointEdit[]> {
  const rows = await narrow(db)
    .selectFrom('point_edits')
    .selectAll()
    .where('point_id', '=', pointId)
    .orderBy('id')
    .execute();
  return rows.map(toEdit);
}

/** The id of the point `name` of `site` (the source's full name), or null. */
export async function findPointByName<DB extends EditTables>(
  db: Kysely<DB>,
  site: string,
  name: string,
): Promise<number | null> {
  const row = await narrow(db)
    .selectFrom('points as p')
    .innerJoin('sites as s', 's.id', 'p.site_id')
    .select('p.id')
    .where('s.key', '=', site)
    .where('p.name', '=', name)
    .orderBy('p.id')
    .executeTakeFirst();
  return row?.id ?? null;
}
