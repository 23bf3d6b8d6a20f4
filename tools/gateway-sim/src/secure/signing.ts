import { createHash, createHmac } from 'node:crypto';

/**
 * The Secure cloud's request signature, as API.md and its "wire details" fix it:
 *
 *   GET:  HMAC-SHA1(AK, "GET\n{DateHeader}\n{AKID}\n{path}")
 *   POST: HMAC-SHA1(AK, "POST\n{DateHeader}\n{AKID}\n{path}\n{Content-MD5}")
 *
 * `path` is the request path without its query string, lower-cased; `Content-MD5` is the header
 * sent with the POST: base64 of the MD5 digest of the body bytes (RFC 1864). The header is
 * `Authorization: SHS {AKID}:{base64 signature}`; the AK is used as UTF-8 bytes.
 */

/** `yyyyMMddTHHmmssfffZ`, UTC (e.g. `20160613T103423850Z`). */
export function dateHeader(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2016-06-13T10:34:23.850Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
}

export const DATE_HEADER_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/;

/** Epoch ms of a DateHeader, or null if it is not one. */
export function parseDateHeader(value: string): number | null {
  const m = DATE_HEADER_PATTERN.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, f] = m.map(Number) as number[];
  const ms = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s, f);
  return Number.isFinite(ms) && dateHeader(ms) === value ? ms : null;
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The Content-MD5 header of a body: base64 of its MD5 digest. */
export function contentMd5(body: Buffer | string): string {
  return createHash('md5').update(body).digest('base64');
}

export function stringToSign(method: string, date: string, akid: string, path: string, md5?: string): string {
  const base = `${method.toUpperCase()}\n${date}\n${akid}\n${path.split('?')[0]!.toLowerCase()}`;
  return method.toUpperCase() === 'POST' ? `${base}\n${md5 ?? ''}` : base;
}

export function sign(ak: string, text: string): string {
  return createHmac('sha1', Buffer.from(ak, 'utf8')).update(text, 'utf8').digest('base64');
}

/** Headers of a signed request (a reference client for tests of the simulator). */
export function signedHeaders(args: {
  method: 'GET' | 'POST';
  path: string;
  akid: string;
  ak: string;
  nowMs: number;
  body?: string;
}): Record<string, string> {
  const date = dateHeader(args.nowMs);
  const headers: Record<string, string> = { DateHeader: date };
  let md5: string | undefined;
  if (args.method === 'POST') {
    md5 = contentMd5(args.body ?? '');
    headers['Content-MD5'] = md5;
    headers['Content-Type'] = 'application/json';
  }
  headers.Authorization = `SHS ${args.akid}:${sign(args.ak, stringToSign(args.method, date, args.akid, args.path, md5))}`;
  return headers;
}
