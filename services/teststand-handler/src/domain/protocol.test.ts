import { describe, expect, it } from '@jest/globals';
import { TeststandEventV1 } from '@ep/contracts';
import {
  commandPayload,
  encodeWithin,
  outboundTopic,
  parsePayload,
  parseStandTopic,
  toTeststandEvent,
} from './protocol.js';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const LIMIT = 64 * 1024;

function event(topic: string, payload: unknown) {
  const e = toTeststandEvent(
    { topic, payload: bytes(payload), receivedAt: new Date('2026-12-02T10:00:00Z'), eventId: 'e1' },
    LIMIT,
  );
  // Whatever comes out must satisfy the contract measurement-store reads.
  return TeststandEventV1.parse(e);
}

describe('parseStandTopic', () => {
  it('reads <stand>/<module>/Inbound and <stand>/inbound in any case', () => {
    expect(parseStandTopic('Testdevice/demo_module/Inbound')).toEqual({
      stand: 'Testdevice',
      module: 'demo_module',
      direction: 'inbound',
    });
    expect(parseStandTopic('stand7/inbound')).toEqual({ stand: 'stand7', module: '', direction: 'inbound' });
    expect(parseStandTopic('stand7/m/OUTBOUND')).toEqual({
      stand: 'stand7',
      module: 'm',
      direction: 'outbound',
    });
  });

  it('refuses other shapes', () => {
    for (const t of ['inbound', 'a/b/c/Inbound', 'a//Inbound', 'a/b/status'])
      expect(parseStandTopic(t)).toBeUndefined();
  });

  it('builds the outbound topic back', () => {
    expect(outboundTopic('s1', 'm')).toBe('s1/m/Outbound');
    expect(outboundTopic('s1', '')).toBe('s1/outbound');
  });
});

describe('v1.1 messages', () => {
  it('a data package keeps its parameters and data series', () => {
    const e = event('teststand1/demo/Inbound', {
      protocolVersion: 1.1,
      sentBy: 'teststand1',
      msgType: 'data',
      statusCode: '200',
      commandList: ['start'],
      parameterObj: { wait: 5 },
      dataObj: { x: ['Demo', 9, 10], y: [16, 25, 36] },
    });
    expect(e).toMatchObject({
      kind: 'data',
      valid: true,
      errors: [],
      stand: 'teststand1',
      module: 'demo',
      direction: 'inbound',
      protocolVersion: '1.1',
      sentBy: 'teststand1',
      msgType: 'data',
      statusCode: 200,
      commands: ['start'],
      parameters: { wait: 5 },
      data: { x: ['Demo', 9, 10], y: [16, 25, 36] },
    });
  });

  it('status codes ≥ 600 are power codes and stay numbers', () => {
    expect(
      event('s/m/Inbound', { protocolVersion: 1.1, sentBy: 's', msgType: 'status', statusCode: '610' }),
    ).toMatchObject({ kind: 'status', statusCode: 610 });
  });

  it('msgType in any case and protocolVersion as a string', () => {
    const e = event('s/inbound', {
      protocolVersion: '1.1',
      sentBy: 's',
      msgType: 'Result',
      statusCode: '200',
      dataObj: {},
    });
    expect(e).toMatchObject({ kind: 'result', msgType: 'result', protocolVersion: '1.1', module: '' });
  });

  it('v1.1 requires statusCode', () => {
    const e = event('s/m/Inbound', { protocolVersion: 1.1, sentBy: 's', msgType: 'status' });
    expect(e.kind).toBe('rejected');
    expect(e.errors).toEqual([{ field: 'statusCode', message: 'is required' }]);
  });
});

