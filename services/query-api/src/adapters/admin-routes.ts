import { generateApiKey, parseScopes } from '@ep/auth';
import { errorResponseSchema } from '@ep/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findSite, listSites, siteHasPoints, upsertSite } from '../db/catalog.js';
import { insertKey, listKeys, revokeKey } from '../db/keys.js';
import type { Database } from '@ep/schema';
import { ApiError, badParameter, notFound } from '../domain/errors.js';
import { parseTimeZone } from '../domain/time.js';
import { authenticate } from './auth.js';
import { keyJson, siteJson } from './mappers.js';
import * as s from './schemas.js';

const SITE_KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Admin routes (scope `admin`), against the primary database: what `pnpm ep keys|sites` do. */
export function adminRoutes(db: Kysely<Database>): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', authenticate(db, 'admin'));
    const secured = { tags: ['admin'] };
    const denied = { 401: s.errors[401], 403: s.errors[403] };

    app.post(
      '/keys',
      {
        schema: {
          ...secured,
          summary: 'Create an API key; the secret is in this response only (stored hashed)',
          body: z.object({
            name: z.string().min(1).max(200),
            scopes: z
              .union([z.array(z.string()), z.string()])
              .describe(
                'scopes, as an array or comma-separated: read, upload:siemens, upload:alc, teststand:command, admin',
              ),
            site: z.string().optional().describe('bind the key to this site only'),
          }),
          response: {
            201: s.apiKey
              .extend({ secret: z.string().describe('shown once; send as Authorization: Bearer <secret>') })
              .describe('NewApiKey'),
            400: s.errors[400],
            ...denied,
          },
        },
      },
      async (request, reply) => {
        const { name, site } = request.body;
        let scopes: string[];
        try {
          scopes = parseScopes(
            Array.isArray(request.body.scopes) ? request.body.scopes.join(',') : request.body.scopes,
          );
        } catch (err) {
          throw badParameter('scopes', (err as Error).message);
        }
        let siteId: number | null = null;
        if (site !== undefined) {
          const found = await findSite(db, site);
          if (!found)
            throw badParameter(
              'site',
              `unknown site ${site}; create it first with PUT /api/v1/admin/sites/${site}`,
            );
          siteId = found.id;
        }
        const key = generateApiKey();
        const row = await insertKey(db, { name, prefix: key.prefix, hash: key.hash, scopes, siteId });
        request.log.info({ keyId: row.id, keyName: name, scopes, site: site ?? null }, 'API key created');
        return reply.code(201).send({ ...keyJson(row), secret: key.secret });
      },
    );

    app.get(
      '/keys',
      {
        schema: {
          ...secured,
          summary: 'Every API key (never its secret), revoked ones included',
          response: { 200: z.object({ items: z.array(s.apiKey) }), ...denied },
        },
      },
      async () => ({ items: (await listKeys(db)).map(keyJson) }),
    );

    app.delete(
      '/keys/:id',
      {
        schema: {
          ...secured,
          summary: 'Revoke an API key (kept for the record; it stops working at once)',
          params: z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) }),
          response: { 200: s.apiKey, ...denied, 404: s.errors[404] },
        },
      },
      async (request) => {
        const row = await revokeKey(db, request.params.id);
        if (!row) throw notFound(`API key ${request.params.id}`);
        request.log.info({ keyId: row.id }, 'API key revoked');
        return keyJson(row);
      },
    );

    app.get(
      '/sites',
      {
        schema: {
          ...secured,
          summary: 'Every site',
          response: { 200: z.object({ items: z.array(s.site) }), ...denied },
        },
      },
      async () => ({ items: (await listSites(db, null)).map(siteJson) }),
    );

    app.get(
      '/sites/:key',
      {
        schema: {
          ...secured,
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
        schema: {
          ...secured,
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
          throw new ApiError(
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
