/** Messages a stand sends (samples/teststand/PROTOCOL.md, v1.1). */

export function statusMessage(stand: string, statusCode: number): string {
  return JSON.stringify({
    protocolVersion: 1.1,
    sentBy: stand,
    msgType: 'status',
    statusCode: String(statusCode),
  });
}

export function dataMessage(
  stand: string,
  parameters: Record<string, unknown>,
  data: Record<string, unknown[]>,
  commands: string[] = ['start'],
): string {
  return JSON.stringify({
    protocolVersion: 1.1,
    sentBy: stand,
    msgType: 'data',
    statusCode: '200',
    commandList: commands,
    parameterObj: parameters,
    dataObj: data,
  });
}

export const MALFORMED_KINDS = [
  'not-json',
  'wrong-types',
  'missing-fields',
  'unknown-type',
  'oversize',
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** A message the handler must keep as rejected; `oversize` is bigger than `oversizeBytes`. */
export function malformedMessage(stand: string, kind: MalformedKind, oversizeBytes = 300_000): string {
  switch (kind) {
    case 'not-json':
      return `{"protocolVersion": 1.1, "sentBy": "${stand}", "msgType": "status"`;
    case 'wrong-types':
      return JSON.stringify({
        protocolVersion: 1.1,
        sentBy: stand,
        msgType: 'data',
        statusCode: 200,
        dataObj: { x: 1 },
      });
    case 'missing-fields':
      return JSON.stringify({ sentBy: stand });
    case 'unknown-type':
      return JSON.stringify({ protocolVersion: 1.1, sentBy: stand, msgType: 'hello', statusCode: '200' });
    case 'oversize':
      return dataMessage(stand, {}, { x: Array.from({ length: Math.ceil(oversizeBytes / 2) }, () => 1) });
  }
}
