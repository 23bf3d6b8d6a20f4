import type { Kysely } from 'kysely';
import type { PointsTable, UploadsTable } from './database.js';

// Column lists more than one service selects, declared once beside the tables they come from, so
// a column added to a table reaches every reader. Data, not queries: each service builds its own.

/**
 * Every column of `uploads` but `raw`: what a report or a list of uploads reads. The raw bytes can
 * be 100 MB and are only for re-parsing.
 */
export const UPLOAD_SUMMARY_COLUMNS = [
  'id',
  'kind',
  'format',
  'filename',
  'sha256',
  'size',
  'site_id',
  'uploader',
  'received_at',
  'updated_at',
  'status',
  'points',
  'samples',
  'samples_stored',
  'batches',
  'batches_stored',
  'rejected',
  'errors',
] as const satisfies readonly (keyof UploadsTable)[];

// A column added to `uploads` fails to compile here until it is listed above (or is another `raw`).
type Unlisted = Exclude<keyof UploadsTable, 'raw' | (typeof UPLOAD_SUMMARY_COLUMNS)[number]>;
const everyColumnListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyColumnListed;

/** Which point this is and what it means: its address and the columns that describe it. */
export const POINT_DESCRIPTION_COLUMNS = [
  'node',
  'device',
  'parameter',
  'name',
  'unit',
  'kind',
  'states',
  'description',
  'interval_seconds',
  'meta',
] as const satisfies readonly (keyof PointsTable)[];
export type PointDescriptionColumn = (typeof POINT_DESCRIPTION_COLUMNS)[number];

/** `cols` qualified by a table alias, as kysely's `select` takes them: `qualified('u', ['id'])` → `['u.id']`. */
export function qualified<A extends string, C extends string>(alias: A, cols: readonly C[]): `${A}.${C}`[] {
  return cols.map((c) => `${alias}.${c}` as const);
}

/**
 * Narrows a caller's Kysely to the tables a shared query reads: `const narrow = narrowTo<T>()`,
 * then `narrow(db)`. Sound when the caller's DB declares those tables as this schema does (it
 * picks them from `Database`); the cast is needed only because Kysely<DB> is not assignable to
 * Kysely<a subset of DB>.
 */
export function narrowTo<T>() {
  return <DB extends T>(db: Kysely<DB>): Kysely<T> => db as unknown as Kysely<T>;
}
