import { hasScope, type Principal } from '@ep/auth';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findUpload, listUploads, type UploadVisibility } from '../db/records.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { badParameter, notFound } from '../domain/errors.js';
import { boundSiteFilter, onlySite, PG_TIME, type RouteDeps } from './common.js';
import { uploadJson } from './mappers.js';
import * as s from './schemas.js';

const UPLOAD_KINDS = ['siemens', 'alc'] as const;

/**
 * A key with scope read sees every upload of its sites; a key that may only upload (the Windows
 * scheduler's) sees the reports of its own uploads, which it is pointed at by the 202 answer.
 */
function visibility(request: FastifyRequest, site: string | null): UploadVisibility {
  const principal = request.principal as Principal;
  if (hasScope(principal.scopes, 'read')) return { site };
  const kinds = UPLOAD_KINDS.filter((kind) => hasScope(principal.scopes, `upload:${kind}`));
  return { site, own: { uploader: principal.name, kinds } };
}

// Read or upload: the hook lets either in, visibility() narrows what an uploader sees.
const access = ['read', 'upload:siemens', 'upload:alc'] as const;

/**
 * GET /uploads, /uploads/{id}: the one read side of uploads (upload-ingest's POST answers point
 * here), one cursor and one status vocabulary.
 */
export function uploadRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/uploads',
      {
        config: { access },
        schema: {
          operationId: 'listUploads',
          tags: ['uploads'],
          summary: 'Uploads, newest first (a key that may only upload sees its own)',
          querystring: z.object({
            site: z.string().optional(),
            status: z
              .enum(s.UPLOAD_STATUSES)
              .optional()
              .describe(`one of ${s.UPLOAD_STATUSES.join(', ')}`),
            kind: z.enum(UPLOAD_KINDS).optional().describe('siemens or alc'),
            cursor: s.cursorParam,
            limit: s.limitParam(100, 1000),
          }),
          response: {
            200: s.page(s.upload, 'UploadPage'),
            ...s.errors,
          },
        },
      },
      async (request) => {
        const { cursor, limit, ...filter } = request.query;
        const visible = visibility(request, boundSiteFilter(request, filter.site));
        const after = cursor ? decodeCursor(cursor, { t: 'string', id: 'string' }) : undefined;
        if (after && !PG_TIME.test(after.t))
          throw badParameter('cursor', 'not a cursor this listing returned');
        const rows = await listUploads(
          db,
          filter,
          visible,
          after && { receivedAt: after.t, id: after.id },
          limit,
        );
        const items = rows.slice(0, limit);
        const last = items[items.length - 1];
        // Microsecond precision matters for the keyset: received_at is kept as PostgreSQL wrote it.
        return {
          items: items.map(uploadJson),
          nextCursor:
            rows.length > limit && last ? encodeCursor({ t: last.received_at_text, id: last.id }) : null,
        };
      },
    );

    app.get(
      '/uploads/:id',
      {
        config: { access },
        schema: {
          operationId: 'getUpload',
          tags: ['uploads'],
          summary: 'One upload: status, counts, errors',
          params: z.object({ id: z.string() }),
          response: { 200: s.upload, 401: s.errors[401], 403: s.errors[403], 404: s.errors[404] },
        },
      },
      async (request) => {
        const found = await findUpload(db, request.params.id, visibility(request, onlySite(request)));
        if (!found) throw notFound(`upload ${request.params.id}`);
        return uploadJson(found);
      },
    );
  };
}
