import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import { findPoints, findSite, listPoints, listSites, type PointRow } from '../db/catalog.js';
import { samplePageJson, samplesCsv } from '../db/samples.js';
import {
  findMessage,
  findUpload,
  listMessages,
  listTeststands,
  listUploads,
  teststandExists,
} from '../db/records.js';
import { UPLOAD_STATUSES, type Database } from '@ep/schema';
import { attachment, csvLine, dataPackageCsv } from '../domain/csv.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { ApiError, badParameter, notFound } from '../domain/errors.js';
import { buckets, formatInstant, parseFns, parseInstant, parseRange, parseTimeZone } from '../domain/time.js';
import { aggregatePoints } from './aggregation.js';
import { authenticate, boundSiteFilter, onlySite } from './auth.js';
import {
  latestJson,
  messageJson,
  pointDetail as pointDetailJson,
  pointJson,
  siteJson,
  teststandJson,
  uploadJson,
} from './mappers.js';
import * as s from './schemas.js';

export interface ReadDeps {
  /** Reads (a replica in production). */
  db: Kysely<Database>;
  /** The primary: API keys are looked up and touched there. */
  keysDb: Kysely<Database>;
  /** Raw pool for COPY … TO STDOUT streams (kysely has no COPY). */
  copyPool: pg.Pool;
}

const idParam = (what: string) => z.coerce.number().int().min(1).max(2_147_483_647).describe(`${what} id`);

/** A timestamptz as PostgreSQL prints it (keyset cursors keep its microseconds). */
const PG_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** Most points /series and /latest take at once. */
export const MAX_SERIES_POINTS = 200;

function parseIds(value: string, parameter: string, max: number): number[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw badParameter(parameter, 'give at least one point id, e.g. 1,2,3');
  if (parts.length > max) throw badParameter(parameter, `at most ${max} point ids, got ${parts.length}`);
  const bad = parts.filter((p) => !/^\d{1,10}$/.test(p) || Number(p) < 1 || Number(p) > 2_147_483_647);
  if (bad.length > 0)
    throw badParameter(
      parameter,
      `not point ids: ${bad.join(', ')}; give positive integers separated by commas`,
    );
  return [...new Set(parts.map(Number))];
}

/**
 * Sends a large body as JSON text directly: the zod serializer would first validate every
 * bucket again. `satisfies` at the call sites keeps the body to the response schema.
 */
