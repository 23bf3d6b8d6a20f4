import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiKeyMatches, apiKeyPrefix, hasScope, type Scope } from './keys.js';

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

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export class AuthError extends Error {
  constructor(
    readonly statusCode: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export type FindApiKey = (prefix: string) => Promise<StoredApiKey | undefined>;

/** Authenticates `Authorization: Bearer <key>`; throws AuthError(401) saying what is wrong. */
export async function authenticate(header: string | undefined, findKey: FindApiKey): Promise<Principal> {
  if (!header)
    throw new AuthError(401, 'missing Authorization header; send "Authorization: Bearer <api key>"');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AuthError(401, 'Authorization header must be "Bearer <api key>"');
  const secret = match[1]!;
  const prefix = apiKeyPrefix(secret);
  const stored = prefix ? await findKey(prefix) : undefined;
  if (!stored || !apiKeyMatches(secret, stored.hash)) throw new AuthError(401, 'unknown API key');
  if (stored.revokedAt) throw new AuthError(401, 'API key has been revoked');
  return { keyId: stored.id, name: stored.name, scopes: stored.scopes, site: stored.site };
}

/** Throws AuthError(403) unless the principal holds `scope` (and, when given, may see `site`). */
export function authorize(principal: Principal, scope: Scope, site?: string): void {
  if (!hasScope(principal.scopes, scope)) {
    throw new AuthError(403, `API key "${principal.name}" lacks scope ${scope}`);
  }
  if (site !== undefined && principal.site !== null && principal.site !== site) {
    throw new AuthError(403, `API key "${principal.name}" is bound to site ${principal.site}, not ${site}`);
  }
}

/**
 * A fastify preHandler that authenticates and checks one scope, leaving `request.principal` set.
 * Site restrictions depend on the route's parameters, so routes call authorize() for those.
 */
export function requireScope(findKey: FindApiKey, scope: Scope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await authenticate(request.headers.authorization, findKey);
    authorize(principal, scope);
    request.principal = principal;
  };
}
