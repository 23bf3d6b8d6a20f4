import {
  dateHeader,
  errorId,
  macHex,
  md5Hex,
  parseGatewayList,
  parseLogin,
  SESSION_EXPIRED_ID,
  signRequest,
  type SecureGateway,
  type SecureLogin,
} from '../domain/secure.js';
import { GatewayError, joinUrl, requestJson } from './vendor-http.js';

export interface SecureClientOptions {
  baseUrl: string;
  email: string;
  password: string;
  timeoutMs: number;
  /** Log-ins allowed per request after `ID 848` (the legacy client allowed 10). */
  maxRelogins: number;
  now?: () => number;
}

/** A value to write: one data point of one device. */
export interface SecureWrite {
  gmacid: number;
  drefid: number;
  code: string;
  value: string;
}

/** The Secure cloud API with its session: logs in when it has none or the session expired. */
export interface SecureClient {
  /** The current login (devices and their types), logging in if needed. */
  session(): Promise<SecureLogin>;
  gatewayList(): Promise<SecureGateway[]>;
  gatewayData(gmacid: number, lut: string): Promise<unknown>;
  updateDeviceData(write: SecureWrite): Promise<unknown>;
  /** How many log-ins this client made (for tests and metrics). */
  readonly logins: number;
}

export function createSecureClient(options: SecureClientOptions): SecureClient {
  const now = options.now ?? Date.now;
  let current: SecureLogin | undefined;
  let logins = 0;

  async function login(): Promise<SecureLogin> {
    const form = new URLSearchParams({ UserEMailID: options.email, Password: md5Hex(options.password) });
    const { body } = await requestJson({
      method: 'POST',
      url: joinUrl(options.baseUrl, '/user/login'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs: options.timeoutMs,
    });
    logins += 1;
    const parsed = parseLogin(body);
    if (!parsed) {
      const id = errorId(body);
      if (id === 401) throw new GatewayError('auth_refused', 'POST /user/login: e-mail or password refused');
      throw new GatewayError('bad_answer', 'POST /user/login: the answer has no session keys');
    }
    current = parsed;
    return parsed;
  }

  async function signed(method: 'GET' | 'POST', pathAndQuery: string, body?: string): Promise<unknown> {
    for (let relogins = 0; ; relogins++) {
      const session = current ?? (await login());
      const headers = signRequest(session.keys, method, pathAndQuery, now(), body);
      const answer = await requestJson({
        method,
        url: joinUrl(options.baseUrl, pathAndQuery),
        headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
        timeoutMs: options.timeoutMs,
      });
      const id = errorId(answer.body);
      if (id === SESSION_EXPIRED_ID) {
        current = undefined;
        if (relogins >= options.maxRelogins) {
          throw new GatewayError(
            'auth_refused',
            `${method} ${pathAndQuery.split('?')[0]}: session expired again after ${relogins} log-ins`,
          );
        }
        continue;
      }
      if (id !== undefined) {
        const message = (answer.body as { M?: unknown }).M;
        throw new GatewayError(
          id === 401 || id === 403 ? 'auth_refused' : 'refused',
          `${method} ${pathAndQuery.split('?')[0]}: error ID ${id}${typeof message === 'string' ? ` (${message})` : ''}`,
        );
      }
      return answer.body;
    }
  }

  return {
    session: async () => current ?? (await login()),
    async gatewayList() {
      const body = await signed('GET', '/user/GatewayList');
      const list = parseGatewayList(body);
      if (!list) throw new GatewayError('bad_answer', 'GET /user/GatewayList: not a list of gateways');
      return list;
    },
    gatewayData(gmacid, lut) {
      const query = new URLSearchParams({ gatewayMACID: macHex(gmacid), lastupdatetime: `"${lut}"` });
      return signed('GET', `/gateway/gatewaydata?${query.toString()}`);
    },
    updateDeviceData(write) {
      const body = JSON.stringify({
        GatewayMacId: write.gmacid,
        DeviceData: {
          DRefID: write.drefid,
          DPID: 64,
          DPDO: [{ DPRefID: write.code, CV: write.value, LTU: dateHeader(now()) }],
        },
      });
      return signed('POST', '/Gateway/UpdateDeviceData', body);
    },
    get logins() {
      return logins;
    },
  };
}
