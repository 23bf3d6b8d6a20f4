import { HttpError } from '@ep/http/errors';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { apiKeyMatches, apiKeyPrefix, hasScope, SCOPES, type Scope } from './keys.js';

/** What a service knows of a stored key, looked up by prefix. */
export interface StoredApiKey {
  id: number;
  name: string;
  hash: string;
  scopes: string[];
  /** Key of the site the key is bound to, or null for every site. */
  site: string | null;
  revokedAt: Date | null;
}

/** The caller, once authenticated; set on `request.principal`. */
export interface Principal {
  keyId: number;
  name: string;
  scopes: string[];
  site: string | null;
}

/**
 * What a route declares in its `config`: the scope a key needs (any one of a list), or
 * `'public'` for a route anyone may call. Every route registered after the auth plugin must say
 * one or the other, so a forgotten declaration fails at start-up instead of opening a route.
 */
export type RouteAccess = Scope | readonly Scope[] | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export type FindApiKey = (prefix: string) => Promise<StoredApiKey | undefined>;

/** Authenticates `Authorization: Bearer <key>`; throws HttpError(401) saying what is wrong. */
export async function authenticate(header: string | undefined, findKey: FindApiKey): Promise<Principal> {
  if (!header)
    throw new HttpError(401, 'missing Authorization header; send "Authorization: Bearer <api key>"');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new HttpError(401, 'Authorization header must be "Bearer <api key>"');
  const secret = match[1]!;
  const prefix = apiKeyPrefix(secret);
  const stored = prefix ? await findKey(prefix) : undefined;
  if (!stored || !apiKeyMatches(secret, stored.hash)) throw new HttpError(401, 'unknown API key');
  if (stored.revokedAt) throw new HttpError(401, 'API key has been revoked');
  return { keyId: stored.id, name: stored.name, scopes: stored.scopes, site: stored.site };
}

/**
 * Throws HttpError(403) unless the principal holds one of `scopes` (admin implies all) and, when
 * `site` is given, may see that site.
 */
export function authorize(principal: Principal, scopes: Scope | readonly Scope[], site?: string): void {
  const wanted: readonly Scope[] = typeof scopes === 'string' ? [scopes] : scopes;
  if (!wanted.some((scope) => hasScope(principal.scopes, scope))) {
    throw new HttpError(403, `API key "${principal.name}" lacks scope ${wanted.join(' or ')}`);
  }
  if (site !== undefined && principal.site !== null && principal.site !== site) {
    throw new HttpError(403, `API key "${principal.name}" is bound to site ${principal.site}, not ${site}`);
  }
}

/** The principal the auth hook set; for handlers of routes that declared a scope. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal)
    throw new Error(`route ${request.routeOptions.url} declared no scope but reads the principal`);
  return principal;
}

export interface AuthPluginOptions {
  findKey: FindApiKey;
  /** Called after a key passed, e.g. to record its use; must not throw. */
  onAuthenticated?: (principal: Principal, request: FastifyRequest) => void;
}

/** The OpenAPI security scheme every scoped route refers to (declared by libs/http's /docs). */
export const BEARER_SCHEME = 'bearer';

function declaredAccess(route: RouteOptions): RouteAccess | undefined {
  return (route.config as { access?: RouteAccess } | undefined)?.access;
}

/**
 * The one auth hook of an HTTP service. Each route declares `config: { access }`; one
 * hook authenticates `Authorization: Bearer <key>` and checks the scope, leaving
 * `request.principal` set. Site binding depends on a route's parameters, so routes check that
 * (authorize() with the site, or filtering by `principal.site`). Scoped routes are documented
 * with the bearer security scheme, so /docs offers "Authorize".
 *
 * Register it before the routes and after createHttpServer (whose ops and docs routes are public).
 */
async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  app.addHook('onRoute', (route) => {
    const access = declaredAccess(route);
    if (access === undefined) {
      throw new Error(
        `route ${route.method} ${route.url} declares no access: set config.access to a scope (${SCOPES.join(', ')}) or 'public'`,
      );
    }
    // `security: []` says "no key needed" in the document, as opposed to "not documented".
    route.schema = { ...route.schema, security: access === 'public' ? [] : [{ [BEARER_SCHEME]: [] }] };
  });

  // onRequest, not later: a caller without a valid key is refused before its body is read or
  // validated (an upload of 100 MB is not received to answer 401).
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const principal = await authenticate(request.headers.authorization, options.findKey);
    authorize(principal, access);
    request.principal = principal;
    options.onAuthenticated?.(principal, request);
  });
}

export const authPlugin = fp(auth, { name: '@ep/auth', fastify: '5.x' });
