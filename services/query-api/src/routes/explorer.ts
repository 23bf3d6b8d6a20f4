import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError } from '@ep/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The explorer (libs/explorer, a static single-page app) served at `/`, and the one non-API
// path it needs: `POST /upload/{siemens|alc}` forwarded to upload-ingest, so the page talks to
// one origin. Everything under /api, /docs and the ops routes is untouched.

export interface ExplorerOptions {
  /** The built app (index.html + assets/); EXPLORER_DIR, else found next to this package. */
  dir?: string | undefined;
  /** upload-ingest's base URL (UPLOAD_INGEST_URL); unset: /upload/* answers 503 saying so. */
  uploadUrl?: string | undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

// The app loads only its own files and talks only to this origin.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/**
 * Where the built app is: `<package>/explorer` in the Docker image (the Dockerfile copies
 * libs/explorer/dist/app there), `libs/explorer/dist/app` in the repository.
 */
export function defaultExplorerDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    return [join(dir, 'explorer'), resolve(dir, '../../libs/explorer/dist/app')].find((d) =>
      existsSync(join(d, 'index.html')),
    );
  }
  return undefined;
}

function readApp(dir: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else
        files.set(`/${path}`, {
          body: readFileSync(join(dir, path)),
          type: TYPES[extname(entry.name)] ?? 'application/octet-stream',
        });
    }
  };
  walk('');
  return files;
}

// No key for the app's files (the page asks for one); the upload forward leaves the key check
// to upload-ingest, which knows the upload scopes.
const PUBLIC = { schema: { hide: true }, config: { access: 'public' as const } };

const FORWARDED = [
  'authorization',
  'content-type',
  'content-length',
  'traceparent',
  'tracestate',
  'x-request-id',
];

export async function explorerRoutes(app: FastifyInstance, options: ExplorerOptions): Promise<void> {
  const dir = options.dir ?? defaultExplorerDir();
  // Read once at start: a few files, ~100 kB; a deploy replaces the process anyway.
  const files = dir && existsSync(join(dir, 'index.html')) ? readApp(dir) : null;

  const index = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!files)
      throw new HttpError(
        404,
        'The explorer is not built here: run `pnpm --filter @ep/explorer build`, or set EXPLORER_DIR to its dist/app',
      );
    const file = files.get('/index.html')!;
    return reply
      .type(file.type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  };
  app.get('/', PUBLIC, index);
  app.get('/index.html', PUBLIC, index);
  app.get<{ Params: { '*': string } }>('/assets/*', PUBLIC, async (request, reply) => {
    const file = files?.get(`/assets/${request.params['*']}`);
    if (!file) throw new HttpError(404, `No such file: /assets/${request.params['*']}`);
    // Vite puts a content hash in every asset name: a changed file has a new name.
    return reply
      .type(file.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  });

  // The upload forward lives in its own context: the body must reach upload-ingest as the raw
  // stream it was sent as (multipart or text/csv), never parsed or buffered here.
  await app.register(async (forward) => {
    forward.removeAllContentTypeParsers();
    forward.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    forward.post<{ Params: { kind: string } }>('/upload/:kind', PUBLIC, async (request, reply) => {
      const { kind } = request.params;
      if (kind !== 'siemens' && kind !== 'alc')
        throw new HttpError(404, `No upload endpoint /upload/${kind}; allowed: siemens, alc`);
      if (!options.uploadUrl)
        throw new HttpError(
          503,
          'Uploads are not forwarded by this query-api: set UPLOAD_INGEST_URL, or route /upload/* to upload-ingest',
        );
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      let res: Response;
      try {
        // Node's fetch streams an async-iterable body (the request itself) with duplex 'half'.
        const init = { method: 'POST', headers, body: request.raw, duplex: 'half' };
        res = await fetch(
          `${options.uploadUrl.replace(/\/$/, '')}/upload/${kind}${search}`,
          init as RequestInit,
        );
      } catch (err) {
        request.log.warn({ err }, 'upload-ingest did not answer');
        throw new HttpError(502, 'upload-ingest did not answer; try again later');
      }
      return reply
        .code(res.status)
        .type(res.headers.get('content-type') ?? 'application/json')
        .send(Buffer.from(await res.arrayBuffer()));
    });
  });
}
