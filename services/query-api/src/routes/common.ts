import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { z } from 'zod';
import { findPoints, type PointRow } from '../db/catalog.js';
import type { Database } from '@ep/schema';
import { badParameter, notFound } from '../domain/errors.js';

// What several route files share: their dependencies, id parameters, site visibility.

export interface RouteDeps {
  /** Reads (a replica in production). */
  db: Kysely<Database>;
  /** The primary: API keys are looked up, touched, created and revoked there; sites are written there. */
  keysDb: Kysely<Database>;
  /** Raw pool for COPY … TO STDOUT streams (kysely has no COPY). */
  copyPool: pg.Pool;
}

export const idParam = (what: string) =>
  z.coerce.number().int().min(1).max(2_147_483_647).describe(`${what} id`);

/** A timestamptz as PostgreSQL prints it (keyset cursors keep its microseconds). */
export const PG_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** Most points /series and /latest take at once. */
export const MAX_SERIES_POINTS = 200;

export function parseIds(value: string, parameter: string, max: number): number[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw badParameter(parameter, 'give at least one point id, e.g. 1,2,3');
  if (parts.length > max) throw badParameter(parameter, `at most ${max} point ids, got ${parts.length}`);
  const bad = parts.filter((p) => !/^\d{1,10}$/.test(p) || Number(p) < 1 || Number(p) > 2_147_483_647);
  if (bad.length > 0)
    throw badParameter(
      parameter,
      `not point ids: ${bad.join(', ')}; give positive integers separated by commas`,
    );
  return [...new Set(parts.map(Number))];
}

/**
 * Sends a large body as JSON text directly: the zod serializer would first validate every
 * bucket again. `satisfies` at the call sites keeps the body to the response schema.
 */
export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Every id must exist and be visible, else 404 naming the missing ones (visibility is not leaked). */
export async function requirePoints(
  db: Kysely<Database>,
  ids: number[],
  site: string | null,
): Promise<PointRow[]> {
  const found = await findPoints(db, ids, site);
  if (found.length !== ids.length) {
    const have = new Set(found.map((p) => p.id));
    throw notFound(`point ${ids.filter((id) => !have.has(id)).join(', ')}`);
  }
  return found;
}

/**
 * The site a key is bound to, or null for a key that sees every site. A key bound to a site gets
 * 404 for anything of another site — the same answer as for an id that does not exist, so a
 * bound key cannot probe for other sites.
 */
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
