import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findSite, listSites } from '../db/catalog.js';
import { notFound } from '../domain/errors.js';
import { onlySite, type RouteDeps } from './common.js';
import { siteJson } from './mappers.js';
import * as s from './schemas.js';

/** GET /sites, /sites/{site}: the sites a key may see (scope read). */
export function siteRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/sites',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listSites',
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
        config: { access: 'read' },
        schema: {
          operationId: 'getSite',
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
  };
}
