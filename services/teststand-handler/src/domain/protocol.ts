import type { TeststandEventInput, TeststandKind } from '@ep/contracts';

/**
 * The test-stand MQTT protocol v1.0 / v1.1 (samples/teststand/PROTOCOL.md), read as tolerantly
 * as the legacy handler did: `protocolVersion` as a number or a numeric string, `msgType` in any
 * case, v1.0 without `statusCode` and with `embeddedFileFormat` / `embeddedFile`. A message that
 * fails is still turned into an event, of kind `rejected`, carrying every error found.
 */

export const MSG_TYPES = ['command', 'data', 'status', 'result'] as const;
export type MsgType = (typeof MSG_TYPES)[number];

export const PROTOCOL_VERSIONS = ['1.0', '1.1'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

export interface FieldError {
  field: string;
  message: string;
}

/** Where a message came from: its MQTT topic, split. */
export interface StandTopic {
  stand: string;
  /** Empty for `<stand>/inbound`. */
  module: string;
  direction: 'inbound' | 'outbound';
}

/**
 * `<stand>/<module>/Inbound`, `<stand>/inbound` (and the Outbound forms), the last level in any
 * case; undefined for any other shape (such a topic is not a stand's).
 */
export function parseStandTopic(topic: string): StandTopic | undefined {
  const levels = topic.split('/');
  const last = levels.at(-1)?.toLowerCase();
  if (last !== 'inbound' && last !== 'outbound') return undefined;
  if (levels.length < 2 || levels.length > 3 || levels.some((l) => l.length === 0)) return undefined;
  return { stand: levels[0]!, module: levels.length === 3 ? levels[1]! : '', direction: last };
}

/** The topic a command for `stand` (and `module`) goes to. */
export function outboundTopic(stand: string, module: string): string {
  return module ? `${stand}/${module}/Outbound` : `${stand}/outbound`;
}

/** What the protocol fields of one message said, as far as they could be read. */
export interface ParsedMessage {
  protocolVersion?: ProtocolVersion;
  sentBy?: string;
  msgType?: MsgType;
  statusCode?: number;
  commands?: string[];
  parameters?: Record<string, unknown>;
  data?: Record<string, unknown[]>;
  embeddedFile?: { format?: string; content: string };
  errors: FieldError[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// A JSON escape (after an even number of backslashes) of NUL, of a high surrogate not followed
// by a low one, or of a low surrogate not preceded by a high one.
const UNSTORABLE_ESCAPE =
  /(^|[^\\])(?:\\\\)*(\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** 1, 1.0, "1", "1.0" → "1.0"; 1.1, "1.1" → "1.1". */
function readVersion(value: unknown): ProtocolVersion | string {
  if (typeof value !== 'number' && typeof value !== 'string')
    return `must be a number (1.0 or 1.1), not ${typeName(value)}`;
  const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
  if (n === 1) return '1.0';
  if (n === 1.1) return '1.1';
  return `unsupported version ${JSON.stringify(value)} (allowed: 1.0, 1.1)`;
}

/**
 * Checks and reads one payload. `maxBytes` bounds what is parsed at all: a bigger payload is
 * refused whole with one error.
 */
export function parsePayload(payload: Uint8Array, maxBytes: number): ParsedMessage {
  const errors: FieldError[] = [];
  const parsed: ParsedMessage = { errors };
  if (payload.byteLength > maxBytes) {
    errors.push({
      field: '(payload)',
      message: `${payload.byteLength} bytes, over the limit of ${maxBytes}`,
    });
    return parsed;
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    errors.push({ field: '(payload)', message: 'not UTF-8 text' });
    return parsed;
  }
  if (text.includes('\u0000')) {
    errors.push({ field: '(payload)', message: 'contains a NUL character (U+0000), which cannot be stored' });
    return parsed;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    errors.push({ field: '(payload)', message: `not JSON: ${(err as Error).message}` });
    return parsed;
  }
  const unstorable = UNSTORABLE_ESCAPE.exec(text);
  if (unstorable) {
    // PostgreSQL's text and jsonb refuse NUL and half a surrogate pair: one such field would
    // fail the whole batch it is stored with.
    errors.push({
      field: '(payload)',
      message: `contains the escape ${unstorable[2]}, which cannot be stored (NUL, or half a UTF-16 surrogate pair)`,
    });
    return parsed;
  }
  if (!isObject(body)) {
    errors.push({ field: '(payload)', message: `must be a JSON object, not ${typeName(body)}` });
    return parsed;
  }

  const wrong = (field: string, expected: string) =>
    errors.push({ field, message: `must be ${expected}, not ${typeName(body[field])}` });
  const missing = (field: string) => errors.push({ field, message: 'is required' });

  if (body['protocolVersion'] === undefined) missing('protocolVersion');
  else {
    const version = readVersion(body['protocolVersion']);
    if (version === '1.0' || version === '1.1') parsed.protocolVersion = version;
    else errors.push({ field: 'protocolVersion', message: version });
  }

  const sentBy = body['sentBy'];
  if (sentBy === undefined) missing('sentBy');
  else if (typeof sentBy !== 'string') wrong('sentBy', 'a string');
  else parsed.sentBy = sentBy;

  const msgType = body['msgType'];
  if (msgType === undefined) missing('msgType');
  else if (typeof msgType !== 'string') wrong('msgType', 'a string');
  else {
    const lower = msgType.trim().toLowerCase();
    if ((MSG_TYPES as readonly string[]).includes(lower)) parsed.msgType = lower as MsgType;
    else
      errors.push({
        field: 'msgType',
        message: `unknown message type ${JSON.stringify(msgType)} (allowed: ${MSG_TYPES.join(', ')})`,
      });
  }

  const statusCode = body['statusCode'];
  if (statusCode === undefined) {
    // v1.0 did not require it; a version that could not be read is judged as 1.1.
    if (parsed.protocolVersion !== '1.0') missing('statusCode');
  } else if (typeof statusCode !== 'string') wrong('statusCode', 'a string such as "200"');
  else if (!/^\s*\d{3}\s*$/.test(statusCode))
    errors.push({
      field: 'statusCode',
      message: `must be a three-digit code such as "200", not ${JSON.stringify(statusCode)}`,
    });
  else parsed.statusCode = Number(statusCode);

  const commandList = body['commandList'];
  if (commandList !== undefined) {
    if (!Array.isArray(commandList)) wrong('commandList', 'an array');
    else {
      commandList.forEach((c, i) => {
        if (typeof c !== 'string')
          errors.push({ field: `commandList[${i}]`, message: `must be a string, not ${typeName(c)}` });
      });
      parsed.commands = commandList.filter((c): c is string => typeof c === 'string');
    }
  }

  const parameterObj = body['parameterObj'];
  if (parameterObj !== undefined) {
    if (!isObject(parameterObj)) wrong('parameterObj', 'an object');
    else parsed.parameters = parameterObj;
  }

  const dataObj = body['dataObj'];
  if (dataObj !== undefined) {
    if (!isObject(dataObj)) wrong('dataObj', 'an object of data series');
    else {
      const data: Record<string, unknown[]> = {};
      for (const [name, series] of Object.entries(dataObj)) {
        if (Array.isArray(series)) data[name] = series;
        else
          errors.push({
            field: `dataObj.${name}`,
            message: `must be an array (a data series), not ${typeName(series)}`,
          });
      }
      parsed.data = data;
    }
  }

  // v1.0 could carry one file inline; v1.1 dropped it (extra fields are ignored there, as the
  // schemas allow additional properties).
  if (parsed.protocolVersion === '1.0') {
    const format = body['embeddedFileFormat'];
    const content = body['embeddedFile'];
    if (format !== undefined && typeof format !== 'string') wrong('embeddedFileFormat', 'a string');
    if (content !== undefined && typeof content !== 'string') wrong('embeddedFile', 'a string');
    if (typeof content === 'string')
      parsed.embeddedFile = { content, ...(typeof format === 'string' ? { format } : {}) };
  }
  return parsed;
}

/** One MQTT message as the handler received it. */
export interface ReceivedMessage {
  topic: string;
  payload: Uint8Array;
  receivedAt: Date;
  eventId: string;
  /** Inbound messages: the delivery key and DUP flag (see use-cases/ingest.ts). */
  delivery?: { key: string; redelivered: boolean };
}

/**
 * The `teststand` event for one received message: kind = its msgType when every check passed,
 * `rejected` otherwise (with every error). Undefined for a topic that is not a stand's.
 */
export function toTeststandEvent(
  message: ReceivedMessage,
  maxBytes: number,
): TeststandEventInput | undefined {
  const where = parseStandTopic(message.topic);
  if (!where) return undefined;
  const parsed = parsePayload(message.payload, maxBytes);
  const valid = parsed.errors.length === 0;
  const kind: TeststandKind = valid && parsed.msgType ? parsed.msgType : 'rejected';
  // An oversized payload is kept only up to the limit, so the event still fits a NATS message.
  const rawBytes =
    message.payload.byteLength > maxBytes ? message.payload.subarray(0, maxBytes) : message.payload;
  return {
    v: 1,
    eventId: message.eventId,
    ...(message.delivery ? { delivery: message.delivery } : {}),
    stand: where.stand,
    module: where.module,
    kind,
    direction: where.direction,
    topic: message.topic,
    receivedAt: message.receivedAt.toISOString(),
    ...(parsed.protocolVersion ? { protocolVersion: parsed.protocolVersion } : {}),
    ...(parsed.sentBy !== undefined ? { sentBy: parsed.sentBy } : {}),
    ...(parsed.msgType ? { msgType: parsed.msgType } : {}),
    ...(parsed.statusCode !== undefined ? { statusCode: parsed.statusCode } : {}),
    ...(parsed.commands ? { commands: parsed.commands } : {}),
    ...(parsed.parameters ? { parameters: parsed.parameters } : {}),
    ...(parsed.data ? { data: parsed.data } : {}),
    ...(parsed.embeddedFile ? { embeddedFile: parsed.embeddedFile } : {}),
    // PostgreSQL's text cannot hold NUL: such a payload is rejected (parsePayload) and kept with
    // U+FFFD in its place.
    raw: Buffer.from(rawBytes).toString('utf8').replaceAll('\u0000', '\uFFFD'),
    valid,
    errors: parsed.errors,
  };
}

/** A command message for a stand, in the protocol's JSON (v1.1). */
export function commandPayload(input: {
  sentBy: string;
  commands: string[];
  parameters?: Record<string, unknown>;
}): string {
  return JSON.stringify({
    protocolVersion: 1.1,
    sentBy: input.sentBy,
    msgType: 'command',
    // v1.1 requires a statusCode on every message; the legacy web interface sent 200.
    statusCode: '200',
    commandList: input.commands,
    parameterObj: input.parameters ?? {},
  });
}

/**
 * The event as JSON no longer than `maxBytes`, with its length in bytes. A payload within the
 * size limit can still make a larger event: JSON escapes a control character in six bytes, and
 * the parsed fields come on top of the raw payload. Such an event would never fit a NATS message (and would fail its whole
 * batch, again on every redelivery), so it is kept as `rejected`: the parsed fields dropped, the
 * raw payload cut until it fits, and an error saying so.
 */
export function encodeWithin(event: TeststandEventInput, maxBytes: number): { json: string; bytes: number } {
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  if (bytes <= maxBytes) return { json, bytes };
  const { parameters: _p, data: _d, commands: _c, embeddedFile: _f, ...rest } = event;
  const error = {
    field: '(payload)',
    message: `${bytes} bytes as an event, over the ${maxBytes} a NATS message can take: stored cut, unparsed`,
  };
  let raw = event.raw;
  for (;;) {
    const cut: TeststandEventInput = {
      ...rest,
      kind: 'rejected',
      valid: false,
      errors: [...(event.errors ?? []), error],
      raw,
    };
    const encoded = JSON.stringify(cut);
    const size = Buffer.byteLength(encoded);
    if (size <= maxBytes || raw.length === 0) return { json: encoded, bytes: size };
    // Shrink in proportion to the excess (escapes make bytes per character uneven), by at least one.
    raw = raw.slice(0, Math.min(raw.length - 1, Math.floor((raw.length * maxBytes) / size) - 64));
  }
}
