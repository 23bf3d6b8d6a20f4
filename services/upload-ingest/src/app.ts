import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { authenticate, authorize, type FindApiKey, type Principal, type Scope } from '@ep/auth';
import { errorResponseSchema, HttpError, type HttpServer } from '@ep/http';
import { nextHopTraceHeaders, withSpan } from '@ep/telemetry';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { ingestUpload, toReport, UploadRefused, type IngestDeps } from './adapters/ingest.js';
import { spool, TooLargeError, type SpooledFile } from './adapters/spool.js';
import type { IngestTables } from './db/tables.js';
import { findSite, findUpload, listUploads } from './db/uploads.repo.js';
import { FORMATS, type UploadKind } from './domain/model.js';

export interface AppOptions {
  ingest: IngestDeps;
  db: Kysely<IngestTables>;
  findKey: FindApiKey;
  /** UPLOAD_MAX_BYTES. */
  maxBytes: number;
  /** UPLOAD_TMP_DIR. */
  tmpDir?: string;
}

const issue = z.object({
  line: z.number().int().describe('1-based line of the file (0: the file as a whole)'),
  column: z.number().int().nullable().describe('1-based field of the line, when one field is at fault'),
  reason: z.string(),
});

const report = z.object({
  uploadId: z.string(),
  format: z
    .string()
    .nullable()
    .describe(`detected format: ${[...FORMATS.siemens, ...FORMATS.alc].join(', ')}`),
  site: z.string(),
  filename: z.string().nullable(),
  status: z.string().describe('received → parsing → publishing → published → stored, or failed'),
  points: z.number().int(),
  samples: z.number().int(),
  samplesStored: z.number().int().describe('samples the store has committed so far'),
  rejected: z.number().int().describe('rows or values refused (all counted; the first 100 listed in errors)'),
  errors: z.array(issue),
  receivedAt: z.string(),
  duplicate: z
    .boolean()
    .optional()
    .describe('true when this exact file was uploaded before: nothing was ingested again'),
});

const RAW_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'];

/**
 * The HTTP API of upload-ingest, as a plugin on the server createHttpServer built (which also
 * serves /healthz, /readyz, /metrics and /docs).
 */
