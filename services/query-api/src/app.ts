import { authPlugin, findApiKeyByPrefix, touchApiKey, type Principal } from '@ep/auth';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminKeyRoutes } from './routes/admin/keys.js';
import { adminSiteRoutes } from './routes/admin/sites.js';
import { aggregateRoutes } from './routes/aggregates.js';
import type { RouteDeps } from './routes/common.js';
import { gatewayRoutes, type SetpointControl } from './routes/gateways.js';
import { legacyRoutes } from './routes/legacy.js';
import { pointEditRoutes, pointMetadataRoutes } from './routes/point-edits.js';
import { pointRoutes } from './routes/points.js';
import { sampleRoutes } from './routes/samples.js';
import { seriesRoutes } from './routes/series.js';
import { siteRoutes } from './routes/sites.js';
import { teststandRoutes } from './routes/teststands.js';
import { treeRoutes } from './routes/tree.js';
import { uploadRoutes } from './routes/uploads.js';
import { teststandCommandRoutes, type RequestCommand } from './routes/teststand-commands.js';
import { teststandExportRoutes } from './routes/teststand-exports.js';

export interface AppDeps extends RouteDeps {
  /** Set-point writes (NATS requests to gateway-poller); without it those writes answer 503. */
  control?: SetpointControl;
  /** Test-stand commands (NATS requests to the teststand-handler); without it those routes are not served. */
  teststandCommands?: { requestCommand: RequestCommand; replyWindowMs: number };
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Records a key's use (last_used_at) in the background, at most once a minute per key and
 * process; a failed update is logged, never fatal.
 */
function keyToucher(deps: AppDeps) {
  const touched = new Map<number, number>();
  return (principal: Principal, request: FastifyRequest) => {
    const now = Date.now();
    if ((touched.get(principal.keyId) ?? 0) > now - TOUCH_EVERY_MS) return;
    if (touched.size > 10_000) touched.clear();
    touched.set(principal.keyId, now);
    touchApiKey(deps.keysDb, principal.keyId).catch((err: unknown) =>
      request.log.warn({ err, keyId: principal.keyId }, 'could not record API key use'),
    );
  };
}

/**
 * The query API as a fastify plugin: one file per resource under routes/, each route declaring
 * the scope it needs; one auth hook checks it. Keys are read from the primary database so a
 * revocation takes effect on the next request.
 */
export function queryApi(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(authPlugin, {
      findKey: (prefix) => findApiKeyByPrefix(deps.keysDb, prefix),
      onAuthenticated: keyToucher(deps),
    });
    const v1 = { prefix: '/api/v1' };
    await app.register(siteRoutes(deps), v1);
    await app.register(treeRoutes(deps), v1);
    await app.register(pointRoutes(deps), v1);
    await app.register(sampleRoutes(deps), v1);
    await app.register(aggregateRoutes(deps), v1);
    await app.register(seriesRoutes(deps), v1);
    await app.register(uploadRoutes(deps), v1);
    await app.register(teststandRoutes(deps), v1);
    await app.register(gatewayRoutes(deps), v1);
    await app.register(teststandExportRoutes(deps), v1);
    if (deps.teststandCommands)
      await app.register(teststandCommandRoutes({ db: deps.keysDb, ...deps.teststandCommands }), v1);
    await app.register(adminKeyRoutes(deps), { prefix: '/api/v1/admin' });
    await app.register(adminSiteRoutes(deps), { prefix: '/api/v1/admin' });
    await app.register(pointEditRoutes(deps), v1);
    await app.register(pointMetadataRoutes(deps), { prefix: '/api/v1/admin' });
    await app.register(legacyRoutes(deps));
  };
}
