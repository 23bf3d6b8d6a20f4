import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listPoints } from '../db/catalog.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import {
  boundSiteFilter,
  idParam,
  MAX_SERIES_POINTS,
  onlySite,
  parseIds,
  requirePoints,
  type RouteDeps,
} from './common.js';
import { latestJson, pointDetail, pointJson } from './mappers.js';
import * as s from './schemas.js';

/** Points: listing and search, one point, latest values (scope read). */
export function pointRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/points',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPoints',
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
        config: { access: 'read' },
        schema: {
          operationId: 'getPoint',
          tags: ['browse'],
          summary: 'One point: metadata, first/last time, last value',
          params: z.object({ id: idParam('point') }),
          response: { 200: s.pointDetail, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const [p] = await requirePoints(db, [request.params.id], onlySite(request));
        return pointDetail(p!);
      },
    );

    app.get(
      '/points/:id/latest',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getPointLatest',
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
        config: { access: 'read' },
        schema: {
          operationId: 'listLatest',
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
  };
}
