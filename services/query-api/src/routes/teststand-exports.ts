import { errorResponseSchema, HttpError } from '@ep/http';
import type { Database } from '@ep/schema';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findMessage } from '../db/records.js';
import { attachment, dataPackageCsv } from '../domain/csv.js';
import { packageWorkbook } from '../domain/package-workbook.js';

export interface TeststandExportDeps {
  db: Kysely<Database>;
}

/**
 * `stored` with its keys in the order the stand sent them: jsonb keeps keys sorted its own way,
 * the raw payload keeps the stand's (a column order engineers chose).
 */
function inSentOrder<T>(stored: Record<string, T>, raw: string, field: string): Record<string, T> {
  let sent: unknown;
  try {
    sent = (JSON.parse(raw) as Record<string, unknown>)[field];
  } catch {
    return stored;
  }
  if (typeof sent !== 'object' || sent === null) return stored;
  const ordered: Record<string, T> = {};
  for (const k of Object.keys(sent)) if (k in stored) ordered[k] = stored[k]!;
  for (const k of Object.keys(stored)) if (!(k in ordered)) ordered[k] = stored[k]!;
  return ordered;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Data and result packages of test stands as files: CSV (data series as columns) or xlsx (scope read). */
export function teststandExportRoutes(deps: TeststandExportDeps): FastifyPluginAsyncZod {
  const { db } = deps;
  return async (app) => {
    app.get(
      '/teststands/:stand/messages/:id/export',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'exportTeststandPackage',
          tags: ['teststands'],
          summary:
            'A data or result package as a file: xlsx (Parameters and Data sheets) or CSV (the data series as columns)',
          params: z.object({
            stand: z.string(),
            id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
          }),
          querystring: z.object({ format: z.enum(['xlsx', 'csv']).default('xlsx') }),
          produces: [XLSX, 'text/csv'],
          response: {
            200: z.string().describe('The file: an xlsx workbook (binary) or CSV text'),
            400: errorResponseSchema.describe('The message is not a data or result package'),
            401: errorResponseSchema.describe('No API key, an unknown one, or a revoked one'),
            403: errorResponseSchema.describe('The key lacks scope read, or is bound to a site'),
            404: errorResponseSchema.describe('No such message of this stand'),
          },
        },
      },
      async (request, reply) => {
        if (request.principal?.site)
          throw new HttpError(
            403,
            `API key "${request.principal.name}" is bound to site ${request.principal.site}; test stands need an unbound key`,
          );
        const { stand, id } = request.params;
        const m = await findMessage(db, stand, id);
        if (!m) throw new HttpError(404, `message ${id} of test stand ${stand} not found`);
        if ((m.kind !== 'data' && m.kind !== 'result') || !m.valid)
          throw new HttpError(
            400,
            `message ${id} is a ${m.kind} message; only data and result packages can be exported`,
          );
        const data = inSentOrder((m.data ?? {}) as Record<string, unknown[]>, m.raw, 'dataObj');
        const name = `${m.stand}-${m.module || 'stand'}-${m.kind}-${m.id}`;
        // The bodies are files, not the JSON the response schemas describe.
        const raw = reply as FastifyReply;
        if (request.query.format === 'csv')
          return raw
            .type('text/csv; charset=utf-8')
            .header('content-disposition', attachment(`${name}.csv`))
            .send(dataPackageCsv(data));
        const body = await packageWorkbook({
          stand: m.stand,
          module: m.module,
          kind: m.kind,
          receivedAt: new Date(m.received_at),
          parameters: inSentOrder((m.parameters ?? {}) as Record<string, unknown>, m.raw, 'parameterObj'),
          data,
        });
        return raw
          .type(XLSX)
          .header('content-disposition', attachment(`${name}.xlsx`))
          .send(body);
      },
    );
  };
}
