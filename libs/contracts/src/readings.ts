import { z } from 'zod';
import { SOURCES } from './names.js';

/** Quality codes of a sample (ARCHITECTURE §2). */
export const QUALITY = {
  good: 0,
  estimated: 1,
  /** The source reported data loss (Siemens `Data Loss`); the value is null. */
  dataLoss: 2,
  /** The source reported no data (Siemens `No Data`); the value is null. */
  noData: 3,
  outOfRange: 4,
} as const;
export type Quality = (typeof QUALITY)[keyof typeof QUALITY];

export const Timestamp = z
  .union([z.iso.datetime({ offset: true }), z.number().int()])
  .describe('UTC ISO-8601 time or epoch milliseconds');

export const Sample = z
  .tuple([Timestamp, z.number().nullable(), z.number().int().min(0).max(4)])
  .describe('[ts, value (null when the source reported none), quality 0 good … 4 out of range]');
export type Sample = z.infer<typeof Sample>;

export const POINT_KINDS = ['sampled', 'state', 'counter', 'event'] as const;

/** Point fields a source may mark explicit (see Point.explicit). */
export const EXPLICIT_POINT_FIELDS = ['unit', 'kind', 'states', 'description', 'intervalSeconds'] as const;
export type ExplicitPointField = (typeof EXPLICIT_POINT_FIELDS)[number];

export const Point = z.object({
  node: z.string().min(1).describe('room, building or controller (first segment of a system name)'),
  device: z.string().describe('device within the node; empty when the source has none'),
  parameter: z.string().min(1).describe('what is measured'),
  name: z.string().min(1).describe("the source's full name of the point, e.g. RECCNTR.AH1.CCV"),
  unit: z.string().optional(),
  kind: z
    .enum(POINT_KINDS)
    .optional()
    .describe('sampled values, states (ON/OFF as numbers), counters or events'),
  states: z
    .record(z.string(), z.string())
    .optional()
    .describe('state number → label, e.g. {"0":"OFF","1":"ON"}'),
  description: z.string().optional(),
  intervalSeconds: z.number().positive().optional().describe('expected sampling interval, for coverage'),
  meta: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('anything else the source said about the point'),
  explicit: z
    .array(z.enum(EXPLICIT_POINT_FIELDS))
    .optional()
    .describe(
      "fields the source states on purpose (a Siemens Point Definition report's Engineering Units): they replace a value a person set. Other fields are defaults and only fill fields nobody edited",
    ),
  samples: z.array(Sample).default([]).describe('empty for a metadata-only point'),
});
export type Point = z.infer<typeof Point>;

export const SetpointChangeV1 = z
  .object({
    eventId: z
      .string()
      .min(1)
      .describe("deterministic (source, site, point, ts): the stored event's msgID and AMQP message_id"),
    gateway: z.string().min(1).describe('the configured gateway that reported the change'),
    point: z.object({
      node: z.string().min(1),
      device: z.string(),
      parameter: z.string().min(1),
      name: z.string().min(1),
    }),
    ts: z.iso.datetime({ offset: true }).describe('when the new set point was first read'),
    from: z.number().nullable().describe('null: the gateway reported no set point'),
    to: z.number().nullable(),
    origin: z
      .enum(['override', 'schedule'])
      .describe('override: changed at the receiver by an operator (or by an EP write)'),
  })
  .describe('A set point that changed between two readings of a heating gateway.');

export const ReadingsBatchV1 = z
  .object({
    v: z.literal(1),
    batchId: z
      .string()
      .min(1)
      .describe('deterministic id, also the NATS msgID: a retried publish is dropped'),
    source: z.enum(SOURCES),
    site: z.string().min(1),
    producedAt: z.iso.datetime({ offset: true }),
    origin: z
      .object({
        uploadId: z.string().optional(),
        file: z.string().optional(),
        chunk: z.number().int().min(0).optional(),
        chunks: z.number().int().min(1).optional(),
        pollWindow: z.object({ from: z.string(), to: z.string() }).optional(),
        device: z.string().optional(),
      })
      .optional(),
    points: z.array(Point),
    events: z
      .array(SetpointChangeV1)
      .optional()
      .describe(
        'set-point changes read by this poll (gateway-poller): stored with the samples by measurement-store, which publishes each as setpoint.changed',
      ),
  })
  .describe('One poll of a site or one chunk (≤ ~5,000 samples) of an uploaded file.');
export type ReadingsBatch = z.infer<typeof ReadingsBatchV1>;
export type ReadingsBatchInput = z.input<typeof ReadingsBatchV1>;

/** Samples per readings batch that producers aim for: big enough to amortise, small enough to redeliver. */
export const SAMPLES_PER_BATCH = 5_000;

/** Converts a sample's timestamp (ISO string or epoch ms) to epoch milliseconds. */
export function sampleTimeMs(ts: string | number): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}
