import { z } from 'zod';
import { SetpointWriteAnswerV1, SetpointWriteRequestV1 } from './control.js';
import { ReadingsBatchV1 } from './readings.js';
import { StoredReadingsV1, StoredSetpointV1, StoredTeststandEventsV1, StoredTeststandV1 } from './stored.js';
import {
  TeststandCommandReplyV1,
  TeststandCommandRequestV1,
  TeststandEventsV1,
  TeststandEventV1,
} from './teststand.js';

interface CatalogueEntry {
  title: string;
  where: string;
  schema: z.ZodType;
  example: unknown;
}

const readingsExample = {
  v: 1,
  batchId: 'siemens:9f2c41d0e6a7…:3',
  source: 'siemens',
  site: 'carleton',
  producedAt: '2026-01-05T06:00:03Z',
  origin: { uploadId: 'u_01JH…', file: 'boliou1_11-30-18_02-00.csv', chunk: 3, chunks: 12 },
  points: [
    {
      node: 'RECCNTR',
      device: 'AH1',
      parameter: 'CCV',
      name: 'RECCNTR.AH1.CCV',
      unit: '%',
      kind: 'sampled',
      samples: [
        ['2017-08-18T12:15:00Z', 0.0, 0],
        ['2017-08-18T12:30:00Z', null, 2],
      ],
    },
  ],
};

const teststandExample = {
  v: 1,
  eventId: 'teststand-handler_0:4711:Zk3q…@mipx2k3c',
  delivery: { key: 'teststand-handler_0:4711:Zk3q…', redelivered: false },
  stand: 'teststand1',
  module: 'demo_module',
  kind: 'data',
  direction: 'inbound',
  topic: 'teststand1/demo_module/Inbound',
  receivedAt: '2026-01-05T06:00:03Z',
  protocolVersion: '1.1',
  sentBy: 'teststand1',
  msgType: 'data',
  statusCode: 200,
  commands: ['start'],
  parameters: { wait: 5 },
  data: { x: ['Demo', 9, 10], y: [16, 25, 36] },
  raw: '{"protocolVersion":1.1,"sentBy":"teststand1","msgType":"data",…}',
  valid: true,
  errors: [],
};

const storedReadingsExample = {
  v: 1,
  type: 'readings.stored',
  batchId: 'siemens:9f2c41d0e6a7…:3',
  source: 'siemens',
  site: 'carleton',
  storedAt: '2026-01-05T06:00:04Z',
  origin: { uploadId: 'u_01JH…', file: 'boliou1_11-30-18_02-00.csv', chunk: 3, chunks: 12 },
  counts: { points: 1, samples: 2, inserted: 1, revised: 1, unchanged: 0 },
  points: [
    {
      pointId: 42,
      node: 'RECCNTR',
      device: 'AH1',
      parameter: 'CCV',
      name: 'RECCNTR.AH1.CCV',
      unit: '%',
      kind: 'sampled',
      states: null,
      samples: [
        ['2017-08-18T12:15:00.000Z', 0.0, 0],
        ['2017-08-18T12:30:00.000Z', null, 2],
      ],
    },
  ],
};

const storedTeststandExample = {
  v: 1,
  type: 'teststand.stored',
  messageId: 1234,
  storedAt: '2026-01-05T06:00:04Z',
  event: teststandExample,
  standState: { powerCode: 600, statusCode: 200, ready: true },
};

const storedTeststandEventsExample = {
  v: 1,
  type: 'teststand.stored.events',
  storedAt: '2026-01-05T06:00:04Z',
  events: [
    storedTeststandExample,
    {
      v: 1,
      type: 'teststand.stored',
      messageId: 1235,
      storedAt: '2026-01-05T06:00:04Z',
      event: {
        v: 1,
        eventId: 'teststand-handler_0:4712:Qm8r…@mipx2k3d',
        stand: 'teststand2',
        module: '',
        kind: 'status',
        direction: 'inbound',
        topic: 'teststand2/inbound',
        receivedAt: '2026-01-05T06:00:03Z',
        protocolVersion: '1.1',
        sentBy: 'teststand2',
        msgType: 'status',
        statusCode: 600,
        raw: '{"protocolVersion":1.1,"sentBy":"teststand2","msgType":"status","statusCode":600}',
        valid: true,
        errors: [],
      },
      standState: { powerCode: 600, statusCode: null, ready: false },
    },
  ],
};

