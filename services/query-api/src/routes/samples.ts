import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import pg from 'pg';
import { z } from 'zod';
import { samplePageJson, samplesCsv, samplesXlsx } from '../db/samples.js';
import { attachment } from '../domain/csv.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { XLSX_TYPE } from '../domain/table-workbook.js';
import { answerZone, parseRange, parseRequestedZone, parseTimeZone } from '../domain/time.js';
import { idParam, onlySite, requirePoints, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/** GET /points/{id}/samples: raw samples as paginated JSON, or one streamed CSV or xlsx (scope read). */
export function sampleRoutes({ db, copyPool }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/points/:id/samples',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSamples',
          tags: ['samples'],
          summary:
            'Raw samples in [from, to): keyset-paginated JSON, or the whole range as a streamed CSV or xlsx file',
          params: z.object({ id: idParam('point') }),
          querystring: s.samplesQuery,
          produces: ['application/json', 'text/csv', XLSX_TYPE],
          response: {
            200: z
              .object({
                point: z.number().int(),
                tz: z.string(),
                samples: z.array(s.sample),
                nextCursor: z.string().nullable(),
              })
              .describe('SamplePage (or the CSV / xlsx file that format asks for)'),
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const requested = parseRequestedZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        const siteTz = parseTimeZone(p!.site_timezone, 'site timezone');
        const tz = answerZone(requested, siteTz, 'UTC');
        // Validated before anything streams: a refused time is a 400, never a file cut short.
        const range = parseRange(q.from, q.to, siteTz);
        if (q.format !== 'json') {
          const name = `point-${p!.id}-${new Date(range.from).toISOString()}-${new Date(range.to).toISOString()}`;
          const stream =
            q.format === 'csv'
              ? await samplesCsv(copyPool, pg, p!.id, range, tz)
              : await samplesXlsx(copyPool, pg, p!.id, range, tz, p!.unit ? `value (${p!.unit})` : 'value');
          return (reply as FastifyReply)
            .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE)
            .header('content-disposition', attachment(`${name}.${q.format}`))
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
