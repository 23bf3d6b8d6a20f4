// Heating gateways as an operator reads them: gateway-poller's status rows (via query-api) in words.

/** One row of `GET /api/v1/gateways` (query-api's GatewayStatus). */
export interface GatewayStatus {
  name: string;
  site: string;
  vendor: string;
  intervalSeconds: number;
  owner: string | null;
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lagSeconds: number | null;
  lastError: { kind: string | null; message: string; at: string | null } | null;
}

/** gateway-poller's error kinds in words (vendor-http.ts, secrets.ts). */
const KIND_WORDS: Record<string, string> = {
  auth_refused: 'credentials refused',
  no_secret: 'no usable credentials',
  unreachable: 'unreachable',
  bad_answer: 'bad answer',
  refused: 'request refused',
};

/**
 * A gateway's state as an operator reads it. The poller clears lastError on its next good poll,
 * so an error present means the latest poll failed; a gateway whose last success is more than
 * three intervals old is late even without an error (no replica holds it, or polls hang).
 */
export function gatewayState(g: GatewayStatus, now: number): { text: string; cls: string } {
  if (g.lastError)
    return {
      text: `failing: ${KIND_WORDS[g.lastError.kind ?? ''] ?? g.lastError.kind ?? 'error'}`,
      cls: 'bad',
    };
  if (!g.lastPollAt) return { text: 'not polled yet', cls: 'muted' };
  if (!g.lastSuccessAt || now - Date.parse(g.lastSuccessAt) > 3 * g.intervalSeconds * 1000)
    return { text: 'late', cls: 'bad' };
  return { text: 'ok', cls: 'ok' };
}
