import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { bucketCsv, bucketXlsx } from '../domain/bucket-table.js';
import { attachment } from '../domain/csv.js';
import { badParameter } from '../domain/errors.js';
import { XLSX_TYPE } from '../domain/table-workbook.js';
import {
  answerZone,
  buckets,
  formatInstant,
  parseFns,
  parseRange,
  parseRequestedZone,
  parseTimeZone,
} from '../domain/time.js';
import { aggregatePoints } from '../use-cases/aggregate-points.js';
import { MAX_SERIES_POINTS, onlySite, parseIds, requirePoints, sendJson, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/** GET /series: several points side by side, as JSON, CSV or xlsx (scope read). */
export function seriesRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/series',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSeries',
          tags: ['aggregates'],
          summary: 'Several points side by side: one row per bucket, one column per point',
          querystring: s.seriesQuery,
          produces: ['application/json', 'text/csv', XLSX_TYPE],
          response: {
            200: s.seriesResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const ids = parseIds(q.points, 'points', MAX_SERIES_POINTS);
        const fns = parseFns(q.fn);
        if (fns.length > 1)
          throw badParameter('fn', 'one function per series request (one column per point)');
        const fn = fns[0]!;
        const requested = parseRequestedZone(q.tz);
        const points = await requirePoints(db, ids, onlySite(request));
        const siteTz = parseTimeZone(points[0]!.site_timezone, 'site timezone');
        const range = parseRange(q.from, q.to, siteTz);
        const tz = answerZone(requested, siteTz, 'site');
        const list = buckets(range, q.interval, tz);
        const results = await aggregatePoints(db, points, list, q.interval, tz, fns);
        const columns = points.map((p) => ({ point: p.id, name: p.name, unit: p.unit }));
        const values = (i: number) => points.map((p) => results.get(p.id)!.buckets[i]!.values[fn] ?? null);
        if (q.format !== 'json') {
          const table = {
            time: q.format === 'csv' && tz === 'UTC' ? 'ts' : 'time',
            columns: points.map((p) => `${p.name} (${p.id})`),
            rows: list.map((b, i) => ({ start: b.start, values: values(i) })),
          };
          return (reply as FastifyReply)
            .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE)
            .header(
              'content-disposition',
              attachment(`series-${fn}-${q.interval}-${formatInstant(list[0]!.start, tz)}.${q.format}`),
            )
            .send(q.format === 'csv' ? bucketCsv(table, tz) : bucketXlsx(table, tz, 'series'));
        }
        return sendJson(reply as FastifyReply, {
          interval: q.interval,
          tz,
          fn,
          columns,
          rows: list.map((b, i) => ({ ts: formatInstant(b.start, tz), values: values(i) })),
        } satisfies z.infer<typeof s.seriesResponse>);
      },
    );
  };
}
