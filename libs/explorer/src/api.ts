// The one door to the public REST API. The key lives in sessionStorage (this tab only) and goes
// in the Authorization header, never in a URL. A 401 sends the user back to the key prompt.

const KEY = 'ep.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let onUnauthorized: (message: string) => void = () => undefined;

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  setKey: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
  /** Called with the API's message when a request answers 401 (wrong, revoked or expired key). */
  onUnauthorized(handler: (message: string) => void) {
    onUnauthorized = handler;
  },
};

export const authHeader = (): Record<string, string> => {
  const key = session.key();
  return key ? { authorization: `Bearer ${key}` } : {};
};

/** The API's words for a failed answer: its `message`, else the status line. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: string; error?: string; details?: unknown };
    return new ApiError(
      res.status,
      body.message ?? body.error ?? `${res.status} ${res.statusText}`,
      body.details,
    );
  } catch {
    return new ApiError(res.status, text.trim().slice(0, 300) || `${res.status} ${res.statusText}`);
  }
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      ...init,
      headers: { ...authHeader(), ...(init.headers as Record<string, string>) },
    });
  } catch (err) {
    throw new ApiError(0, `The server did not answer (${(err as Error).message}). Is query-api running?`);
  }
  if (res.ok) return res;
  const error = await errorOf(res);
  if (res.status === 401) {
    session.clear();
    onUnauthorized(error.message);
  }
  throw error;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  return (await request(path, init)).json() as Promise<T>;
}

/** Every page of a keyset-paginated listing (`items`/`nextCursor`). */
export async function allPages<T>(path: string, max = 100_000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep: string = path.includes('?') ? '&' : '?';
    const page: { items: T[]; nextCursor: string | null } = await api(
      `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < max);
  return out;
}

/** Which optional endpoints this server has, from its OpenAPI document (panels hide otherwise). */
export interface Features {
  commands: boolean;
  gateways: boolean;
  /** Test-stand packages as xlsx (`…/messages/{id}/export`). */
  packageExport: boolean;
}

export async function features(): Promise<Features> {
  try {
    const res = await fetch('/docs/json');
    const doc = (await res.json()) as { paths?: Record<string, unknown> };
    const paths = Object.keys(doc.paths ?? {});
    return {
      commands: paths.some((p) => /^\/api\/v1\/teststands\/\{[^}]+\}\/commands$/.test(p)),
      gateways: paths.includes('/api/v1/gateways'),
      packageExport: paths.some((p) => /\/teststands\/\{[^}]+\}\/messages\/\{[^}]+\}\/export$/.test(p)),
    };
  } catch {
    return { commands: false, gateways: false, packageExport: false };
  }
}
