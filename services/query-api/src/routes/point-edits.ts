import type { Principal } from '@ep/auth';
import { HttpError } from '@ep/http';
import {
  applyMetadataCsv,
  editPoint,
  listPointEdits,
  MetadataFileError,
  parsePointChanges,
  PointEditError,
  type PointEdit,
} from '@ep/points';
import type { Database } from '@ep/schema';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findPoints } from '../db/catalog.js';
import type { RouteDeps } from './common.js';
import { formatIso, pointDetail as pointDetailJson } from './mappers.js';
import * as s from './schemas.js';

// People describing points (issue 13), scope admin, on the primary database: PATCH
// /api/v1/points/{id}, its history at /api/v1/points/{id}/edits, and many points at once from a
// CSV at /api/v1/admin/points/metadata. The use case (validation, the edit and its record) is
// @ep/points, shared with `pnpm ep points set`. Writes and reads go to the primary (keysDb):
// an edit is read back at once. `pointEditRoutes` is registered under /api/v1,
// `pointMetadataRoutes` under /api/v1/admin.

/** Most bytes of a metadata CSV (about 20 000 points). */
const MAX_CSV_BYTES = 2 * 1024 * 1024;

/** Who made a change, as point_edits.by records it: the API key's name and id. */
export const editor = (p: Principal | undefined) => (p ? `key:${p.name}#${p.keyId}` : 'key:unknown');

const idParam = z.coerce.number().int().min(1).max(2_147_483_647).describe('point id');

const editJson = (e: PointEdit) => ({
  id: e.id,
  field: e.field,
  old: e.old,
  new: e.new,
  by: e.by,
  at: formatIso(e.at),
});

const edit = z
  .object({
    id: z.number().int(),
    field: z.string().describe('unit, description, display_name, states, kind or interval_seconds'),
    old: z.unknown().describe('the value before (JSON; null when unset)'),
    new: z.unknown().describe('the value after (JSON; null when cleared)'),
    by: z.string().describe('who: `key:<API key name>#<key id>` or `cli:<user>`'),
    at: z.string().describe('ISO-8601 instant'),
  })
  .describe('PointEdit');

const described = s.pointDetail
  .extend({
    displayName: z.string().nullable().describe("a person's name for the point"),
    edited: z
      .array(z.string())
      .describe('fields a person set; uploads keep them unless a file states them explicitly'),
  })
  .describe('DescribedPoint');

/** The API's field names (camelCase, as GET /points answers) → the shared use case's. */
const FIELD_OF = {
  unit: 'unit',
  description: 'description',
  displayName: 'display_name',
  states: 'states',
  kind: 'kind',
  intervalSeconds: 'interval_seconds',
} as const;
const API_NAME_OF = Object.fromEntries(Object.entries(FIELD_OF).map(([api, field]) => [field, api]));

const refused = (err: PointEditError) => {
  const field = API_NAME_OF[err.field] ?? err.field;
  const message = err.message.replace(/^[^:]+:/, `${field}:`);
  return new HttpError(400, message, [{ field: `body.${field}`, message }]);
};

async function describedPoint(db: Kysely<Database>, id: number, site: string | null) {
  const [p] = await findPoints(db, [id], site);
  if (!p) throw new HttpError(404, `point ${id} not found`);
  const extra = await db
    .selectFrom('points')
    .select(['display_name', 'edited'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { ...pointDetailJson(p), displayName: extra.display_name, edited: extra.edited };
}

export function pointEditRoutes({ keysDb: db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const denied = { 401: s.errors[401], 403: s.errors[403] };

    app.patch(
      '/points/:id',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'patchPoint',
          tags: ['admin'],
          summary:
            'Describe a point: unit, description, display name, state labels, kind, expected interval (kept across later uploads unless a file states the field explicitly)',
          params: z.object({ id: idParam }),
          body: z
            .object({
              unit: z.string().nullable().optional().describe('e.g. kWh; null clears it'),
              description: z.string().nullable().optional(),
              displayName: z.string().nullable().optional(),
              states: z
                .record(z.string(), z.string())
                .nullable()
                .optional()
                .describe('state number → label, e.g. {"0":"OFF","1":"ON"}'),
              kind: z.string().nullable().optional().describe('sampled, state, counter or event'),
              intervalSeconds: z
                .number()
                .nullable()
                .optional()
                .describe('expected sampling interval, whole seconds'),
            })
            .strict(),
          response: {
            200: z.object({
              point: described,
              edits: z.array(edit).describe('what changed (an equal value is not recorded)'),
            }),
            400: s.errors[400],
            ...denied,
            404: s.errors[404],
          },
        },
      },
      async (request) => {
        const site = request.principal?.site ?? null;
        const raw: Record<string, unknown> = {};
        for (const [api, field] of Object.entries(FIELD_OF))
          raw[field] = (request.body as Record<string, unknown>)[api];
        let changes;
        try {
          changes = parsePointChanges(raw);
        } catch (err) {
          if (err instanceof PointEditError) throw refused(err);
          throw err;
        }
        const done = await editPoint(db, request.params.id, changes, editor(request.principal), { site });
        if (!done) throw new HttpError(404, `point ${request.params.id} not found`);
        return { point: await describedPoint(db, done.pointId, site), edits: done.edits.map(editJson) };
      },
    );

    app.get(
      '/points/:id/edits',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'listPointEdits',
          tags: ['admin'],
          summary: "Every change people made to a point's description: field, old, new, who and when",
          params: z.object({ id: idParam }),
          response: { 200: z.object({ items: z.array(edit) }), ...denied, 404: s.errors[404] },
        },
      },
      async (request) => {
        const [p] = await findPoints(db, [request.params.id], request.principal?.site ?? null);
        if (!p) throw new HttpError(404, `point ${request.params.id} not found`);
        return { items: (await listPointEdits(db, p.id)).map(editJson) };
      },
    );
  };
}

const lineResult = z
  .object({
    line: z.number().int().describe('1-based line of the file (the header is line 1)'),
    status: z.enum(['applied', 'refused']),
    pointId: z.number().int().optional(),
    changed: z.array(z.string()).optional().describe('fields whose value changed'),
    error: z.string().optional().describe('why the line was refused: the field and what is allowed'),
  })
  .describe('MetadataLine');

export function pointMetadataRoutes({ keysDb: db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: MAX_CSV_BYTES },
      (_req, body, done) => done(null, body),
    );

    app.post(
      '/points/metadata',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'uploadPointMetadata',
          tags: ['admin'],
          summary:
            'Describe many points from a CSV (text/csv): point_id or site,name, then any of unit,description,display_name,kind,interval_seconds,states',
          consumes: ['text/csv'],
          body: z.string().describe('CSV text; the first line names the columns'),
          response: {
            200: z.object({
              applied: z.number().int(),
              refused: z.number().int(),
              lines: z.array(lineResult),
            }),
            400: s.errors[400],
            401: s.errors[401],
            403: s.errors[403],
          },
        },
      },
      async (request) => {
        let lines;
        try {
          lines = await applyMetadataCsv(db, request.body, editor(request.principal), {
            site: request.principal?.site ?? null,
          });
        } catch (err) {
          if (err instanceof MetadataFileError)
            throw new HttpError(400, err.message, [{ line: 1, message: err.message }]);
          throw err;
        }
        return {
          applied: lines.filter((l) => l.status === 'applied').length,
          refused: lines.filter((l) => l.status === 'refused').length,
          lines,
        };
      },
    );
  };
}
