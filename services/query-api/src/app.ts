import { createHttpServer, type HttpServer } from '@ep/http';
import type { Logger } from '@ep/logger';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pingDb } from '@ep/db';
import { adminRoutes } from './adapters/admin-routes.js';
import { legacyRoutes } from './adapters/legacy-routes.js';
import { readRoutes, type ReadDeps } from './adapters/read-routes.js';
import { authenticate } from './adapters/auth.js';
import { teststandCommandRoutes, type RequestCommand } from './routes/teststand-commands.js';
import { teststandExportRoutes } from './routes/teststand-exports.js';

export interface AppDeps extends ReadDeps {
  /** Test-stand commands; without it the command routes are not served. */
  teststandCommands?: { requestCommand: RequestCommand; replyWindowMs: number };
}

/** The query API as a fastify plugin: /api/v1 (scope read), /api/v1/admin (scope admin), legacy. */
export function queryApi(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    // Sibling plugins, each encapsulating its own auth hook.
    await app.register(readRoutes(deps), { prefix: '/api/v1' });
    await app.register(adminRoutes(deps.keysDb), { prefix: '/api/v1/admin' });
    await app.register(legacyRoutes(deps));
    await app.register(teststandExportRoutes({ db: deps.db, authorize: authenticate(deps.keysDb, 'read') }), {
      prefix: '/api/v1',
    });
    if (deps.teststandCommands)
      await app.register(
        teststandCommandRoutes({
          db: deps.keysDb,
          ...deps.teststandCommands,
          authorize: authenticate(deps.keysDb, 'teststand:command'),
        }),
        { prefix: '/api/v1' },
      );
  };
}

const DESCRIPTION = `Read API of EP: sites, points, raw samples, aggregates, uploads, test stands.

Every /api/v1 route needs \`Authorization: Bearer <api key>\`: scope \`read\` for reads, \`admin\` for /api/v1/admin.
A key bound to a site sees only that site; anything else answers 404, as if it did not exist.`;

/** The HTTP server with the API, docs and ops routes; never listens (see main.ts). */
export async function buildServer(deps: AppDeps, logger: Logger): Promise<HttpServer> {
  const app = await createHttpServer({
    logger,
    name: 'query-api',
    docs: { title: 'EP query API', description: DESCRIPTION },
    ops: {
      checks: [
        { name: 'database', check: () => pingDb(deps.db) },
        { name: 'database (keys)', check: () => pingDb(deps.keysDb) },
      ],
    },
  });
  await app.register(queryApi(deps));
  return app;
}
