import { errorResponseSchema } from '@ep/http';
import { UPLOAD_STATUSES } from '@ep/schema';

export { UPLOAD_STATUSES };
import { z } from 'zod';
import { FNS, INTERVALS } from '../domain/time.js';

// Response and parameter schemas: fastify validates with them and /docs is generated from them.

export const errors = {
  400: errorResponseSchema.describe('A parameter is malformed: the message names it and what is allowed'),
  401: errorResponseSchema.describe('No API key, an unknown one, or a revoked one'),
  403: errorResponseSchema.describe('The key lacks the scope this route needs'),
  404: errorResponseSchema.describe('No such resource (or one the key is not allowed to see)'),
};

export const isoTime = z.string().describe('ISO-8601 instant');
const instantParam = (what: string) =>
  z
    .string()
    .describe(
      `${what}: ISO-8601 (offset optional, UTC when absent), a date YYYY-MM-DD (midnight of that day in the site's zone) or epoch milliseconds`,
    );

export const tzParam = z
  .string()
  .optional()
  .describe(
    'site (the zone of the point’s site) or an IANA time zone (UTC, America/Chicago) for buckets and timestamps; default: site for aggregates and series, UTC for samples. CSV in a zone other than UTC and xlsx write the wall clock spreadsheets read (2026-03-29 01:30:00) and the UTC offset in hours',
  );

/** The file formats of time data: JSON for programs, CSV and xlsx for spreadsheets. */
export const formatParam = (csv: string) =>
  z
    .enum(['json', 'csv', 'xlsx'])
    .default('json')
    .describe(
      `json, csv (${csv}) or xlsx (one sheet: the time as an Excel date in tz, UTC offset (h), then the same numbers as numbers)`,
    );

export const cursorParam = z
  .string()
  .optional()
  .describe('nextCursor of the previous page; absent for the first page');
