import { z } from 'zod';

/** A set-point write, sent by query-api as a NATS request to the poller that owns the gateway. */
export const SetpointWriteRequestV1 = z.object({
  v: z.literal(1),
  gateway: z.string(),
  point: z.object({ node: z.string(), device: z.string(), parameter: z.string() }),
  value: z.number(),
  requestedBy: z.string().describe('the API key name that asked'),
});
export type SetpointWriteRequest = z.infer<typeof SetpointWriteRequestV1>;

/** The poller's answer: the gateway took the value, or refused it (with its reason). */
export const SetpointWriteAnswerV1 = z.object({
  v: z.literal(1),
  outcome: z.enum(['accepted', 'refused']),
  detail: z.string().optional(),
});
export type SetpointWriteAnswer = z.infer<typeof SetpointWriteAnswerV1>;
