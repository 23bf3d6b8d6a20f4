import { z } from 'zod';

/**
 * What the notifier puts on the fanout exchange (ARCHITECTURE §5): the stored event as the body,
 * or, above the size limit, one of several parts of it.
 */
export const AMQP_DEFAULT_EXCHANGE = 'ep.events';

/** AMQP `type` property of each message: the event name. */
export const AMQP_MESSAGE_TYPES = ['readings.stored', 'teststand.stored', 'setpoint.changed'] as const;

/** Headers on every message, besides the W3C trace context (`traceparent`, `tracestate`). */
export const AmqpHeaders = z.object({
  'x-ep-part': z.number().int().min(1).optional().describe('1-based part number of a split event'),
  'x-ep-parts': z.number().int().min(1).optional().describe('how many parts the event was split into'),
  'x-ep-site': z.string().optional(),
  'x-ep-source': z.string().optional(),
  'x-ep-stand': z.string().optional(),
});
