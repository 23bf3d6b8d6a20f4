import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import pg from 'pg';
import { z } from 'zod';
import { devicePoints, findSite } from '../db/catalog.js';
import { deviceCsv } from '../db/samples.js';
import { attachment } from '../domain/csv.js';
import { notFound } from '../domain/errors.js';
import { parseTimeZone } from '../domain/time.js';
import { onlySite, type RouteDeps } from './common.js';
import * as s from './schemas.js';

/**
 * The old platform's `GET /api/data/{site}/device/{deviceId}`: the whole history of one device as
 * CSV, so existing dashboard links keep working (they now need an API key with scope read).
 */
export function legacyRoutes(deps: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/data/:site/device/:deviceId',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'legacyDeviceCsv',
          tags: ['legacy'],
          summary: "A device's whole history as CSV: timestamp, then one column per parameter",
          params: z.object({ site: z.string(), deviceId: z.string() }),
          querystring: z.object({ tz: s.tzParam.describe('IANA zone of the timestamps; default UTC') }),
          produces: ['text/csv'],
          response: {
            200: s.csvResponse,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        const { site, deviceId } = request.params;
        const tz = request.query.tz === undefined ? 'UTC' : parseTimeZone(request.query.tz);
        const bound = onlySite(request);
        const found = bound === null || bound === site ? await findSite(deps.db, site) : undefined;
        if (!found) throw notFound(`site ${site}`);
        const points = await devicePoints(deps.db, site, deviceId);
        if (points.length === 0) throw notFound(`device ${deviceId} of site ${site}`);
        const stream = await deviceCsv(deps.copyPool, pg, points, tz);
        return (reply as FastifyReply)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', attachment(`${site}-${deviceId}.csv`))
          .send(stream);
      },
    );
  };
}
