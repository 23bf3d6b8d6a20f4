import { generateApiKey, insertApiKey, listApiKeys, parseScopes, revokeApiKey } from '@ep/auth';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findSite } from '../../db/catalog.js';
import { badParameter, notFound } from '../../domain/errors.js';
import type { RouteDeps } from '../common.js';
import { keyJson } from '../mappers.js';
import * as s from '../schemas.js';

/** API keys (scope admin), on the primary database: what `pnpm ep keys` does. */
export function adminKeyRoutes({ keysDb: db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const denied = { 401: s.errors[401], 403: s.errors[403] };

    app.post(
      '/keys',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'createKey',
          tags: ['admin'],
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
        const row = await insertApiKey(db, { name, prefix: key.prefix, hash: key.hash, scopes, siteId });
        // A fresh random prefix taken already: 1 in 10^12, a server-side fault the client may retry.
        if (!row) throw new Error('API key prefix collision');
        request.log.info({ keyId: row.id, keyName: name, scopes, site: site ?? null }, 'API key created');
        return reply.code(201).send({ ...keyJson(row), secret: key.secret });
      },
    );

    app.get(
      '/keys',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'listKeys',
          tags: ['admin'],
          summary: 'Every API key (never its secret), revoked ones included',
          response: { 200: z.object({ items: z.array(s.apiKey) }), ...denied },
        },
      },
      async () => ({ items: (await listApiKeys(db)).map(keyJson) }),
    );

    app.delete(
      '/keys/:id',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'revokeKey',
          tags: ['admin'],
          summary: 'Revoke an API key (kept for the record; it stops working at once)',
          params: z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) }),
          response: { 200: s.apiKey, ...denied, 404: s.errors[404] },
        },
      },
      async (request) => {
        const revoked = await revokeApiKey(db, request.params.id);
        if (!revoked) throw notFound(`API key ${request.params.id}`);
        request.log.info({ keyId: revoked.key.id, again: revoked.wasRevoked }, 'API key revoked');
        return keyJson(revoked.key);
      },
    );
  };
}
