import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import { sql } from 'kysely';
import type { MqttClient } from 'mqtt';
import type { TeststandHandler } from '../src/teststand-handler.js';
import { createBed, standClient, startBroker, startHandler, type Bed, type Broker } from './support.js';

describe('teststand-handler: MQTT in, rows in PostgreSQL through measurement-store', () => {
  let broker: Broker;
  let bed: Bed;
  let handler: TeststandHandler;
  let base: string;
  let stand: MqttClient;

  beforeAll(async () => {
    broker = await startBroker();
    bed = await createBed('tsh');
    ({ handler, base } = await startHandler(bed, broker.url));
    stand = await standClient(broker.url, 'stand-a');
  });

  afterAll(async () => {
    await stand?.endAsync();
    await handler?.lifecycle.stop();
    await bed?.close();
    await broker?.stop();
  });

  const rows = (standName: string) =>
    bed.db
      .selectFrom('teststand_messages')
      .selectAll()
      .where('stand', '=', standName)
      .orderBy('id')
      .execute();

  async function send(topic: string, payload: unknown): Promise<void> {
    await stand.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
    });
  }

  it('stores v1.0 and v1.1 messages of every type with their fields', async () => {
    const messages: [string, unknown][] = [
      ['st1/mod/Inbound', { protocolVersion: 1.1, sentBy: 'st1', msgType: 'status', statusCode: '600' }],
      ['st1/mod/Inbound', { protocolVersion: 1.1, sentBy: 'st1', msgType: 'Status', statusCode: '202' }],
      [
        'st1/mod/Inbound',
        {
          protocolVersion: 1.1,
          sentBy: 'st1',
          msgType: 'data',
          statusCode: '200',
          commandList: ['start'],
          parameterObj: { wait: 5 },
          dataObj: { x: ['Demo', 9, 10], y: [16, 25, 36] },
        },
      ],
      [
        'st1/mod/Inbound',
        {
          protocolVersion: '1.1',
          sentBy: 'st1',
          msgType: 'RESULT',
          statusCode: '200',
          parameterObj: { passed: true },
          dataObj: { t: [1, 2] },
        },
      ],
      [
        'st1/mod/Inbound',
        { protocolVersion: 1.1, sentBy: 'st1', msgType: 'command', statusCode: '200', commandList: ['stop'] },
      ],
      ['st1/inbound', { protocolVersion: 1.0, sentBy: 'st1', msgType: 'status', statusCode: '200' }],
      [
        'st1/inbound',
        {
          protocolVersion: '1.0',
          sentBy: 'st1',
          msgType: 'data',
          dataObj: { a: [1] },
          embeddedFileFormat: 'csv',
          embeddedFile: 'a\n1\n',
        },
      ],
      ['st1/inbound', { protocolVersion: 1, sentBy: 'st1', msgType: 'status' }],
    ];
    for (const [topic, payload] of messages) await send(topic, payload);
    const stored = await waitFor(
      async () => {
        const r = await rows('st1');
        return r.length === messages.length ? r : undefined;
      },
      { what: 'every message stored' },
    );

    expect(stored.map((r) => [r.topic, r.kind, r.protocol_version, r.status_code, r.valid])).toEqual([
      ['st1/mod/Inbound', 'status', '1.1', 600, true],
      ['st1/mod/Inbound', 'status', '1.1', 202, true],
      ['st1/mod/Inbound', 'data', '1.1', 200, true],
      ['st1/mod/Inbound', 'result', '1.1', 200, true],
      ['st1/mod/Inbound', 'command', '1.1', 200, true],
      ['st1/inbound', 'status', '1.0', 200, true],
      ['st1/inbound', 'data', '1.0', null, true],
      ['st1/inbound', 'status', '1.0', null, true],
    ]);
    expect(stored[2]).toMatchObject({
      module: 'mod',
      sent_by: 'st1',
      direction: 'inbound',
      commands: ['start'],
      parameters: { wait: 5 },
      data: { x: ['Demo', 9, 10], y: [16, 25, 36] },
    });
    expect(stored[3]).toMatchObject({
      msg_type: 'result',
      parameters: { passed: true },
      data: { t: [1, 2] },
    });
    expect(stored[6]!.raw).toContain('"embeddedFile":"a\\n1\\n"');
    // Power (≥ 600) and status are kept apart on the stand.
    const stands = await bed.db
      .selectFrom('teststands')
      .selectAll()
      .where('stand', '=', 'st1')
      .orderBy('module')
      .execute();
    expect(stands.map((s) => [s.module, s.power_code, s.status_code])).toEqual([
      ['', null, 200],
      ['mod', 600, 202],
    ]);
  });

  it('keeps every malformed message as rejected with its raw bytes, sender and every error', async () => {
    const bad: [string, string, string[]][] = [
      ['not JSON', '{"protocolVersion": 1.1, "sentBy": "st2"', ['(payload)']],
      [
        'wrong types',
        JSON.stringify({
          protocolVersion: 1.1,
          sentBy: 'st2',
          msgType: 'data',
          statusCode: 200,
          dataObj: { x: 1 },
        }),
        ['statusCode', 'dataObj.x'],
      ],
      ['missing fields', JSON.stringify({ sentBy: 'st2' }), ['protocolVersion', 'msgType', 'statusCode']],
      [
        'unknown type',
        JSON.stringify({ protocolVersion: 1.1, sentBy: 'st2', msgType: 'hello', statusCode: '200' }),
        ['msgType'],
      ],
      [
        'over the size limit',
        JSON.stringify({
          protocolVersion: 1.1,
          sentBy: 'st2',
          msgType: 'data',
          statusCode: '200',
          dataObj: { x: Array(200_000).fill(1) },
        }),
        ['(payload)'],
      ],
    ];
    for (const [, payload] of bad) await send('st2/m/Inbound', payload);
    // The handler goes on: a good message after them is stored too.
    await send('st2/m/Inbound', {
      protocolVersion: 1.1,
      sentBy: 'st2',
      msgType: 'status',
      statusCode: '200',
    });
    const stored = await waitFor(
      async () => {
        const r = await rows('st2');
        return r.length === bad.length + 1 ? r : undefined;
      },
      { what: 'the rejected messages and the good one' },
    );
    bad.forEach(([what, payload, fields], i) => {
      const row = stored[i]!;
      expect({
        what,
        kind: row.kind,
        valid: row.valid,
        fields: (row.errors as { field: string }[]).map((e) => e.field),
      }).toEqual({ what, kind: 'rejected', valid: false, fields });
      if (what !== 'over the size limit') expect(row.raw).toBe(payload);
      else expect(row.raw).toBe(payload.slice(0, 262_144));
      // The sender is known once the payload could be read (not when it is cut or no JSON).
      if (what !== 'not JSON' && what !== 'over the size limit') expect(row.sent_by).toBe('st2');
    });
    expect(stored.at(-1)).toMatchObject({ kind: 'status', valid: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/ep_teststand_rejected_total 5/);
    expect(metrics).toMatch(/ep_teststand_messages_total\{kind="rejected",outcome="published"\} 5/);
  });

  it('answers /healthz and /readyz (broker and NATS)', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toMatch(/mqtt/);
  });

  it('keeps the stored count exact: one row per message', async () => {
    const { rows: counted } = await sql<{
      n: number;
      d: number;
    }>`SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM teststand_messages`.execute(bed.db);
    expect(counted[0]!.n).toBe(counted[0]!.d);
  });
});