export async function uploadIngestApp(app: HttpServer, options: AppOptions): Promise<void> {
  const { db, findKey } = options;
  // busboy cuts a file one byte past the limit, so the spool's own check sees it and says 413.
  await app.register(multipart, { limits: { fileSize: options.maxBytes + 1, files: 1, fields: 10 } });
  // A raw body is handed on as the request stream, never buffered: the spool reads it.
  app.addContentTypeParser(RAW_TYPES, (_request, payload, done) => done(null, payload));

  async function principalFor(request: FastifyRequest, scope: Scope, site?: string): Promise<Principal> {
    const principal = await authenticate(request.headers.authorization, findKey);
    authorize(principal, scope, site);
    return principal;
  }

  async function receive(request: FastifyRequest): Promise<{ file: SpooledFile; filename: string | null }> {
    const length = Number(request.headers['content-length'] ?? NaN);
    if (Number.isFinite(length) && length > options.maxBytes + 64 * 1024) {
      // Refused before reading a byte: the declared length alone is over the limit.
      throw new HttpError(
        413,
        `upload of ${length} bytes is over the limit of ${options.maxBytes} bytes (UPLOAD_MAX_BYTES)`,
      );
    }
    let stream: Readable;
    let filename: string | null = null;
    let truncated = () => false;
    if (request.isMultipart()) {
      const part = await request.file();
      if (!part)
        throw new HttpError(400, 'multipart body has no file part; send the file in the field "file"');
      stream = part.file;
      filename = part.filename || null;
      truncated = () => part.file.truncated;
    } else if (request.body && typeof (request.body as Readable).pipe === 'function') {
      stream = request.body as Readable;
      const q = (request.query as { filename?: string }).filename;
      filename = q ?? null;
    } else if (request.body === undefined || request.body === null) {
      throw new HttpError(
        400,
        'empty body: send the file as multipart/form-data (field "file") or as a text/csv body',
      );
    } else {
      throw new HttpError(
        415,
        `send the file as multipart/form-data (field "file") or with Content-Type text/csv, not ${request.headers['content-type'] ?? 'no content type'}`,
      );
    }
    let file: SpooledFile;
    try {
      file = await spool(stream, { maxBytes: options.maxBytes, dir: options.tmpDir });
    } catch (err) {
      if (err instanceof TooLargeError) {
        throw new HttpError(
          413,
          `file is over the limit of ${options.maxBytes} bytes (UPLOAD_MAX_BYTES); split it or raise the limit`,
        );
      }
      throw err;
    }
    if (truncated() || file.size > options.maxBytes) {
      await file.remove();
      throw new HttpError(
        413,
        `file is over the limit of ${options.maxBytes} bytes (UPLOAD_MAX_BYTES); split it or raise the limit`,
      );
    }
    if (file.size === 0) {
      await file.remove();
      throw new HttpError(400, 'the file is empty (0 bytes)');
    }
    return { file, filename };
  }

  for (const kind of Object.keys(FORMATS) as UploadKind[]) {
    app.post(
      `/upload/${kind}`,
      {
        schema: {
          tags: ['uploads'],
          summary: `Upload a ${kind === 'siemens' ? 'Siemens Insight' : 'Automated Logic (WebCTRL)'} CSV file`,
          description:
            `Multipart form field \`file\` (as the legacy Windows script sends) or a raw \`text/csv\` body ` +
            `(\`?filename=\` names it). Accepted formats, recognised by content: ${FORMATS[kind].join(', ')}. ` +
            `The answer comes once every batch is in JetStream; the store's progress shows at GET /uploads/{id}. ` +
            `The same file again (same site, same bytes) is answered 200 with the first upload's report and duplicate: true.`,
          consumes: ['multipart/form-data', ...RAW_TYPES],
          querystring: z.object({
            site: z.string().optional().describe("site key; defaults to the API key's bound site"),
            filename: z.string().optional().describe('file name for a raw body'),
          }),
          response: {
            200: report.describe('The same file was uploaded before; nothing ingested again'),
            202: report.describe('Parsed and published; the store is writing it'),
            400: errorResponseSchema,
            401: errorResponseSchema,
            403: errorResponseSchema,
            404: errorResponseSchema,
            409: errorResponseSchema,
            413: errorResponseSchema,
            415: errorResponseSchema,
            422: errorResponseSchema,
          },
        },
      },
      async (request, reply) => {
        // Until the body is read, any answer closes the connection: the client may still be
        // sending (100 MB after a 401 or 413), and a kept-alive socket would read that as the
        // next request.
        reply.header('connection', 'close');
        const principal = await principalFor(request, `upload:${kind}`, request.query.site);
        const siteKey = request.query.site ?? principal.site;
        if (!siteKey) {
          throw new HttpError(400, 'no site: add ?site=<site key>, or use an API key bound to a site');
        }
        const site = await findSite(db, siteKey);
        if (!site) {
          throw new HttpError(
            404,
            `site "${siteKey}" does not exist; add it with: pnpm ep sites add ${siteKey} --tz <IANA zone, e.g. America/Chicago>`,
          );
        }
        const { file, filename } = await receive(request);
        reply.removeHeader('connection');
        const outcome = (label: string) => options.ingest.metrics.requests.inc({ kind, outcome: label });
        try {
          // One span per upload, continuing the sender's trace if it sent one; every batch
          // carries it on to the store and the notifier (ARCHITECTURE: HTTP → AMQP, one trace).
          const { report: body, created } = await withSpan(`upload ${kind}`, request.headers, () =>
            ingestUpload(options.ingest, {
              kind,
              site,
              file,
              filename,
              uploader: principal.name,
              trace: nextHopTraceHeaders(request.headers),
            }),
          );
          if (!created && body.status === 'failed') {
            throw new UploadRefused(
              422,
              `this file was uploaded before (upload ${body.uploadId}) and had no usable data`,
              body.errors,
              body.uploadId,
            );
          }
          outcome(created ? 'accepted' : 'duplicate');
          return reply.code(created ? 202 : 200).send(body);
        } catch (err) {
          if (err instanceof UploadRefused) {
            outcome(err.statusCode === 409 ? 'busy' : 'rejected');
            throw new HttpError(
              err.statusCode,
              err.uploadId ? `${err.message} (upload ${err.uploadId})` : err.message,
              err.issues.map((i) => ({
                line: i.line,
                ...(i.column !== null ? { field: `column ${i.column}` } : {}),
                message: i.reason,
              })),
            );
          }
          throw err;
        } finally {
          await file.remove();
        }
      },
    );
  }

  app.get(
    '/uploads/:id',
    {
      schema: {
        tags: ['uploads'],
        summary: 'One upload: status and progress',
        params: z.object({ id: z.string() }),
        response: {
          200: report.extend({
            progress: z.object({
              samplesStored: z.number().int(),
              samples: z.number().int(),
              fraction: z
                .number()
                .describe('samplesStored / samples (1 for a file without samples once stored)'),
            }),
          }),
          401: errorResponseSchema,
          403: errorResponseSchema,
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const principal = await principalFor(request, 'read');
      const row = await findUpload(db, request.params.id);
      // A key bound to another site learns nothing, not even that the id exists.
      if (!row || (principal.site !== null && principal.site !== row.site)) {
        throw new HttpError(404, `no upload ${request.params.id}`);
      }
      const r = toReport(row);
      const fraction = r.samples > 0 ? r.samplesStored / r.samples : r.status === 'stored' ? 1 : 0;
      return { ...r, progress: { samplesStored: r.samplesStored, samples: r.samples, fraction } };
    },
  );

  app.get(
    '/uploads',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Uploads, newest first',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          site: z.string().optional(),
          cursor: z.string().optional().describe('`next` of the previous page'),
        }),
        response: {
          200: z.object({ items: z.array(report), next: z.string().nullable() }),
          400: errorResponseSchema,
          401: errorResponseSchema,
          403: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const principal = await principalFor(request, 'read', request.query.site);
      const site = request.query.site ?? principal.site ?? undefined;
      let before: { receivedAt: Date; id: string } | undefined;
      if (request.query.cursor) {
        const [at, id] = Buffer.from(request.query.cursor, 'base64url').toString().split('|');
        const receivedAt = new Date(at ?? '');
        if (!id || Number.isNaN(receivedAt.getTime()))
          throw new HttpError(400, 'cursor is not one this API gave out');
        before = { receivedAt, id };
      }
      const rows = await listUploads(db, { limit: request.query.limit, site, before });
      const last = rows.at(-1);
      const next =
        rows.length === request.query.limit && last
          ? Buffer.from(`${last.received_at.toISOString()}|${last.id}`).toString('base64url')
          : null;
      return { items: rows.map(toReport), next };
    },
  );
}
