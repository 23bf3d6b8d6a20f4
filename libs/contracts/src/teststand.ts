import { z } from 'zod';
import { TESTSTAND_KINDS } from './names.js';

/**
 * One message of a test stand as the handler saw it: the parsed parts when it was valid, the raw
 * payload always (a message that fails validation is still kept, flagged, with its errors).
 */
export const TeststandEventV1 = z.object({
  v: z.literal(1),
  eventId: z
    .string()
    .min(1)
    .describe(
      'unique, deterministic id of the event: inbound, its delivery key, `@` and the time it was received (base 36 ms); a command sent, `command:<commandId>`; a liveness change, `liveness:<stand, base64url>:<online|offline>:<the KV revision it replaced>@<when the KV bucket was created, base 36 ms>`',
    ),
  delivery: z
    .object({
      key: z
        .string()
        .min(1)
        .describe(
          'MQTT session (client id), packet id and payload hash: the same for a message the broker sends again',
        ),
      redelivered: z
        .boolean()
        .describe("the PUBLISH packet's DUP flag: the broker sent it before, unacknowledged"),
    })
    .optional()
    .describe(
      'inbound messages: how the message came, so that measurement-store stores a message the broker delivered twice only once',
    ),
  stand: z.string().min(1),
  module: z.string().describe('module from the topic; empty for <stand>/inbound'),
  kind: z.enum(TESTSTAND_KINDS),
  direction: z
    .enum(['inbound', 'outbound', 'platform'])
    .describe('platform: what EP observed itself (liveness), not a message on the broker'),
  topic: z.string(),
  receivedAt: z.iso.datetime({ offset: true }),
  protocolVersion: z.string().optional(),
  sentBy: z.string().optional(),
  msgType: z.string().optional(),
  statusCode: z.number().int().optional().describe('2xx–5xx status, or 600 device on / 610 device off'),
  commands: z.array(z.string()).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  data: z.record(z.string(), z.array(z.unknown())).optional(),
  embeddedFile: z
    .object({ format: z.string().optional(), content: z.string() })
    .optional()
    .describe('v1.0 only: a file sent inline (embeddedFileFormat / embeddedFile)'),
  raw: z.string().describe('the payload exactly as received (UTF-8)'),
  valid: z.boolean(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).default([]),
});
export type TeststandEvent = z.infer<typeof TeststandEventV1>;
export type TeststandEventInput = z.input<typeof TeststandEventV1>;

/**
 * Test-stand events as they travel on NATS: many per message, in the order the handler saw
 * them, so that a burst costs a NATS publish, a stream write and an ack per batch rather than
 * per MQTT message.
 */
export const TeststandEventsV1 = z.object({
  v: z.literal(1),
  type: z.literal('teststand.events'),
  events: z.array(TeststandEventV1).min(1),
});
export type TeststandEvents = z.infer<typeof TeststandEventsV1>;
export type TeststandEventsInput = z.input<typeof TeststandEventsV1>;

/**
 * A command for a stand, sent by query-api as a NATS request to the teststand-handler, which
 * publishes it to `<stand>/<module>/Outbound` (QoS 1) in the protocol's JSON.
 */
export const TeststandCommandRequestV1 = z.object({
  v: z.literal(1),
  commandId: z.string().min(1).describe("the stored command's id; also the outbound event's id"),
  stand: z.string().min(1),
  module: z.string().describe("empty: the stand's own <stand>/outbound topic"),
  commands: z.array(z.string().min(1)).min(1),
  parameters: z.record(z.string(), z.unknown()).default({}),
});
export type TeststandCommandRequest = z.infer<typeof TeststandCommandRequestV1>;
export type TeststandCommandRequestInput = z.input<typeof TeststandCommandRequestV1>;

/** The handler's answer: whether the MQTT broker took the command (PUBACK) and when. */
export const TeststandCommandReplyV1 = z.object({
  v: z.literal(1),
  commandId: z.string(),
  topic: z.string(),
  outcome: z.enum(['sent', 'refused']).describe('sent: the broker acknowledged it (QoS 1 PUBACK)'),
  sentAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('when the handler handed it to the broker (the stand’s reply is the first status after it)'),
  error: z.string().optional().describe('why the broker did not take it'),
});
export type TeststandCommandReply = z.infer<typeof TeststandCommandReplyV1>;
