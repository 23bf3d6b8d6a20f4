import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findSite, sitePoints, type PointRow } from '../db/catalog.js';
import { notFound } from '../domain/errors.js';
import { buildTree } from '../domain/tree.js';
import { onlySite, type RouteDeps } from './common.js';
import { formatIso } from './mappers.js';
import * as s from './schemas.js';

const parameter = z
  .object({
    parameter: z.string(),
    point: z.number().int().describe('point id, for /points/{id}/samples and /aggregate'),
    name: z.string(),
    unit: z.string().nullable(),
    kind: z.string().nullable().describe('sampled, counter, state, … as the source says'),
    lastTs: s.isoTime.nullable(),
    lastValue: z.number().nullable(),
    lastQuality: z.number().int().nullable(),
  })
  .describe('TreeParameter');

const tree = z
  .object({
    site: z.string(),
    timezone: z.string(),
    nodes: z.array(
      z.object({
        node: z.string().describe('room, building or controller'),
        devices: z.array(z.object({ device: z.string(), parameters: z.array(parameter) })),
      }),
    ),
  })
  .describe('SiteTree');

const leaf = (p: PointRow): z.infer<typeof parameter> => ({
  parameter: p.parameter,
  point: p.id,
  name: p.name,
  unit: p.unit,
  kind: p.kind,
  lastTs: p.last_ts ? formatIso(p.last_ts) : null,
  lastValue: p.last_value,
  lastQuality: p.last_quality,
});

/** GET /sites/{site}/tree: the site's hierarchy in one answer (scope read). */
export function treeRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/sites/:site/tree',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSiteTree',
          tags: ['browse'],
          summary:
            'The site as a tree: nodes → devices → parameters, with point ids, units, kinds, last values',
          params: z.object({ site: z.string() }),
          response: { 200: tree, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const bound = onlySite(request);
        const site = await findSite(db, request.params.site);
        if (!site || (bound !== null && bound !== site.key)) throw notFound(`site ${request.params.site}`);
        const points = await sitePoints(db, site.key);
        return { site: site.key, timezone: site.timezone, nodes: buildTree(points, leaf) };
      },
    );
  };
}
