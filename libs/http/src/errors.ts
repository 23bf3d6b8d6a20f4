import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** One precise thing wrong with a request: the field (or line) and what was wrong with it. */
export interface ErrorDetail {
  /** Where the problem is, e.g. `body.points.0.unit` or `querystring.from`. */
  field?: string;
  /** 1-based line of an uploaded file. */
  line?: number;
  message: string;
}

/** The body of every error response, so clients parse one shape. */
export const errorResponseSchema = z
  .object({
    error: z.string().describe('HTTP status text, e.g. "Bad Request"'),
    message: z.string().describe('What was wrong; generic for 5xx'),
    requestId: z.string().describe('Quote this when reporting a problem; it is in our logs'),
    details: z
      .array(
        z.object({ field: z.string().optional(), line: z.number().int().optional(), message: z.string() }),
      )
      .optional(),
  })
  .describe('Error');

export type ErrorResponse = z.infer<typeof errorResponseSchema>;

/**
 * An error a handler throws to answer with a given status. For 4xx the message (and details) go
 * to the client as they are, so write them for the client; for 5xx they are only logged.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorDetail[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
}

interface ErrorLike {
  message?: unknown;
  statusCode?: unknown;
  validation?: ValidationIssue[];
  validationContext?: string;
  details?: unknown;
}

/** `body` + `/points/0/unit` → `body.points.0.unit`. */
function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.split('/').filter(Boolean);
  return [context ?? 'request', ...path].join('.');
}

function statusOf(error: ErrorLike): number {
  const code = error.statusCode;
  return typeof code === 'number' && Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
}

/**
 * The one error handler: schema validation → 400 naming every bad field; errors carrying a 4xx
 * statusCode (HttpError, fastify's own 413/415/…) → that status with their message; anything
 * else → a generic 5xx body, the cause going to the log only (it may hold SQL or internals).
 */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const err = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;

  if (Array.isArray(err.validation) && err.validation.length > 0) {
    const details = err.validation.map((issue) => ({
      field: fieldOf(err.validationContext, issue.instancePath),
      message: issue.message ?? 'is invalid',
    }));
    const message = details.map((d) => `${d.field}: ${d.message}`).join('; ');
    request.log.info({ statusCode: 400, details }, 'request rejected: invalid input');
    return reply.code(400).send({ error: STATUS_CODES[400], message, requestId: request.id, details });
  }

  const status = statusOf(err);
  if (status < 500) {
    let message = typeof err.message === 'string' && err.message ? err.message : STATUS_CODES[status]!;
    // fastify's 415 does not say which type it refused (an HttpError 415 says what it wants).
    if (status === 415 && !(error instanceof HttpError) && request.headers['content-type'])
      message += `: ${request.headers['content-type']}`;
    const details = error instanceof HttpError ? error.details : undefined;
    request.log.info({ statusCode: status, reason: message }, 'request rejected');
    return reply.code(status).send({ error: STATUS_CODES[status], message, requestId: request.id, details });
  }

  request.log.error({ err: error }, 'request failed');
  const text = STATUS_CODES[status] ?? 'Internal Server Error';
  return reply.code(status).send({ error: text, message: text, requestId: request.id });
}

/** 404 for a path no route matches, saying which method and path were asked for. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0];
  return reply.code(404).send({
    error: STATUS_CODES[404],
    message: `no route for ${request.method} ${path}`,
    requestId: request.id,
  });
}
