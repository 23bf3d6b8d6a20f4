import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import pg from 'pg';
import { z } from 'zod';
import { samplePageJson, samplesCsv } from '../db/samples.js';
import { attachment } from '../domain/csv.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { parseRange, parseTimeZone } from '../domain/time.js';
import { idParam, onlySite, requirePoints, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/** GET /points/{id}/samples: raw samples as paginated JSON or one streamed CSV (scope read). */
export function sampleRoutes({ db, copyPool }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/points/:id/samples',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSamples',
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
        const tz = q.tz === undefined ? 'UTC' : parseTimeZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        // Validated before anything streams: a refused time is a 400, never a CSV cut short.
        const range = parseRange(q.from, q.to, parseTimeZone(p!.site_timezone, 'site timezone'));
        if (q.format === 'csv') {
          const stream = await samplesCsv(copyPool, pg, p!.id, range, tz);
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
        const page = await samplePageJson(copyPool, pg, p!.id, range, after, q.limit, tz);
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
  };
}
