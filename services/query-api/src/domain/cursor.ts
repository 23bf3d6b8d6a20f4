import { badParameter } from './errors.js';

/**
 * Keyset pagination cursors: the key of the last row returned, as base64url JSON. Opaque to
 * clients (they pass back what they were given), so the key's shape may change without notice.
 */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor and checks it has the fields this listing uses; 400 naming `cursor` otherwise. */
export function decodeCursor<K extends Record<string, 'string' | 'number'>>(
  cursor: string,
  shape: K,
): { [F in keyof K]: K[F] extends 'string' ? string : number } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const ok =
    typeof value === 'object' &&
    value !== null &&
    Object.entries(shape).every(([field, type]) => typeof (value as Record<string, unknown>)[field] === type);
  if (!ok)
    throw badParameter(
      'cursor',
      'not a cursor this listing returned; pass nextCursor from the previous page unchanged',
    );
  return value as { [F in keyof K]: K[F] extends 'string' ? string : number };
}
