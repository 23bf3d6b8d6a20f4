import { z } from 'zod';
import { SOURCES } from './names.js';
import { Sample } from './readings.js';
import { TeststandEventV1 } from './teststand.js';

/** A point of a stored batch, with everything a downstream consumer needs (no call-back). */
export const StoredPoint = z.object({
  pointId: z.number().int(),
  node: z.string(),
  device: z.string(),
  parameter: z.string(),
  name: z.string(),
  unit: z.string().nullable(),
  kind: z.string().nullable(),
  states: z.record(z.string(), z.string()).nullable(),
  samples: z.array(Sample).describe('the samples of this batch, timestamps as UTC ISO strings'),
});
export type StoredPoint = z.infer<typeof StoredPoint>;

export const StoredReadingsV1 = z
  .object({
    v: z.literal(1),
    type: z.literal('readings.stored'),
    batchId: z.string().describe('the input batch id; also the NATS msgID and the AMQP message_id'),
    source: z.enum(SOURCES),
    site: z.string(),
    storedAt: z.iso.datetime({ offset: true }),
    origin: z.record(z.string(), z.unknown()).optional(),
    counts: z.object({
      points: z.number().int(),
      samples: z.number().int(),
      inserted: z.number().int().describe('samples new to the store'),
      revised: z.number().int().describe('samples that replaced a different stored value'),
      unchanged: z.number().int().describe('samples identical to what was stored (a replay)'),
    }),
    points: z.array(StoredPoint),
  })
  .describe('A readings batch committed to PostgreSQL.');
export type StoredReadings = z.infer<typeof StoredReadingsV1>;

export const StoredTeststandV1 = z
  .object({
    v: z.literal(1),
    type: z.literal('teststand.stored'),
    messageId: z.number().int().describe('id of the row in teststand_messages'),
    storedAt: z.iso.datetime({ offset: true }),
    event: TeststandEventV1,
    standState: z
      .object({
        powerCode: z.number().int().nullable(),
        statusCode: z.number().int().nullable(),
        ready: z.boolean(),
      })
      .describe('the stand state after this message'),
  })
  .describe('A test-stand message stored (valid or rejected).');
export type StoredTeststand = z.infer<typeof StoredTeststandV1>;

/**
 * The stored events of one `teststand.events` message, in its order, as one NATS message; the
 * notifier sends each on as its own `teststand.stored` AMQP message.
 */
export const StoredTeststandEventsV1 = z
  .object({
    v: z.literal(1),
    type: z.literal('teststand.stored.events'),
    storedAt: z.iso.datetime({ offset: true }),
    events: z.array(StoredTeststandV1).min(1),
  })
  .describe('Test-stand messages stored together (one NATS message of teststand.stored events).');
export type StoredTeststandEvents = z.infer<typeof StoredTeststandEventsV1>;

export const StoredSetpointV1 = z
  .object({
    v: z.literal(1),
    type: z.literal('setpoint.changed'),
    eventId: z
      .string()
      .describe('deterministic (source, site, point, ts); also the NATS msgID and AMQP message_id'),
    source: z.enum(SOURCES),
    site: z.string(),
    gateway: z.string().describe('the configured gateway that reported the change'),
    point: z.object({ node: z.string(), device: z.string(), parameter: z.string(), name: z.string() }),
    ts: z.iso.datetime({ offset: true }).describe('when the new set point was first read'),
    from: z.number().nullable().describe('null: the gateway reported no set point'),
    to: z.number().nullable(),
    origin: z
      .enum(['override', 'schedule'])
      .describe('override: changed at the receiver by an operator (or by an EP write)'),
    storedAt: z.iso.datetime({ offset: true }),
  })
  .describe(
    'A set point of a heating gateway changed (read by gateway-poller, stored by measurement-store).',
  );
export type StoredSetpoint = z.infer<typeof StoredSetpointV1>;

export const StoredEvent = z.discriminatedUnion('type', [
  StoredReadingsV1,
  StoredTeststandV1,
  StoredSetpointV1,
]);
export type StoredEvent = z.infer<typeof StoredEvent>;

/** The event id used as NATS msgID of a stored event and as AMQP message_id. */
export function storedEventId(event: StoredEvent): string {
  if (event.type === 'readings.stored') return event.batchId;
  if (event.type === 'setpoint.changed') return event.eventId;
  return event.event.eventId;
}
