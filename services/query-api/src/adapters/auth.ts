import { findApiKeyByPrefix, requireScope, type Scope } from '@ep/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { touchKey } from '../db/keys.js';
import type { Database } from '@ep/schema';
import { notFound } from '../domain/errors.js';

const TOUCH_EVERY_MS = 60_000;
const touched = new Map<number, number>();

/**
 * preHandler: `Authorization: Bearer <key>` with `scope` (admin implies all). Keys are read from
 * the primary database so a revocation takes effect on the next request. last_used_at is updated
 * in the background, at most once a minute per key; a failed update is logged, never fatal.
 */
export function authenticate(db: Kysely<Database>, scope: Scope) {
  const check = requireScope((prefix) => findApiKeyByPrefix(db, prefix), scope);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await check(request, reply);
    const keyId = request.principal!.keyId;
    // This process skips the write (and its round trip) for a key it touched within the minute.
    const now = Date.now();
    if ((touched.get(keyId) ?? 0) > now - TOUCH_EVERY_MS) return;
    if (touched.size > 10_000) touched.clear();
    touched.set(keyId, now);
    touchKey(db, keyId).catch((err: unknown) =>
      request.log.warn({ err, keyId }, 'could not record API key use'),
    );
  };
}

/** The site a key is bound to, or null for a key that sees every site. */
export function onlySite(request: FastifyRequest): string | null {
  return request.principal?.site ?? null;
}

/**
 * The site a list request is confined to (the key's bound site, or null for any), refusing a
 * `site` filter that names another site with the same 404 an unknown site gets.
 */
export function boundSiteFilter(request: FastifyRequest, site: string | undefined): string | null {
  const bound = onlySite(request);
  if (site !== undefined && bound !== null && site !== bound) throw notFound(`site ${site}`);
  return bound;
}