export const limitParam = (def: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(def).describe(`page size, default ${def}, at most ${max}`);

export const site = z
  .object({
    key: z.string(),
    name: z.string(),
    timezone: z.string().describe('IANA time zone'),
    createdAt: isoTime,
  })
  .describe('Site');

export const point = z
  .object({
    id: z.number().int(),
    site: z.string(),
    source: z.string().describe('prefect, secure, siemens or alc'),
    node: z.string(),
    device: z.string(),
    parameter: z.string(),
    name: z.string(),
    unit: z.string().nullable(),
    kind: z.string().nullable(),
    states: z.record(z.string(), z.string()).nullable().describe('state number → label'),
    description: z.string().nullable(),
    intervalSeconds: z.number().nullable().describe('expected sampling interval, when known'),
    firstTs: isoTime.nullable(),
    lastTs: isoTime.nullable(),
    lastValue: z.number().nullable(),
    lastQuality: z.number().int().nullable(),
  })
  .describe('Point');

export const pointDetail = point.extend({ meta: z.record(z.string(), z.unknown()) }).describe('PointDetail');

export const latest = z
  .object({
    point: z.number().int(),
    name: z.string(),
    unit: z.string().nullable(),
    ts: isoTime.nullable(),
    value: z.number().nullable(),
    quality: z.number().int().nullable(),
  })
  .describe('Latest');

// A tuple, as in the readings contract: a year of 5-minute samples is 105,120 of them, and
// tuples are half the bytes of objects.
export const sample = z
  .tuple([
    isoTime.describe('time, UTC ("Z") or in tz with its offset'),
    z.number().nullable().describe('value; null when the source reported none'),
    z.number().int().describe('quality: 0 good, 1 estimated, 2 data loss, 3 no data, 4 out of range'),
  ])
  .describe('Sample: [ts, value, quality]');

export const samplesQuery = z.object({
  from: instantParam('start of the range, inclusive'),
  to: instantParam('end of the range, exclusive'),
  tz: tzParam,
  format: formatParam(
    'the whole range, no row cap: ts,value,quality in UTC; time (<tz>),UTC offset (h),value,quality in another zone',
  ),
  cursor: cursorParam,
  limit: limitParam(10_000, 200_000),
});

export const aggregateQuery = z.object({
  from: instantParam('start of the range; widened to the start of its bucket'),
  to: instantParam('end of the range, exclusive; widened to the end of its bucket'),
  interval: z
    .enum(INTERVALS)
    .describe(`bucket length: ${INTERVALS.join(', ')} (on the local calendar of tz)`),
  fn: z
    .string()
    .optional()
    .describe(`comma-separated functions of ${FNS.join(', ')}; default avg`),
  tz: tzParam,
  format: formatParam(
    'start,count,coverage,<fn>… in UTC; start (<tz>),UTC offset (h),count,coverage,<fn>… in another zone',
  ),
});

// `count` is always there; the other functions only when asked for.
const bucketValues = Object.fromEntries(
  FNS.filter((f) => f !== 'count').map((f) => [
    f,
    z
      .number()
      .nullable()
      .optional()
      .describe(
        f === 'delta'
          ? 'counters: use in the bucket (increase since the last reading before it; a drop is a meter reset, counted from 0); null without two readings'
          : f === 'demand'
            ? 'counters: delta per hour of the bucket (kWh → kW); null when delta is'
            : `${f} of the values; null when none`,
      ),
  ]),
) as Record<Exclude<(typeof FNS)[number], 'count'>, z.ZodOptional<z.ZodNullable<z.ZodNumber>>>;

export const bucket = z
  .object({
    start: isoTime.describe('bucket start, in tz'),
    end: isoTime.describe('bucket end (exclusive), in tz; a 25-hour day is 25 hours long'),
    count: z.number().int().describe('samples in the bucket, null values included'),
    coverage: z
      .number()
      .nullable()
      .describe('good samples / samples expected from the interval; null when the interval is unknown'),
    ...bucketValues,
  })
  .describe('Bucket');

export const aggregateResponse = z
  .object({
    point: z.number().int(),
    interval: z.enum(INTERVALS),
    tz: z.string(),
    fn: z.array(z.enum(FNS)),
    from: isoTime.describe('start of the first bucket'),
    to: isoTime.describe('end of the last bucket'),
    source: z.enum(['raw', 'hourly', 'daily']).describe('the table that answered'),
    intervalSeconds: z.number().nullable(),
    intervalSource: z
      .enum(['point', 'inferred'])
      .nullable()
      .describe('interval from the point metadata, or the median spacing of its recent samples'),
    buckets: z.array(bucket),
  })
  .describe('Aggregate');

export const seriesQuery = z.object({
  points: z.string().describe('comma-separated point ids, at most 200'),
  from: instantParam('start of the range; widened to the start of its bucket'),
  to: instantParam('end of the range, exclusive; widened to the end of its bucket'),
  interval: z.enum(INTERVALS),
  fn: z
    .string()
    .optional()
    .describe(`one of ${FNS.join(', ')}; default avg`),
  tz: tzParam.describe(
    'site (the zone of the first point’s site, the default) or an IANA time zone; see format',
  ),
  format: formatParam('ts,<name> (<id>)… in UTC; time (<tz>),UTC offset (h),<name> (<id>)… in another zone'),
});

export const seriesResponse = z
  .object({
    interval: z.enum(INTERVALS),
    tz: z.string(),
    fn: z.enum(FNS),
    columns: z.array(z.object({ point: z.number().int(), name: z.string(), unit: z.string().nullable() })),
    rows: z.array(
      z.object({ ts: isoTime, values: z.array(z.number().nullable()).describe('one per column') }),
    ),
  })
  .describe('Series');

export const upload = z
  .object({
    id: z.string(),
    kind: z.string(),
    format: z.string().nullable(),
    filename: z.string().nullable(),
    sha256: z.string(),
    size: z.number().int(),
    site: z.string(),
    uploader: z.string().nullable(),
    receivedAt: isoTime,
    updatedAt: isoTime,
    status: z
      .enum(UPLOAD_STATUSES)
      .describe('received → parsing → publishing → published (all batches in JetStream) → stored, or failed'),
    counts: z.object({
      points: z.number().int(),
      samples: z.number().int(),
      samplesStored: z.number().int(),
      batches: z.number().int(),
      batchesStored: z.number().int(),
      rejected: z.number().int(),
    }),
    errors: z.array(z.unknown()).describe('first 100: { line, column, reason }'),
  })
  .describe('Upload');

export const teststand = z
  .object({
    stand: z.string(),
    module: z.string(),
    powerCode: z.number().int().nullable().describe('600 on, 610 off'),
    statusCode: z.number().int().nullable(),
    updatedAt: isoTime,
    lastSeen: isoTime.describe('when this module of the stand last sent a message'),
    online: z
      .boolean()
      .nullable()
      .describe(
        'the stand (all its modules) per teststand-handler’s latest liveness event: false once it was silent for longer than the handler’s EP_TESTSTAND_OFFLINE_AFTER_MS, true again when heard; null while the handler has sent no liveness event for it',
      ),
    livenessChangedAt: isoTime
      .nullable()
      .describe('when EP recorded that latest liveness event (the stand went online or offline)'),
  })
  .describe('Teststand');

export const teststandMessage = z
  .object({
    id: z.number().int(),
    eventId: z.string(),
    stand: z.string(),
    module: z.string(),
    direction: z.string(),
    topic: z.string(),
    kind: z.string(),
    msgType: z.string().nullable(),
    sentBy: z.string().nullable(),
    protocolVersion: z.string().nullable(),
    statusCode: z.number().int().nullable(),
    // Any JSON value, null included (a nullable unknown would document as anyOf [{}, null]).
    commands: z.unknown().describe('the commands of a command message, as sent; null when none'),
    parameters: z.unknown().describe('parameters as sent; null when none'),
    data: z.unknown().describe('the data package as sent; null when none'),
    raw: z.string(),
    valid: z.boolean(),
    errors: z.unknown(),
    receivedAt: isoTime,
  })
  .describe('TeststandMessage');

export const apiKey = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    site: z.string().nullable(),
    createdAt: isoTime,
    revokedAt: isoTime.nullable(),
    lastUsedAt: isoTime.nullable().describe('updated at most once a minute'),
  })
  .describe('ApiKey');

export const page = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last'),
    })
    .describe(name);

export const csvResponse = z.string().describe('text/csv');
