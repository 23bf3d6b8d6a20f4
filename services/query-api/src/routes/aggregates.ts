import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buckets, formatInstant, parseFns, parseRange, parseTimeZone } from '../domain/time.js';
import { aggregatePoints } from '../use-cases/aggregate-points.js';
import { idParam, onlySite, requirePoints, sendJson, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/** GET /points/{id}/aggregate: buckets on a local calendar (scope read). */
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
          response: {
            200: s.aggregateResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const fns = parseFns(q.fn);
        const tzGiven = q.tz === undefined ? undefined : parseTimeZone(q.tz);
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        const siteTz = parseTimeZone(p!.site_timezone, 'site timezone');
        const range = parseRange(q.from, q.to, siteTz);
        const tz = tzGiven ?? siteTz;
        const list = buckets(range, q.interval, tz);
        const result = (await aggregatePoints(db, [p!], list, q.interval, tz, fns)).get(p!.id)!;
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
