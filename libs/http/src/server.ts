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
        info: {
          title: options.docs?.title ?? options.name,
          description: options.docs?.description,
          version: options.version ?? '0.0.0',
        },
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
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  }
  await app.register(opsPlugin, options.ops ?? {});
  return app;
}
