import { formatUtc } from '@ep/contracts';
import {
  TeststandCommandReplyV1,
  type TeststandCommandReply,
  type TeststandCommandRequestInput,
} from '@ep/contracts';
import { errorResponseSchema, HttpError } from '@ep/http';
import type { Database } from '@ep/schema';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { findCommand, insertCommand, settleCommand, type CommandRow } from '../db/teststand-commands.js';
import { COMMAND_STATES, commandState } from '../domain/command-state.js';

/** Sends a command request to the teststand-handlers (NATS request/reply); see query-api.ts. */
export type RequestCommand = (request: TeststandCommandRequestInput) => Promise<TeststandCommandReply>;

/** No handler answered: nothing is running, or it did not answer in time. */
export class NoHandlerError extends Error {}

export interface TeststandCommandDeps {
  /** The primary: commands are written. */
  db: Kysely<Database>;
  requestCommand: RequestCommand;
  /** How long after sending a command the stand's next status counts as its reply, in ms. */
  replyWindowMs: number;
}

// A topic level: MQTT wildcards and the level separator would address other stands' topics.
const topicLevel = (what: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^/+#\s]+$/, `${what}: one topic level, without / + # or spaces`);

const commandJson = z
  .object({
    id: z.number().int(),
    stand: z.string(),
    module: z.string(),
    topic: z.string().describe('the MQTT topic it was published to'),
    commands: z.array(z.string()),
    parameters: z.record(z.string(), z.unknown()),
    requestedBy: z.string().describe('name of the API key that sent it'),
    requestedAt: z.string(),
    outcome: z
      .enum(['pending', 'sent', 'refused', 'failed'])
      .describe('sent: the MQTT broker acknowledged it'),
    sentAt: z.string().nullable(),
    error: z.string().nullable(),
    state: z
      .enum(COMMAND_STATES)
      .describe(
        'pending, answered (the stand sent a status), no answer (within replyWindowSeconds), refused, failed',
      ),
    replyWindowSeconds: z.number(),
    reply: z
      .object({
        messageId: z.number().int(),
        statusCode: z.number().int().nullable(),
        receivedAt: z.string(),
      })
      .nullable()
      .describe('the stand’s next status message after the command'),
  })
  .meta({ id: 'TeststandCommand' });

function toJson(row: CommandRow, replyWindowMs: number, now = new Date()): z.infer<typeof commandJson> {
  return {
    id: Number(row.id),
    stand: row.stand,
    module: row.module,
    topic: row.topic,
    commands: row.commands,
    parameters: row.parameters,
    requestedBy: row.requested_by,
    requestedAt: formatUtc(row.requested_at),
    outcome: row.outcome,
    sentAt: row.sent_at ? formatUtc(row.sent_at) : null,
    error: row.error,
    state: commandState(row.outcome, row.sent_at, row.reply_id !== null, replyWindowMs, now),
    replyWindowSeconds: replyWindowMs / 1000,
    reply:
      row.reply_id === null
        ? null
        : {
            messageId: Number(row.reply_id),
            statusCode: row.reply_status,
            receivedAt: formatUtc(row.reply_at!),
          },
  };
}

/**
 * Commands to test stands (scope `teststand:command`): stored, handed to a teststand-handler over
 * NATS, published to `<stand>/<module>/Outbound` (QoS 1); the answer says whether the broker took
 * it, and reading the command later shows the stand's reply.
 */
export function teststandCommandRoutes(deps: TeststandCommandDeps): FastifyPluginAsyncZod {
  const { db, replyWindowMs } = deps;
  return async (app) => {
    const errors = {
      400: errorResponseSchema.describe('The body or a path parameter is malformed: the message names it'),
      401: errorResponseSchema.describe('No API key, an unknown one, or a revoked one'),
      403: errorResponseSchema.describe('The key lacks scope teststand:command'),
    };

    app.post(
      '/teststands/:stand/commands',
      {
        config: { access: 'teststand:command' },
        schema: {
          operationId: 'sendTeststandCommand',
          tags: ['teststands'],
          summary: 'Send a command to a test stand (MQTT <stand>/<module>/Outbound, QoS 1)',
          params: z.object({ stand: topicLevel('stand') }),
          body: z.object({
            module: topicLevel('module')
              .optional()
              .describe('absent: the stand’s own <stand>/outbound topic'),
            commands: z.array(z.string().min(1).max(256)).min(1).max(100).describe('e.g. ["start"]'),
            parameters: z.record(z.string(), z.unknown()).default({}).describe('e.g. {"wait": 5}'),
          }),
          response: {
            201: commandJson.describe('The broker took the command; GET it later for the stand’s reply'),
            ...errors,
            502: errorResponseSchema.describe('The MQTT broker did not take the command (stored as refused)'),
            503: errorResponseSchema.describe('No teststand-handler answered (stored as failed)'),
          },
        },
      },
      async (request, reply) => {
        const { stand } = request.params;
        const module = request.body.module ?? '';
        const topic = module ? `${stand}/${module}/Outbound` : `${stand}/outbound`;
        const id = await insertCommand(db, {
          stand,
          module,
          topic,
          commands: request.body.commands,
          parameters: request.body.parameters,
          requestedBy: request.principal?.name ?? 'unknown',
        });
        let answer: TeststandCommandReply;
        try {
          answer = TeststandCommandReplyV1.parse(
            await deps.requestCommand({
              v: 1,
              commandId: String(id),
              stand,
              module,
              commands: request.body.commands,
              parameters: request.body.parameters,
            }),
          );
        } catch (err) {
          const noHandler = err instanceof NoHandlerError;
          await settleCommand(db, id, { outcome: 'failed', error: (err as Error).message });
          if (!noHandler) request.log.error({ err, commandId: id }, 'command request failed');
          throw new HttpError(
            503,
            noHandler
              ? `command ${id} was not sent: ${(err as Error).message}`
              : `command ${id} was not sent: the teststand-handler did not answer properly`,
          );
        }
        await settleCommand(db, id, {
          outcome: answer.outcome,
          ...(answer.sentAt ? { sentAt: answer.sentAt } : {}),
          ...(answer.error ? { error: answer.error } : {}),
        });
        if (answer.outcome === 'refused')
          throw new HttpError(
            502,
            `command ${id} was not taken by the MQTT broker: ${answer.error ?? 'refused'}`,
          );
        const row = await findCommand(db, stand, id, replyWindowMs);
        return reply
          .code(201)
          .header('location', `/api/v1/teststands/${encodeURIComponent(stand)}/commands/${id}`)
          .send(toJson(row!, replyWindowMs));
      },
    );

    app.get(
      '/teststands/:stand/commands/:id',
      {
        config: { access: 'teststand:command' },
        schema: {
          operationId: 'getTeststandCommand',
          tags: ['teststands'],
          summary: 'A command sent to a stand, with its state and the stand’s reply',
          params: z.object({
            stand: z.string(),
            id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
          }),
          response: {
            200: commandJson,
            ...errors,
            404: errorResponseSchema.describe('No such command for this stand'),
          },
        },
      },
      async (request) => {
        const row = await findCommand(db, request.params.stand, request.params.id, replyWindowMs);
        if (!row)
          throw new HttpError(
            404,
            `command ${request.params.id} of test stand ${request.params.stand} not found`,
          );
        return toJson(row, replyWindowMs);
      },
    );
  };
}
