import { errorResponseSchema, HttpError } from '@ep/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findSite, listSites, siteHasPoints, upsertSite } from '../../db/catalog.js';
import { badParameter, notFound } from '../../domain/errors.js';
import { parseTimeZone } from '../../domain/time.js';
import type { RouteDeps } from '../common.js';
import { siteJson } from '../mappers.js';
import * as s from '../schemas.js';

const SITE_KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Sites (scope admin), on the primary database: what `pnpm ep sites` does. */
export function adminSiteRoutes({ keysDb: db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const denied = { 401: s.errors[401], 403: s.errors[403] };

    app.get(
      '/sites',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'adminListSites',
          tags: ['admin'],
          summary: 'Every site',
          response: { 200: z.object({ items: z.array(s.site) }), ...denied },
        },
      },
      async () => ({ items: (await listSites(db, null)).map(siteJson) }),
    );

    app.get(
      '/sites/:key',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'adminGetSite',
          tags: ['admin'],
          summary: 'One site',
          params: z.object({ key: z.string() }),
          response: { 200: s.site, ...denied, 404: s.errors[404] },
        },
      },
      async (request) => {
        const found = await findSite(db, request.params.key);
        if (!found) throw notFound(`site ${request.params.key}`);
        return siteJson(found);
      },
    );

    app.put(
      '/sites/:key',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'putSite',
          tags: ['admin'],
          summary: 'Create or update a site (name, IANA time zone)',
          params: z.object({ key: z.string().describe('lowercase letters, digits, - and _; e.g. carleton') }),
          body: z.object({
            name: z.string().min(1).max(200).optional().describe('display name; default the key'),
            timezone: z.string().describe('IANA time zone, e.g. America/Chicago'),
          }),
          response: {
            200: s.site,
            201: s.site,
            400: s.errors[400],
            ...denied,
            409: errorResponseSchema.describe('The change would contradict stored data'),
          },
        },
      },
      async (request, reply) => {
        const key = request.params.key;
        if (!SITE_KEY.test(key))
          throw badParameter(
            'key',
            `"${key}" is not a site key: lowercase letters, digits, - and _, starting with a letter or digit, at most 63`,
          );
        const timezone = parseTimeZone(request.body.timezone, 'timezone');
        const existing = await findSite(db, key);
        // Daily rollups are cut on the site's calendar: re-zoning a site with data would leave
        // them cut on the old one. That needs a rebuild, not an API call.
        if (existing && existing.timezone !== timezone && (await siteHasPoints(db, existing.id))) {
          throw new HttpError(
            409,
            `site ${key} has points stored with days in ${existing.timezone}; its timezone cannot change to ${timezone}`,
          );
        }
        const { site, created } = await upsertSite(db, {
          key,
          name: request.body.name ?? existing?.name ?? key,
          timezone,
        });
        request.log.info({ site: key, timezone, created }, created ? 'site created' : 'site updated');
        return reply.code(created ? 201 : 200).send(siteJson(site));
      },
    );
  };
}
