import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { authorize, authPlugin, principalOf, type FindApiKey } from '@ep/auth';
import { errorResponseSchema, HttpError, type HttpServer } from '@ep/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { UPLOAD_STATUSES } from '@ep/schema';
import { spool, TooLargeError, type SpooledFile } from './adapters/spool.js';
import type { IngestTables } from './db/tables.js';
import { findSite } from './db/uploads.repo.js';
import { FORMATS, type UploadKind } from './domain/model.js';
import type { UploadIngester } from './use-cases/ports.js';

export interface AppOptions {
  /** The ingest use case, wrapped in its metrics and tracing. */
  ingester: UploadIngester;
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
  status: z.enum(UPLOAD_STATUSES).describe('received → parsing → publishing → published → stored, or failed'),
  points: z.number().int(),
  samples: z.number().int(),
  samplesStored: z.number().int().describe('samples the store has committed so far'),
  rejected: z.number().int().describe('rows or values refused (all counted; the first 100 listed in errors)'),
  errors: z.array(issue),
  receivedAt: z.string(),
  href: z
    .string()
    .describe('where query-api serves this upload and the store’s progress on it (also the Location header)'),
  duplicate: z
    .boolean()
    .optional()
    .describe('true when this exact file was uploaded before: nothing was ingested again'),
});

/** The one multipart field read (the legacy Windows script's). */
const FILE_FIELD = 'file';

const RAW_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/octet-stream'];

/**
 * The HTTP API of upload-ingest, as a plugin on the server createHttpServer built (which also
 * serves /healthz, /readyz, /metrics and /docs).
 */
export async function uploadIngestApp(app: HttpServer, options: AppOptions): Promise<void> {
  const { db, findKey } = options;
  // busboy cuts a file one byte past the limit, so the spool's own check sees it and says 413.
  await app.register(multipart, { limits: { fileSize: options.maxBytes + 1, files: 1, fields: 10 } });
  // The one auth hook (libs/auth): each route declares its scope in config.access; a caller
  // without a valid key is refused before its body is read.
  await app.register(authPlugin, { findKey });
  // A raw body is handed on as the request stream, never buffered: the spool reads it.
  app.addContentTypeParser(RAW_TYPES, (_request, payload, done) => done(null, payload));

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
      // One name, as the legacy script sends it and the README documents it: a file under
      // another name is more likely a client's mistake than a file meant for us.
      if (part.fieldname !== FILE_FIELD) {
        throw new HttpError(
          400,
          `multipart field "${part.fieldname}" is not read; send the file in the field "${FILE_FIELD}"`,
          [{ field: `body.${part.fieldname}`, message: `send the file in the field "${FILE_FIELD}"` }],
        );
      }
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
    bodyRead.add(request);
    return { file, filename };
  }

  // Until the body is read, any answer closes the connection: the client may still be sending
  // (100 MB after a 401 or 413), and a kept-alive socket would read that as the next request.
  // As a hook, so it holds for answers given before the handler runs (the auth hook's too).
  const bodyRead = new WeakSet<FastifyRequest>();
  const closeUnlessRead = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!bodyRead.has(request)) reply.header('connection', 'close');
  };

  for (const kind of Object.keys(FORMATS) as UploadKind[]) {
    app.post(
      `/upload/${kind}`,
      {
        config: { access: `upload:${kind}` },
        schema: {
          tags: ['uploads'],
          summary: `Upload a ${kind === 'siemens' ? 'Siemens Insight' : 'Automated Logic (WebCTRL)'} CSV file`,
          description:
            `Multipart form field \`file\` (as the legacy Windows script sends) or a raw \`text/csv\` body ` +
            `(\`?filename=\` names it). Accepted formats, recognised by content: ${FORMATS[kind].join(', ')}. ` +
            `The answer comes once every batch is in JetStream; the store's progress shows at query-api's GET /api/v1/uploads/{id} (the \`Location\` header and \`href\`). ` +
            `The same file again (same site, same bytes) is answered 200 with the first upload's report and duplicate: true.`,
          operationId: kind === 'siemens' ? 'uploadSiemens' : 'uploadAlc',
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
            500: errorResponseSchema,
          },
        },
        onSend: closeUnlessRead,
      },
      async (request, reply) => {
        // The auth hook checked the key and its scope; a key bound to a site may upload only there.
        const principal = principalOf(request);
        authorize(principal, `upload:${kind}`, request.query.site);
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
        try {
          const { report: body, created } = await options.ingester.ingest({
            kind,
            site,
            file,
            filename,
            uploader: principal.name,
            headers: request.headers,
          });
          return reply
            .code(created ? 202 : 200)
            .header('location', body.href)
            .send(body);
        } finally {
          await file.remove();
        }
      },
    );
  }
}