/** Every message EP puts on NATS or AMQP, with where it travels and an example that parses. */
export const messageCatalogue: CatalogueEntry[] = [
  {
    title: 'Readings batch (v1)',
    where:
      'NATS `<p>.readings.<source>.<site>` on stream `<P>_READINGS`; msgID = `batchId`. Written by gateway-poller and upload-ingest, read by measurement-store.',
    schema: ReadingsBatchV1,
    example: readingsExample,
  },
  {
    title: 'Test stand events (v1)',
    where:
      'NATS `<p>.teststand.events` on stream `<P>_TESTSTAND`; msgID = `events:<hash of the event ids>:<count>`, so a publish retried after a lost PubAck is stored once. Written by teststand-handler: every event it makes (inbound messages, commands it sent as `kind: command`, `direction: outbound`, liveness changes), many to a message (up to 256 events or 512 KiB, or what came within 5 ms), in the order it saw them; read by measurement-store. A message the MQTT broker delivers twice (after a handler crash or a lost connection) comes as two events with different `eventId`s and one `delivery.key`, the later with `delivery.redelivered` (DUP): measurement-store stores whichever reaches it first and drops the other, when they were received within 2 hours of each other.',
    schema: TeststandEventsV1,
    example: { v: 1, type: 'teststand.events', events: [teststandExample] },
  },
  {
    title: 'Test stand event (v1)',
    where:
      'One event of a `teststand.events` message. measurement-store also reads one alone on `<p>.teststand.<stand>.<kind>` (what teststand-handler sent before batches), so a stream that still holds such messages after an upgrade is drained.',
    schema: TeststandEventV1,
    example: teststandExample,
  },
  {
    title: 'Test stand command request (v1)',
    where:
      'NATS core request on `<p>.commands.teststand.<stand>` (no stream), from query-api to the teststand-handler replicas (queue group `teststand-handler`); answered with a command reply.',
    schema: TeststandCommandRequestV1,
    example: {
      v: 1,
      commandId: '42',
      stand: 'teststand1',
      module: 'demo_module',
      commands: ['start'],
      parameters: { wait: 5 },
    },
  },
  {
    title: 'Test stand command reply (v1)',
    where: 'The reply to a command request: whether the MQTT broker took the command (QoS 1 PUBACK).',
    schema: TeststandCommandReplyV1,
    example: {
      v: 1,
      commandId: '42',
      topic: 'teststand1/demo_module/Outbound',
      outcome: 'sent',
      sentAt: '2026-01-05T06:00:03Z',
    },
  },
  {
    title: 'Stored readings (v1)',
    where:
      'NATS `<p>.stored.readings.<site>` on stream `<P>_STORED`, msgID = `batchId`; then AMQP exchange `ep.events` with `type: readings.stored`, `message_id` = `batchId`.',
    schema: StoredReadingsV1,
    example: storedReadingsExample,
  },
  {
    title: 'Stored test stand message (v1)',
    where:
      'One of the `events` of a `teststand.stored.events` message (below), as measurement-store publishes them; the notifier also relays one alone from `<p>.stored.teststand.<stand>.<kind>` (msgID = `event.eventId`; what the store published before batches). Either way AMQP exchange `ep.events` gets it with `type: teststand.stored`, `message_id` = `event.eventId`.',
    schema: StoredTeststandV1,
    example: storedTeststandExample,
  },
  {
    title: 'Stored test stand messages, batched (v1)',
    where:
      'NATS `<p>.stored.teststand.events` on stream `<P>_STORED`, msgID = `stored:<hash of the event ids>:<count>`: test-stand messages measurement-store stored together (those of one `teststand.events` message), in order, in one NATS message. Never on AMQP as such: the notifier publishes each of `events` to `ep.events` as its own `teststand.stored` message — `message_id` = its `event.eventId`, timestamp from its `storedAt`, header `x-ep-stand` its stand, body its JSON — just as if it had come alone, and acks the NATS message once RabbitMQ confirmed them all.',
    schema: StoredTeststandEventsV1,
    example: storedTeststandEventsExample,
  },
  {
    title: 'Set point changed (v1)',
    where:
      'NATS `<p>.stored.setpoints.<site>` on stream `<P>_STORED`, msgID = `eventId`, written by measurement-store once the change (read by gateway-poller, in the `events` of a readings batch) is committed to `setpoint_events`; then AMQP exchange `ep.events` with `type: setpoint.changed`, `message_id` = `eventId`.',
    schema: StoredSetpointV1,
    example: {
      v: 1,
      type: 'setpoint.changed',
      eventId: 'prefect:badock:3.thermostat.temperature_setpoint:2026-01-05T06:00:00.000Z',
      source: 'prefect',
      site: 'badock',
      gateway: 'badock-prefect',
      point: {
        node: '3',
        device: 'thermostat',
        parameter: 'temperature_setpoint',
        name: '3.thermostat.temperature_setpoint',
      },
      ts: '2026-01-05T06:00:00.000Z',
      from: 18,
      to: 21,
      origin: 'override',
      storedAt: '2026-01-05T06:00:02.000Z',
    },
  },
  {
    title: 'Set-point write request (v1)',
    where:
      "Core NATS request on `<p>.control.gateway.<gateway>` from query-api, answered by the gateway-poller replica holding that gateway's lease with a set-point write answer.",
    schema: SetpointWriteRequestV1,
    example: {
      v: 1,
      gateway: 'evans-secure',
      point: { node: '1', device: '17', parameter: 'target_temperature' },
      value: 21.5,
      requestedBy: 'ops',
    },
  },
  {
    title: 'Set-point write answer (v1)',
    where: 'The reply to a set-point write request.',
    schema: SetpointWriteAnswerV1,
    example: { v: 1, outcome: 'accepted' },
  },
];

/** docs/messages.md, generated from the schemas so the documentation cannot drift from the code. */
export function renderMessagesDoc(): string {
  const parts = [
    '# EP messages',
    '',
    '<!-- Generated by `pnpm docs:messages` from libs/contracts. Do not edit by hand. -->',
    '',
    'Every message is JSON. Samples are `[ts, value, quality]` with quality 0 good, 1 estimated,',
    '2 data loss reported by the source, 3 no data reported by the source, 4 out of range.',
    'Subjects start with `EP_NATS_PREFIX` (`<p>`, default `ep`); stream names with it upper-cased (`<P>`).',
    '',
  ];
  for (const entry of messageCatalogue) {
    parts.push(
      `## ${entry.title}`,
      '',
      entry.where,
      '',
      'Example:',
      '',
      '```json',
      JSON.stringify(entry.example, null, 2),
      '```',
      '',
      '<details><summary>JSON Schema</summary>',
      '',
      '```json',
      JSON.stringify(z.toJSONSchema(entry.schema, { io: 'input', unrepresentable: 'any' }), null, 2),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return parts.join('\n');
}
