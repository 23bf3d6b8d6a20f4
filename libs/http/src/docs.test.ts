import { afterEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createHttpServer, errorResponseSchema, type HttpServer } from './index.js';

interface OpenApiOperation {
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

describe('OpenAPI at /docs', () => {
  let app: HttpServer;
  afterEach(async () => {
    await app.close();
  });

  async function server() {
    app = await createHttpServer({
      logger: silentLogger(),
      name: 'query-api',
      version: '1.2.3',
      docs: { title: 'EP query API', description: 'Readings and points' },
    });
    app.get(
      '/api/v1/sites/:site/points',
      {
        schema: {
          tags: ['points'],
          summary: 'Points of a site',
          params: z.object({ site: z.string() }),
          querystring: z.object({ limit: z.coerce.number().int().max(1000).default(100) }),
          response: {
            200: z.object({
              points: z.array(
                z.object({ id: z.number().int(), name: z.string(), unit: z.string().nullable() }),
              ),
            }),
            404: errorResponseSchema,
          },
        },
      },
      async () => ({ points: [{ id: 1, name: 'RECCNTR.AH1.CCV', unit: '%' }] }),
    );
  }

  it('serves an OpenAPI 3 document generated from the zod schemas', async () => {
    await server();
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as OpenApiDocument;
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toEqual({ title: 'EP query API', description: 'Readings and points', version: '1.2.3' });

    const op = doc.paths['/api/v1/sites/{site}/points']?.['get'];
    expect(op?.tags).toEqual(['points']);
    expect(op?.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'site', in: 'path', required: true }),
        expect.objectContaining({ name: 'limit', in: 'query' }),
      ]),
    );
    const ok = op?.responses['200']?.content?.['application/json']?.schema as {
      properties: {
        points: { items: { properties: Record<string, { type?: unknown }>; required: string[] } };
      };
    };
    expect(ok.properties.points.items.properties['name']?.type).toBe('string');
    expect(ok.properties.points.items.required).toEqual(['id', 'name', 'unit']);
    expect(op?.responses['404']?.content?.['application/json']?.schema).toMatchObject({
      properties: { message: { type: 'string' } },
    });

    // Every operation of every path has responses with descriptions (required by OpenAPI 3).
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const [code, response] of Object.entries(operation.responses)) {
          expect({ path, code, description: typeof response.description }).toEqual({
            path,
            code,
            description: 'string',
          });
        }
      }
    }
  });

  it('lists the ops routes under the ops tag and leaves the docs routes out', async () => {
    await server();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect(doc.paths[path]?.['get']?.tags).toEqual(['ops']);
    expect(Object.keys(doc.paths['/readyz']?.['get']?.responses ?? {}).sort()).toEqual(['200', '503']);
    expect(Object.keys(doc.paths['/metrics']?.['get']?.responses['200']?.content ?? {})).toEqual([
      'text/plain',
    ]);
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/docs'))).toEqual([]);
  });

  it('documents routes an app plugin registers, as services do in app.ts', async () => {
    await server();
    await app.register(async (plugin) => {
      plugin.withTypeProvider<ZodTypeProvider>().post(
        '/api/v1/uploads',
        {
          schema: {
            tags: ['uploads'],
            body: z.object({ file: z.string() }),
            response: { 202: z.object({ id: z.string() }) },
          },
        },
        async (_request, reply) => reply.code(202).send({ id: 'u1' }),
      );
    });
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    expect(doc.paths['/api/v1/uploads']?.['post']?.responses['202']).toBeDefined();
  });

  it('describes text answers as text, errors as JSON, and file uploads as multipart with a binary file', async () => {
    await server();
    await app.register(async (plugin) => {
      const api = plugin.withTypeProvider<ZodTypeProvider>();
      api.get(
        '/export',
        {
          schema: {
            tags: ['points'],
            produces: ['application/json', 'text/csv'],
            response: { 200: z.object({ rows: z.array(z.number()) }), 400: errorResponseSchema },
          },
        },
        async () => ({ rows: [] }),
      );
      api.post(
        '/upload',
        { schema: { tags: ['points'], consumes: ['multipart/form-data', 'text/csv'] } },
        async () => ({}),
      );
    });
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const answers = doc.paths['/export'].get.responses;
    expect(answers['200'].content['application/json'].schema.properties.rows.type).toBe('array');
    expect(answers['200'].content['text/csv'].schema.type).toBe('string');
    expect(Object.keys(answers['400'].content)).toEqual(['application/json']);
    const body = doc.paths['/upload'].post.requestBody.content;
    expect(body['multipart/form-data'].schema).toMatchObject({
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });
    expect(body['text/csv'].schema.type).toBe('string');
    // Nullable fields are OpenAPI 3.1 type lists, never a bare `nullable`.
    const point =
      doc.paths['/api/v1/sites/{site}/points'].get.responses['200'].content['application/json'].schema;
    expect(point.properties.points.items.properties.unit.type).toEqual(['string', 'null']);
  });

  it('serves the Swagger UI page', async () => {
    await server();
    const res = await app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('serves no docs when a service asks for none', async () => {
    app = await createHttpServer({ logger: silentLogger(), name: 'notifier', docs: false });
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
