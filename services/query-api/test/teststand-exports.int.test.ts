import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TeststandEventInput } from '@ep/contracts';
import ExcelJS from 'exceljs';
import { queryTestEnv, type QueryTestEnv } from './support.js';

describe('test-stand package exports (CSV and xlsx)', () => {
  let env: QueryTestEnv;
  let readKey: string;
  let dataId: number;
  let statusId: number;

  const event = (
    eventId: string,
    kind: 'data' | 'status',
    extra: Partial<TeststandEventInput>,
  ): TeststandEventInput => ({
    v: 1,
    eventId,
    stand: 'rig7',
    module: 'demo_module',
    kind,
    direction: 'inbound',
    topic: 'rig7/demo_module/Inbound',
    receivedAt: '2026-12-02T10:00:00Z',
    protocolVersion: '1.1',
    sentBy: 'rig7',
    msgType: kind,
    statusCode: 200,
    raw: '{}',
    valid: true,
    ...extra,
  });

  beforeAll(async () => {
    env = await queryTestEnv('exports');
    readKey = await env.addKey('reader', ['read']);
    const parameters = { wait: 5, operator: 'Ana', limits: { lo: 1 } };
    const data = { x: ['Demo', 9, 10], y: [16, 25, 36, 49], ok: [true, false] };
    // PostgreSQL's jsonb reorders keys; the export follows the order in the raw payload.
    const raw = JSON.stringify({
      protocolVersion: 1.1,
      sentBy: 'rig7',
      msgType: 'data',
      statusCode: '200',
      parameterObj: parameters,
      dataObj: data,
    });
    await env.publishTeststand(event('x-data', 'data', { parameters, data, raw }));
    await env.publishTeststand(event('x-status', 'status', {}));
    const rows = await env.db.selectFrom('teststand_messages').select(['id', 'event_id']).execute();
    dataId = rows.find((r) => r.event_id === 'x-data')!.id;
    statusId = rows.find((r) => r.event_id === 'x-status')!.id;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('exports a data package as an xlsx workbook that reads back with its parameters and series', async () => {
    const res = await fetch(`${env.baseUrl}/api/v1/teststands/rig7/messages/${dataId}/export?format=xlsx`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="rig7-demo_module-data-${dataId}.xlsx"`,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ArrayBuffer);
    const values = (name: string) =>
      workbook
        .getWorksheet(name)!
        .getSheetValues()
        .slice(1)
        .map((row) => (row as unknown[]).slice(1));
    expect(values('Parameters')).toEqual([
      ['Parameter', 'Value'],
      ['wait', 5],
      ['operator', 'Ana'],
      ['limits', '{"lo":1}'],
    ]);
    // Series as columns; a shorter series leaves its cells empty.
    expect(values('Data')).toEqual([
      ['x', 'y', 'ok'],
      ['Demo', 16, true],
      [9, 25, false],
      [10, 36],
      [undefined, 49],
    ]);
  });

  it('exports the same package as CSV, series as columns', async () => {
    const res = await fetch(`${env.baseUrl}/api/v1/teststands/rig7/messages/${dataId}/export?format=csv`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await res.text()).toBe('x,y,ok\r\nDemo,16,true\r\n9,25,false\r\n10,36,\r\n,49,\r\n');
  });

  it('refuses a message that is no package, and an unknown one, saying so', async () => {
    const status = await env.get(`/api/v1/teststands/rig7/messages/${statusId}/export`, readKey);
    expect(status.status).toBe(400);
    expect(status.json.message).toMatch(/only data and result packages/);
    expect((await env.get('/api/v1/teststands/rig7/messages/999999/export', readKey)).status).toBe(404);
    expect((await env.get(`/api/v1/teststands/rig7/messages/${dataId}/export`)).status).toBe(401);
  });
});
