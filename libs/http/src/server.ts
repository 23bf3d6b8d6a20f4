import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from '@ep/logger';
import fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { errorHandler, notFoundHandler } from './errors.js';
import { opsPlugin, type OpsOptions } from './ops.js';

/** A fastify instance whose route schemas are zod schemas. */
export type HttpServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface HttpServerOptions {
  logger: Logger;
  /** Service name; the OpenAPI title unless `docs.title` says otherwise. */
  name: string;
  /** Service version shown in the OpenAPI document. */
  version?: string;
  /** Largest request body in bytes (fastify's default: 1 MiB). Upload services raise it. */
  bodyLimit?: number;
  /**
   * OpenAPI title, description and tags (each tag a route uses, with a sentence) at /docs;
   * `false` serves no docs (worker services).
   */
  docs?: { title?: string; description?: string; tags?: { name: string; description: string }[] } | false;
  /** Readiness checks and the metrics registry for /readyz and /metrics. */
  ops?: OpsOptions;
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Transformed = ReturnType<typeof jsonSchemaTransform>;

const isJson = (type: string) => /[/+]json\b/.test(type);

/**
 * The zod transform, plus what it cannot say from one zod schema per status:
 * - a route that `produces` text (CSV) or files (xlsx) answers with a string for the text types, a
 *   binary string for the others and its JSON schema for JSON only; its errors are JSON only (the one error handler writes them);
 * - a route that `consumes` files without a body schema (it reads the raw stream, or the
 *   multipart part `file`, itself) gets a request body: multipart with a binary `file`, or the
 *   text as a string — so /docs offers a file picker.
 */
export function openApiTransform(input: TransformInput): Transformed {
  const out = jsonSchemaTransform(input);
  const route = input.schema as { produces?: string[]; consumes?: string[]; body?: unknown } | undefined;
  const schema = out.schema as Record<string, unknown> | undefined;
  if (!route || !schema) return out;
  const produces = route.produces ?? [];
  const response = schema['response'] as Record<string, Record<string, unknown>> | undefined;
  if (response && produces.some((t) => !isJson(t))) {
    for (const [status, answer] of Object.entries(response)) {
      if ('content' in answer) continue;
      const { description, ...json } = answer;
      // Errors are JSON whatever the route produces (libs/http's error handler).
      const types = Number(status) >= 400 ? ['application/json'] : produces;
      response[status] = {
        description: description ?? 'OK',
        content: Object.fromEntries(
          types.map((t) => [
            t,
            {
              schema:
                isJson(t) || json['type'] === 'string'
                  ? json
                  : t.startsWith('text/')
                    ? { type: 'string', description: `${t} text` }
                    : { type: 'string', format: 'binary', description: `${t} file` },
            },
          ]),
        ),
      };
    }
  }
  const consumes = route.consumes ?? [];
  if (route.body === undefined && consumes.length > 0) {
    schema['body'] = {
      content: Object.fromEntries(
        consumes.map((t) => [
          t,
          {
            schema:
              t === 'multipart/form-data'
                ? {
                    type: 'object',
                    required: ['file'],
                    properties: { file: { type: 'string', format: 'binary', description: 'the file' } },
                  }
                : { type: 'string', description: 'the file as the request body' },
          },
        ]),
      ),
    };
  }
  return out;
}

const REQUEST_ID_HEADER = 'x-request-id';
// A caller's request id is kept so one id follows a request through a proxy chain; anything
// that does not look like an id is replaced, since it ends up in every log line.
const ACCEPTABLE_REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The fastify base of every EP HTTP service: zod schemas for validation, serialisation and the
 * OpenAPI document at /docs (JSON at /docs/json), request ids (x-request-id, echoed back), one
 * error handler, a 404 naming the route asked for, and /healthz, /readyz, /metrics. It never
 * listens: see httpResource.
 *
 * Async because the swagger and ops plugins are loaded before it returns: @fastify/swagger only
 * sees routes added after it loaded, so a route registered right after a synchronous
 * `app.register(swagger)` would be missing from /docs without any error.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  // Typed with fastify's base logger so the instance type does not depend on pino's version.
  const app = fastify<
    RawServerDefault,
    RawRequestDefaultExpression,
    RawReplyDefaultExpression,
    FastifyBaseLogger
  >({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    genReqId: requestId,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  if (options.docs !== false) {
    await app.register(fastifySwagger, {
      openapi: {
        // 3.1: a nullable field is `type: [..., 'null']` (3.0's `nullable` needs a sibling type
        // that zod's unknown() has not).
        openapi: '3.1.0',
        info: {
          title: options.docs?.title ?? options.name,
          description: options.docs?.description,
          version: options.version ?? '0.0.0',
        },
        // Relative: /docs "Try it out" calls the server that served the page.
        servers: [{ url: '/', description: 'this server' }],
        tags: [
          ...(options.docs?.tags ?? []),
          { name: 'ops', description: 'Health, readiness and metrics for the platform' },
        ],
        components: {
          // Routes that declare a scope refer to it (libs/auth's hook), so /docs has "Authorize".
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description: 'An EP API key: `Authorization: Bearer ep_…` (created with `pnpm ep keys create`)',
            },
          },
        },
      },
      transform: openApiTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  }
  await app.register(opsPlugin, options.ops ?? {});
  return app;
}
