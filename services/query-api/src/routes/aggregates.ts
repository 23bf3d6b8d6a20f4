import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { bucketCsv, bucketXlsx } from '../domain/bucket-table.js';
import { attachment } from '../domain/csv.js';
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
import { idParam, onlySite, requirePoints, sendJson, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/** GET /points/{id}/aggregate: buckets on a local calendar, as JSON, CSV or xlsx (scope read). */
export function aggregateRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/points/:id/aggregate',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAggregate',
          tags: ['aggregates'],
          summary:
            'Aggregates per bucket on the local calendar of tz, from rollups whenever they answer exactly',
          params: z.object({ id: idParam('point') }),
          querystring: s.aggregateQuery,
          produces: ['application/json', 'text/csv', XLSX_TYPE],
          response: {
            200: s.aggregateResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const fns = parseFns(q.fn);
        const requested = parseRequestedZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        const siteTz = parseTimeZone(p!.site_timezone, 'site timezone');
        const range = parseRange(q.from, q.to, siteTz);
        const tz = answerZone(requested, siteTz, 'site');
        const list = buckets(range, q.interval, tz);
        const result = (await aggregatePoints(db, [p!], list, q.interval, tz, fns)).get(p!.id)!;
        if (q.format !== 'json') {
          const shown = fns.filter((f) => f !== 'count');
          const table = {
            time: 'start',
            columns: ['count', 'coverage', ...shown],
            rows: result.buckets.map((b) => ({
              start: b.start,
              values: [b.count, b.coverage, ...shown.map((f) => b.values[f] ?? null)],
            })),
          };
          const name = `point-${p!.id}-${q.interval}-${formatInstant(list[0]!.start, tz)}.${q.format}`;
          return (reply as FastifyReply)
            .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE)
            .header('content-disposition', attachment(name))
            .send(q.format === 'csv' ? bucketCsv(table, tz) : bucketXlsx(table, tz, 'aggregate'));
        }
        let previousEnd = '';
        return sendJson(reply as FastifyReply, {
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
  };
}
