import type { Kysely } from 'kysely';
import {
  EDITABLE_FIELDS,
  editPoint,
  findPointByName,
  parsePointChanges,
  PointEditError,
  type EditableField,
} from './edits.js';
import type { Database } from '@ep/schema';

// A CSV of point metadata sets many points at once (POST /api/v1/admin/points/metadata). Each
// line is applied on its own (its own transaction): good lines are applied even when others
// are refused, and the answer says per line number what happened.

/** What happened to one data line (line numbers are 1-based, the header is line 1). */
export type MetadataLineResult =
  | { line: number; status: 'applied'; pointId: number; changed: EditableField[] }
  | { line: number; status: 'refused'; error: string };

/** Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, CRLF), with line numbers. */
export function parseCsv(
  text: string,
): { line: number; fields: string[] }[] | { line: number; error: string } {
  const records: { line: number; fields: string[] }[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (;;) {
      if (i >= text.length) {
        if (quoted) return { line: start, error: 'a quoted field is not closed before the end of the file' };
        fields.push(field);
        break;
      }
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i += 1;
        } else {
          if (c === '\n') line += 1;
          field += c;
          i += 1;
        }
      } else if (c === '"' && field === '') {
        quoted = true;
        i += 1;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        i += 1;
      } else if (c === '\n' || c === '\r') {
        fields.push(field);
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line += 1;
        break;
      } else {
        field += c;
        i += 1;
      }
    }
    if (!(fields.length === 1 && fields[0]!.trim() === '')) records.push({ line: start, fields });
  }
  return records;
}

/** Refused before any line is looked at: the file as a whole is unusable. */
export class MetadataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataFileError';
  }
}

const ID_COLUMNS = ['point_id', 'site', 'name'];

/**
 * Applies a metadata CSV as `by`. Columns: `point_id`, or `site` and `name` (the source's full
 * point name), then any of EDITABLE_FIELDS; an empty cell leaves that field alone. `site`
 * confines every line to one site (a key bound to a site). Throws MetadataFileError when the
 * header is unusable.
 */
export async function applyMetadataCsv<DB extends Pick<Database, 'points' | 'point_edits' | 'sites'>>(
  db: Kysely<DB>,
  text: string,
  by: string,
  options: { site?: string | null } = {},
): Promise<MetadataLineResult[]> {
  const parsed = parseCsv(text);
  if (!Array.isArray(parsed)) throw new MetadataFileError(`line ${parsed.line}: ${parsed.error}`);
  const [header, ...rows] = parsed;
  if (!header) throw new MetadataFileError('the file is empty; the first line names the columns');
  const columns = header.fields.map((c) => c.trim().toLowerCase());
  const unknown = columns.filter(
    (c) => !ID_COLUMNS.includes(c) && !(EDITABLE_FIELDS as readonly string[]).includes(c),
  );
  if (unknown.length > 0)
    throw new MetadataFileError(
      `line 1: unknown column ${unknown.map((c) => `"${c}"`).join(', ')}; columns are point_id (or site and name), then any of ${EDITABLE_FIELDS.join(', ')}`,
    );
  const byId = columns.includes('point_id');
  if (!byId && !(columns.includes('site') && columns.includes('name')))
    throw new MetadataFileError('line 1: name the point with a point_id column, or site and name columns');
  if (!columns.some((c) => (EDITABLE_FIELDS as readonly string[]).includes(c)))
    throw new MetadataFileError(`line 1: no field to set; add any of ${EDITABLE_FIELDS.join(', ')}`);

  const results: MetadataLineResult[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) {
      results.push({
        line: row.line,
        status: 'refused',
        error: `${row.fields.length} fields, the header has ${columns.length}`,
      });
      continue;
    }
    const cell = (c: string) => row.fields[columns.indexOf(c)]?.trim() ?? '';
    try {
      let pointId: number | null;
      if (byId) {
        const id = cell('point_id');
        if (!/^\d{1,10}$/.test(id) || Number(id) < 1 || Number(id) > 2_147_483_647)
          throw new PointEditError('point_id', `"${id}" is not a point id (a positive integer)`);
        pointId = Number(id);
      } else {
        const site = cell('site');
        if (options.site && site !== options.site) pointId = null;
        else pointId = await findPointByName(db, site, cell('name'));
      }
      const raw: Record<string, unknown> = {};
      for (const f of EDITABLE_FIELDS) if (columns.includes(f) && cell(f) !== '') raw[f] = cell(f);
      if (Object.keys(raw).length === 0)
        throw new PointEditError('line', 'every field is empty; nothing to set');
      const changes = parsePointChanges(raw);
      const what = byId ? `point ${pointId}` : `point ${cell('name')} of site ${cell('site')}`;
      if (pointId === null) throw new PointEditError(byId ? 'point_id' : 'name', `${what} not found`);
      const done = await editPoint(db, pointId, changes, by, { site: options.site ?? null });
      if (!done) throw new PointEditError(byId ? 'point_id' : 'name', `${what} not found`);
      results.push({ line: row.line, status: 'applied', pointId, changed: done.edits.map((e) => e.field) });
    } catch (err) {
      if (!(err instanceof PointEditError)) throw err;
      results.push({ line: row.line, status: 'refused', error: err.message });
    }
  }
  return results;
}