function json(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Every id must exist and be visible, else 404 naming the missing ones (visibility is not leaked). */
async function requirePoints(db: Kysely<Database>, ids: number[], site: string | null): Promise<PointRow[]> {
  const found = await findPoints(db, ids, site);
  if (found.length !== ids.length) {
    const have = new Set(found.map((p) => p.id));
    throw notFound(`point ${ids.filter((id) => !have.has(id)).join(', ')}`);
  }
  return found;
}

/**
 * Read routes, scope `read`. A key bound to a site gets 404 for anything of another site — the
 * same answer as for an id that does not exist, so a bound key cannot probe for other sites.
 */
export function readRoutes(deps: ReadDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.addHook('preHandler', authenticate(deps.keysDb, 'read'));

    app.get(
      '/sites',
      {
        schema: {
          tags: ['browse'],
          summary: 'Sites the key may see',
          response: { 200: z.object({ items: z.array(s.site) }), 401: s.errors[401], 403: s.errors[403] },
        },
      },
      async (request) => ({ items: (await listSites(db, onlySite(request))).map(siteJson) }),
    );

    app.get(
      '/sites/:site',
      {
        schema: {
          tags: ['browse'],
          summary: 'One site',
          params: z.object({ site: z.string() }),
          response: { 200: s.site, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const bound = onlySite(request);
        const found = await findSite(db, request.params.site);
        if (!found || (bound !== null && bound !== found.key)) throw notFound(`site ${request.params.site}`);
        return siteJson(found);
      },
    );

    app.get(
      '/points',
      {
        schema: {
          tags: ['browse'],
          summary: 'Points, filtered and searched, in id order',
          querystring: z.object({
            site: z.string().optional(),
            node: z.string().optional(),
            device: z.string().optional(),
            parameter: z.string().optional(),
            source: z.string().optional(),
            unit: z.string().optional(),
            q: z
              .string()
              .min(1)
              .optional()
              .describe('text found (case-insensitive) in name, node, device, parameter or description'),
            cursor: s.cursorParam,
            limit: s.limitParam(100, 1000),
          }),
          response: {
            200: s.page(s.point, 'PointPage'),
            ...s.errors,
          },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        const bound = boundSiteFilter(request, filter.site);
        const after = cursor ? decodeCursor(cursor, { id: 'number' }).id : 0;
        const rows = await listPoints(db, filter, bound, after, limit);
        const items = rows.slice(0, limit);
        return {
          items: items.map(pointJson),
          nextCursor: rows.length > limit ? encodeCursor({ id: items[items.length - 1]!.id }) : null,
        };
      },
    );

    app.get(
      '/points/:id',
      {
        schema: {
          tags: ['browse'],
          summary: 'One point: metadata, first/last time, last value',
          params: z.object({ id: idParam('point') }),
          response: { 200: s.pointDetail, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        return pointDetailJson(p!);
      },
    );

    app.get(
      '/points/:id/latest',
      {
        schema: {
          tags: ['latest'],
          summary: 'Latest value of a point',
          params: z.object({ id: idParam('point') }),
          response: { 200: s.latest, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => latestJson((await requirePoints(db, [request.params.id], onlySite(request)))[0]!),
    );

    app.get(
      '/latest',
      {
        schema: {
          tags: ['latest'],
          summary: 'Latest values of several points',
          querystring: z.object({
            points: z.string().describe(`comma-separated point ids, at most ${MAX_SERIES_POINTS}`),
          }),
          response: {
            200: z.object({ items: z.array(s.latest) }),
            ...s.errors,
          },
        },
      },
      async (request) => {
        const ids = parseIds(request.query.points, 'points', MAX_SERIES_POINTS);
        return { items: (await requirePoints(db, ids, onlySite(request))).map(latestJson) };
      },
    );

    app.get(
      '/points/:id/samples',
      {
        schema: {
          tags: ['samples'],
          summary: 'Raw samples in [from, to): keyset-paginated JSON, or the whole range as streamed CSV',
          params: z.object({ id: idParam('point') }),
          querystring: s.samplesQuery,
          produces: ['application/json', 'text/csv'],
          response: {
            200: z
              .object({
                point: z.number().int(),
                tz: z.string(),
                samples: z.array(s.sample),
                nextCursor: z.string().nullable(),
              })
              .describe('SamplePage (CSV: ts,value,quality)'),
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const range = parseRange(q.from, q.to);
        const tz = q.tz === undefined ? 'UTC' : parseTimeZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        if (q.format === 'csv') {
          const stream = await samplesCsv(deps.copyPool, pg, p!.id, range, tz);
          return (reply as FastifyReply)
            .type('text/csv; charset=utf-8')
            .header(
              'content-disposition',
              attachment(
                `point-${p!.id}-${new Date(range.from).toISOString()}-${new Date(range.to).toISOString()}.csv`,
              ),
            )
            .send(stream);
        }
        const after = q.cursor ? decodeCursor(q.cursor, { ts: 'number' }).ts : undefined;
        const page = await samplePageJson(deps.copyPool, pg, p!.id, range, after, q.limit, tz);
        const nextCursor = page.more && page.lastTs ? encodeCursor({ ts: Date.parse(page.lastTs) }) : null;
        // The samples are JSON text already (from COPY); the zod serializer would parse nothing
        // but validate every one of up to 200,000 tuples. The shape is the response schema's.
        return (reply as FastifyReply)
          .type('application/json; charset=utf-8')
          .send(
            `{"point":${p!.id},"tz":${JSON.stringify(tz)},"samples":${page.json},"nextCursor":${JSON.stringify(nextCursor)}}`,
          );
      },
    );

    app.get(
      '/points/:id/aggregate',
      {
        schema: {
          tags: ['aggregates'],
          summary:
            'Aggregates per bucket on the local calendar of tz, from rollups whenever they answer exactly',
          params: z.object({ id: idParam('point') }),
          querystring: s.aggregateQuery,
          response: {
            200: s.aggregateResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const range = parseRange(q.from, q.to);
        const fns = parseFns(q.fn);
        const tzGiven = q.tz === undefined ? undefined : parseTimeZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        const tz = tzGiven ?? parseTimeZone(p!.site_timezone, 'site timezone');
        const list = buckets(range, q.interval, tz);
        const result = (await aggregatePoints(db, [p!], list, q.interval, tz, fns)).get(p!.id)!;
        let previousEnd = '';
        return json(reply as FastifyReply, {
          point: p!.id,
          interval: q.interval,
          tz,
          fn: fns,
          from: formatInstant(list[0]!.start, tz),
          to: formatInstant(list[list.length - 1]!.end, tz),
          source: result.source,
          intervalSeconds: result.intervalSeconds,
          intervalSource: result.intervalSource,
          buckets: result.buckets.map((b, i) => {
            // Each bucket ends where the next starts: every edge is formatted once.
            const start = i === 0 ? formatInstant(b.start, tz) : previousEnd;
            previousEnd = formatInstant(b.end, tz);
            const out: z.infer<typeof s.bucket> = {
              start,
              end: previousEnd,
              count: b.count,
              coverage: b.coverage,
            };
            for (const fn of fns) if (fn !== 'count') out[fn] = b.values[fn] ?? null;
            return out;
          }),
        } satisfies z.infer<typeof s.aggregateResponse>);
      },
    );

    app.get(
      '/series',
      {
        schema: {
          tags: ['aggregates'],
          summary: 'Several points side by side: one row per bucket, one column per point',
          querystring: s.seriesQuery,
          produces: ['application/json', 'text/csv'],
          response: {
            200: s.seriesResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const ids = parseIds(q.points, 'points', MAX_SERIES_POINTS);
        const range = parseRange(q.from, q.to);
        const fns = parseFns(q.fn);
        if (fns.length > 1)
          throw badParameter('fn', 'one function per series request (one column per point)');
        const fn = fns[0]!;
        const tzGiven = q.tz === undefined ? undefined : parseTimeZone(q.tz);
        const points = await requirePoints(db, ids, onlySite(request));
        const tz = tzGiven ?? parseTimeZone(points[0]!.site_timezone, 'site timezone');
        const list = buckets(range, q.interval, tz);
        const results = await aggregatePoints(db, points, list, q.interval, tz, fns);
        const columns = points.map((p) => ({ point: p.id, name: p.name, unit: p.unit }));
        const values = (i: number) => points.map((p) => results.get(p.id)!.buckets[i]!.values[fn] ?? null);
        if (q.format === 'csv') {
          let body = csvLine(['ts', ...points.map((p) => `${p.name} (${p.id})`)]);
          list.forEach((b, i) => (body += csvLine([formatInstant(b.start, tz), ...values(i)])));
          return (reply as FastifyReply)
            .type('text/csv; charset=utf-8')
            .header(
              'content-disposition',
              attachment(`series-${fn}-${q.interval}-${formatInstant(list[0]!.start, tz)}.csv`),
            )
            .send(body);
        }
        return json(reply as FastifyReply, {
          interval: q.interval,
          tz,
          fn,
          columns,
          rows: list.map((b, i) => ({ ts: formatInstant(b.start, tz), values: values(i) })),
        } satisfies z.infer<typeof s.seriesResponse>);
      },
    );

    app.get(
      '/uploads',
      {
        schema: {
          tags: ['uploads'],
          summary: 'Uploads, newest first',
          querystring: z.object({
            site: z.string().optional(),
            status: z
              .string()
              .optional()
              .describe(`one of ${UPLOAD_STATUSES.join(', ')}`),
            kind: z.string().optional().describe('siemens or alc'),
            cursor: s.cursorParam,
            limit: s.limitParam(100, 1000),
          }),
          response: {
            200: s.page(s.upload, 'UploadPage'),
            ...s.errors,
          },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        const bound = boundSiteFilter(request, filter.site);
        const after = cursor ? decodeCursor(cursor, { t: 'string', id: 'string' }) : undefined;
        if (after && !PG_TIME.test(after.t))
          throw badParameter('cursor', 'not a cursor this listing returned');
        const rows = await listUploads(
          db,
          filter,
          bound,
          after && { receivedAt: after.t, id: after.id },
          limit,
        );
        const items = rows.slice(0, limit);
        const last = items[items.length - 1];
        // Microsecond precision matters for the keyset: received_at is kept as PostgreSQL wrote it.
        return {
          items: items.map(uploadJson),
          nextCursor:
            rows.length > limit && last ? encodeCursor({ t: last.received_at_text, id: last.id }) : null,
        };
      },
    );

    app.get(
      '/uploads/:id',
      {
        schema: {
          tags: ['uploads'],
          summary: 'One upload: status, counts, errors',
          params: z.object({ id: z.string() }),
          response: { 200: s.upload, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const found = await findUpload(db, request.params.id, onlySite(request));
        if (!found) throw notFound(`upload ${request.params.id}`);
        return uploadJson(found);
      },
    );

    // Test stands belong to no site: a key bound to a site does not see them.
    const noBoundKeys = (request: { principal?: { site: string | null; name: string } }) => {
      if (request.principal?.site)
        throw new ApiError(
          403,
          `API key "${request.principal.name}" is bound to site ${request.principal.site}; test stands need an unbound key`,
        );
    };

    app.get(
      '/teststands',
      {
        schema: {
          tags: ['teststands'],
          summary: 'Test stands and modules with their last power and status codes',
          response: {
            200: z.object({ items: z.array(s.teststand) }),
            401: s.errors[401],
            403: s.errors[403],
          },
        },
      },
      async (request) => {
        noBoundKeys(request);
        return { items: (await listTeststands(db)).map(teststandJson) };
      },
    );

    app.get(
      '/teststands/:stand/messages',
      {
        schema: {
          tags: ['teststands'],
          summary: 'Messages of a stand in arrival order',
          params: z.object({ stand: z.string() }),
          querystring: z.object({
            type: z.string().optional().describe('message type (msgType)'),
            kind: z.enum(['status', 'data', 'result', 'command', 'rejected']).optional(),
            from: z.string().optional().describe('received at or after: ISO-8601 or epoch ms'),
            to: z.string().optional().describe('received before: ISO-8601 or epoch ms'),
            cursor: s.cursorParam,
            limit: s.limitParam(100, 1000),
          }),
          response: {
            200: s.page(s.teststandMessage, 'TeststandMessagePage'),
            ...s.errors,
          },
        },
      },
      async (request) => {
        noBoundKeys(request);
        const q = request.query;
        const from = q.from === undefined ? undefined : parseInstant(q.from, 'from');
        const to = q.to === undefined ? undefined : parseInstant(q.to, 'to');
        if (from !== undefined && to !== undefined && to <= from)
          throw badParameter('to', `must be after from (${q.from})`);
        if (!(await teststandExists(db, request.params.stand)))
          throw notFound(`test stand ${request.params.stand}`);
        const after = q.cursor ? decodeCursor(q.cursor, { t: 'string', id: 'number' }) : undefined;
        if (after && !PG_TIME.test(after.t))
          throw badParameter('cursor', 'not a cursor this listing returned');
        const rows = await listMessages(
          db,
          request.params.stand,
          { type: q.type, kind: q.kind, from, to },
          after && { receivedAt: after.t, id: after.id },
          q.limit,
        );
        const items = rows.slice(0, q.limit);
        const last = items[items.length - 1];
        return {
          items: items.map(messageJson),
          nextCursor:
            rows.length > q.limit && last ? encodeCursor({ t: last.received_at_text, id: last.id }) : null,
        };
      },
    );

    app.get(
      '/teststands/:stand/messages/:id',
      {
        schema: {
          tags: ['teststands'],
          summary: 'One message; format=csv gives its data package as CSV (one column per data key)',
          params: z.object({ stand: z.string(), id: idParam('message') }),
          querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
          produces: ['application/json', 'text/csv'],
          response: {
            200: s.teststandMessage,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        noBoundKeys(request);
        const m = await findMessage(db, request.params.stand, request.params.id);
        if (!m) throw notFound(`message ${request.params.id} of test stand ${request.params.stand}`);
        if (request.query.format === 'csv') {
          if (m.data === null || typeof m.data !== 'object')
            throw badParameter(
              'format',
              `message ${m.id} carries no data package; csv is only for data messages`,
            );
          return (reply as FastifyReply)
            .type('text/csv; charset=utf-8')
            .header('content-disposition', attachment(`${m.stand}-${m.id}.csv`))
            .send(dataPackageCsv(m.data as Record<string, unknown[]>));
        }
        return messageJson(m);
      },
    );
  };
}
