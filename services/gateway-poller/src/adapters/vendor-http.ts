/** What went wrong talking to a gateway, as its status and metrics show it. */
export type GatewayErrorKind = 'auth_refused' | 'unreachable' | 'bad_answer' | 'no_secret' | 'refused';

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GatewayError';
  }
}

export function errorKind(err: unknown): GatewayErrorKind {
  return err instanceof GatewayError ? err.kind : 'bad_answer';
}

export interface VendorRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/**
 * One HTTP exchange with a vendor, its answer read as JSON. A time-out or a refused connection
 * is `unreachable`; 401/403 is `auth_refused`; any other non-2xx or a body that is not JSON is
 * `bad_answer`. Credentials are never part of a message.
 */
export async function requestJson(req: VendorRequest): Promise<{ status: number; body: unknown }> {
  let response: Response;
  const path = new URL(req.url).pathname;
  try {
    response = await fetch(req.url, {
      method: req.method,
      headers: { accept: 'application/json', ...req.headers },
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new GatewayError(
      'unreachable',
      timedOut
        ? `${req.method} ${path}: no answer within ${req.timeoutMs} ms`
        : `${req.method} ${path}: ${causeOf(err)}`,
      { cause: err },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (err) {
    throw new GatewayError('unreachable', `${req.method} ${path}: answer cut short (${causeOf(err)})`, {
      cause: err,
    });
  }
  if (response.status === 401 || response.status === 403) {
    throw new GatewayError(
      'auth_refused',
      `${req.method} ${path}: HTTP ${response.status} (credentials refused)`,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    // A 400 is the gateway refusing what was asked (a write out of range), with its reason.
    const said = vendorMessage(text);
    throw new GatewayError(
      response.status === 400 ? 'refused' : 'bad_answer',
      `${req.method} ${path}: HTTP ${response.status}${said ? ` (${said})` : ''}`,
    );
  }
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new GatewayError(
      'bad_answer',
      `${req.method} ${path}: the answer is not JSON (${text.slice(0, 60)})`,
    );
  }
}

/** The vendor's own error text (`M` of Secure, `Message` of Prefect's ASP.NET), if any. */
function vendorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { M?: unknown; Message?: unknown };
    const m = body.M ?? body.Message;
    return typeof m === 'string' ? m.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

function causeOf(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}

/** Base URL and path joined with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
