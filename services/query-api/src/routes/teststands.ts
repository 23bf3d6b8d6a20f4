import { HttpError } from '@ep/http';
import { TESTSTAND_KINDS } from '@ep/schema';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findMessage, listMessages, listTeststands, teststandExists } from '../db/records.js';
import { attachment, dataPackageCsv } from '../domain/csv.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { badParameter, notFound } from '../domain/errors.js';
import { parseInstant } from '../domain/time.js';
import { idParam, PG_TIME, type RouteDeps } from './common.js';
import { messageJson, teststandJson } from './mappers.js';
import * as s from './schemas.js';

/** Test stands and their messages (scope read; stands belong to no site). */
export function teststandRoutes({ db }: RouteDeps): FastifyPluginAsyncZod {
  return async (app) => {
    // Test stands belong to no site: a key bound to a site does not see them.
    const noBoundKeys = (request: { principal?: { site: string | null; name: string } }) => {
      if (request.principal?.site)
        throw new HttpError(
          403,
          `API key "${request.principal.name}" is bound to site ${request.principal.site}; test stands need an unbound key`,
        );
    };

    app.get(
      '/teststands',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listTeststands',
          tags: ['teststands'],
          summary: 'Test stands and modules with their last power and status codes',
          response: {
            200: z.object({ items: z.array(s.teststand) }),
            401: s.errors[401],
            403: s.errors[403],
          },
        },
      },
      async (request) => {
        noBoundKeys(request);
        return { items: (await listTeststands(db)).map(teststandJson) };
      },
    );

    app.get(
      '/teststands/:stand/messages',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listTeststandMessages',
          tags: ['teststands'],
          summary: 'Messages of a stand in arrival order',
          params: z.object({ stand: z.string() }),
          querystring: z.object({
            type: z.string().optional().describe('message type (msgType)'),
            kind: z
              .enum(TESTSTAND_KINDS)
              .optional()
              .describe('online / offline: the liveness events teststand-handler records'),
            from: z.string().optional().describe('received at or after: ISO-8601 or epoch ms'),
            to: z.string().optional().describe('received before: ISO-8601 or epoch ms'),
            cursor: s.cursorParam,
            limit: s.limitParam(100, 1000),
          }),
          response: {
            200: s.page(s.teststandMessage, 'TeststandMessagePage'),
            ...s.errors,
          },
        },
      },
      async (request) => {
        noBoundKeys(request);
        const q = request.query;
        const from = q.from === undefined ? undefined : parseInstant(q.from, 'from');
        const to = q.to === undefined ? undefined : parseInstant(q.to, 'to');
        if (from !== undefined && to !== undefined && to <= from)
          throw badParameter('to', `must be after from (${q.from})`);
        if (!(await teststandExists(db, request.params.stand)))
          throw notFound(`test stand ${request.params.stand}`);
        const after = q.cursor ? decodeCursor(q.cursor, { t: 'string', id: 'number' }) : undefined;
        if (after && !PG_TIME.test(after.t))
          throw badParameter('cursor', 'not a cursor this listing returned');
        const rows = await listMessages(
          db,
          request.params.stand,
          { type: q.type, kind: q.kind, from, to },
          after && { receivedAt: after.t, id: after.id },
          q.limit,
        );
        const items = rows.slice(0, q.limit);
        const last = items[items.length - 1];
        return {
          items: items.map(messageJson),
          nextCursor:
            rows.length > q.limit && last ? encodeCursor({ t: last.received_at_text, id: last.id }) : null,
        };
      },
    );

    app.get(
      '/teststands/:stand/messages/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getTeststandMessage',
          tags: ['teststands'],
          summary: 'One message; format=csv gives its data package as CSV (one column per data key)',
          params: z.object({ stand: z.string(), id: idParam('message') }),
          querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
          produces: ['application/json', 'text/csv'],
          response: {
            200: s.teststandMessage,
            ...s.errors,
          },
        },
      },
      async (request, reply) => {
        noBoundKeys(request);
        const m = await findMessage(db, request.params.stand, request.params.id);
        if (!m) throw notFound(`message ${request.params.id} of test stand ${request.params.stand}`);
        if (request.query.format === 'csv') {
          if (m.data === null || typeof m.data !== 'object')
            throw badParameter(
              'format',
              `message ${m.id} carries no data package; csv is only for data messages`,
            );
          return (reply as FastifyReply)
            .type('text/csv; charset=utf-8')
            .header('content-disposition', attachment(`${m.stand}-${m.id}.csv`))
            .send(dataPackageCsv(m.data as Record<string, unknown[]>));
        }
        return messageJson(m);
      },
    );
  };
}
