import { headers as createHeaders, type MsgHdrs } from '@nats-io/nats-core';

/**
 * Headers as a plain record, first value per key: what trace propagators
 * (W3C `traceparent`, `tracestate`) and handlers want, without NATS types.
 */
export function headersToRecord(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!hdrs) return out;
  for (const key of hdrs.keys()) out[key] = hdrs.get(key);
  return out;
}

/** The inverse of headersToRecord, for publishing; undefined when there is nothing to send. */
export function recordToHeaders(record: Record<string, string> | undefined): MsgHdrs | undefined {
  if (!record) return undefined;
  const entries = Object.entries(record);
  if (entries.length === 0) return undefined;
  const hdrs = createHeaders();
  for (const [key, value] of entries) hdrs.set(key, value);
  return hdrs;
}