describe('v1.0 messages', () => {
  it('statusCode is optional and an embedded file is kept', () => {
    const e = event('s/m/Inbound', {
      protocolVersion: '1.0',
      sentBy: 's',
      msgType: 'DATA',
      dataObj: { a: [1] },
      embeddedFileFormat: 'csv',
      embeddedFile: 'a\n1\n',
    });
    expect(e).toMatchObject({
      kind: 'data',
      valid: true,
      protocolVersion: '1.0',
      embeddedFile: { format: 'csv', content: 'a\n1\n' },
    });
    expect(e.statusCode).toBeUndefined();
  });

  it('protocolVersion 1 (a number) reads as 1.0', () => {
    expect(parsePayload(bytes({ protocolVersion: 1, sentBy: 's', msgType: 'status' }), LIMIT)).toMatchObject({
      protocolVersion: '1.0',
      errors: [],
    });
  });

  it('a mistyped embedded file is an error', () => {
    const e = event('s/m/Inbound', { protocolVersion: 1.0, sentBy: 's', msgType: 'data', embeddedFile: 42 });
    expect(e.errors).toEqual([{ field: 'embeddedFile', message: 'must be a string, not number' }]);
  });
});

describe('rejected messages keep raw bytes, sender and every error', () => {
  it('not JSON', () => {
    const e = event('s/m/Inbound', '{"protocolVersion": 1.1,');
    expect(e).toMatchObject({ kind: 'rejected', valid: false, raw: '{"protocolVersion": 1.1,' });
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]!.message).toMatch(/^not JSON/);
  });

  it('what PostgreSQL cannot store (NUL, half a surrogate pair): rejected, nothing parsed kept, NUL shown as U+FFFD', () => {
    const good = '{"protocolVersion":1.1,"sentBy":"s","msgType":"data","statusCode":"200","parameterObj":';
    const escaped = event('s/m/Inbound', String.raw`${good}{"a":"x\u0000"}}`);
    expect(escaped).toMatchObject({ kind: 'rejected', valid: false });
    expect(escaped.parameters).toBeUndefined();
    expect(escaped.errors).toEqual([
      {
        field: '(payload)',
        message: String.raw`contains the escape \u0000, which cannot be stored (NUL, or half a UTF-16 surrogate pair)`,
      },
    ]);
    expect(event('s/m/Inbound', String.raw`${good}{"a":"\ud83d"}}`).kind).toBe('rejected');
    expect(event('s/m/Inbound', String.raw`${good}{"a":"\ude00"}}`).kind).toBe('rejected');
    // A whole pair, and an escaped backslash followed by u0000, are fine.
    expect(event('s/m/Inbound', String.raw`${good}{"a":"\ud83d\ude00","b":"\\u0000"}}`).kind).toBe('data');
    // A NUL byte itself: rejected, and kept as U+FFFD (text cannot hold it).
    const literal = event('s/m/Inbound', `${good}{"a":"x\u0000"}}`);
    expect(literal.errors[0]!.message).toMatch(/NUL character/);
    expect(literal.raw).toContain('x\uFFFD');
  });

  it('not an object', () => {
    expect(event('s/m/Inbound', [1, 2]).errors).toEqual([
      { field: '(payload)', message: 'must be a JSON object, not array' },
    ]);
  });

  it('missing fields, all of them', () => {
    expect(event('s/m/Inbound', {}).errors.map((e) => e.field)).toEqual([
      'protocolVersion',
      'sentBy',
      'msgType',
      'statusCode',
    ]);
  });

  it('wrong types, all of them, and the sender when it could be read', () => {
    const e = event('s/m/Inbound', {
      protocolVersion: true,
      sentBy: 'standX',
      msgType: 'data',
      statusCode: 200,
      commandList: 'start',
      parameterObj: [1],
      dataObj: { x: 3, y: [1] },
    });
    expect(e.sentBy).toBe('standX');
    expect(e.errors).toEqual([
      { field: 'protocolVersion', message: 'must be a number (1.0 or 1.1), not boolean' },
      { field: 'statusCode', message: 'must be a string such as "200", not number' },
      { field: 'commandList', message: 'must be an array, not string' },
      { field: 'parameterObj', message: 'must be an object, not array' },
      { field: 'dataObj.x', message: 'must be an array (a data series), not number' },
    ]);
  });

  it('unknown type and unsupported version', () => {
    const e = event('s/m/Inbound', {
      protocolVersion: '2.0',
      sentBy: 's',
      msgType: 'hello',
      statusCode: '200',
    });
    expect(e.errors).toEqual([
      { field: 'protocolVersion', message: 'unsupported version "2.0" (allowed: 1.0, 1.1)' },
      { field: 'msgType', message: 'unknown message type "hello" (allowed: command, data, status, result)' },
    ]);
  });

  it('over the size limit: refused unparsed, raw kept up to the limit', () => {
    const big = JSON.stringify({
      protocolVersion: 1.1,
      sentBy: 's',
      msgType: 'data',
      statusCode: '200',
      dataObj: { x: Array(20_000).fill(1) },
    });
    const e = TeststandEventV1.parse(
      toTeststandEvent(
        { topic: 's/m/Inbound', payload: bytes(big), receivedAt: new Date(), eventId: 'e' },
        1000,
      ),
    );
    expect(e.errors).toEqual([
      { field: '(payload)', message: `${big.length} bytes, over the limit of 1000` },
    ]);
    expect(e.raw).toBe(big.slice(0, 1000));
  });

  it('bytes that are not UTF-8', () => {
    const e = toTeststandEvent(
      {
        topic: 's/m/Inbound',
        payload: Buffer.from([0xff, 0xfe, 0x00]),
        receivedAt: new Date(),
        eventId: 'e',
      },
      LIMIT,
    );
    expect(e?.errors).toEqual([{ field: '(payload)', message: 'not UTF-8 text' }]);
  });

  it('a topic that is not a stand’s gives no event', () => {
    expect(
      toTeststandEvent({ topic: 'x/y', payload: bytes({}), receivedAt: new Date(), eventId: 'e' }, LIMIT),
    ).toBeUndefined();
  });
});

