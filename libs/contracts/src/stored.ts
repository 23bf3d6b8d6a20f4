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

export const StoredEvent = z.discriminatedUnion('type', [StoredReadingsV1, StoredTeststandV1]);
export type StoredEvent = z.infer<typeof StoredEvent>;

/** The event id used as NATS msgID of a stored event and as AMQP message_id. */
export function storedEventId(event: StoredEvent): string {
  return event.type === 'readings.stored' ? event.batchId : event.event.eventId;
}