describe('commandPayload', () => {
  it('is a valid v1.1 command message', () => {
    const json = commandPayload({ sentBy: 'ep', commands: ['start'], parameters: { wait: 5 } });
    expect(parsePayload(bytes(json), LIMIT)).toMatchObject({
      msgType: 'command',
      commands: ['start'],
      parameters: { wait: 5 },
      errors: [],
    });
  });
});

describe('encodeWithin', () => {
  it('leaves an event that fits as it is', () => {
    const e = event('s/m/Inbound', {
      protocolVersion: 1.1,
      sentBy: 's',
      msgType: 'status',
      statusCode: '200',
    });
    const json = JSON.stringify(e);
    expect(encodeWithin(e, 1024 * 1024)).toEqual({ json, bytes: Buffer.byteLength(json) });
  });

  it('cuts an event that would not fit a NATS message (control characters escape to six bytes each)', () => {
    const payload = Buffer.alloc(256 * 1024, 1);
    const e = toTeststandEvent(
      { topic: 's/m/Inbound', payload, receivedAt: new Date('2026-12-02T10:00:00Z'), eventId: 'big' },
      256 * 1024,
    )!;
    expect(Buffer.byteLength(JSON.stringify(e))).toBeGreaterThan(1024 * 1024);
    const { json, bytes } = encodeWithin(e, 1024 * 1024 - 4096);
    expect(bytes).toBe(Buffer.byteLength(json));
    expect(bytes).toBeLessThanOrEqual(1024 * 1024 - 4096);
    const cut = TeststandEventV1.parse(JSON.parse(json));
    expect(cut).toMatchObject({ eventId: 'big', kind: 'rejected', valid: false });
    expect(cut.errors.at(-1)!.message).toMatch(
      /over the 1044480 a NATS message can take: stored cut, unparsed$/,
    );
    expect(cut.raw.length).toBeGreaterThan(100_000);
  });
});
