import { SCOPES, type Scope } from '@ep/schema';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Scopes an API key can carry (ARCHITECTURE §6), stored in api_keys.scopes, so the schema owns
// the list. `admin` implies every other scope.
export { SCOPES, type Scope };

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Parses a comma-separated scope list; throws naming the unknown ones and listing what is allowed.
 */
export function parseScopes(list: string): Scope[] {
  const scopes = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw new Error(
      `unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; allowed: ${SCOPES.join(', ')}`,
    );
  }
  if (scopes.length === 0) throw new Error(`no scope given; allowed: ${SCOPES.join(', ')}`);
  return [...new Set(scopes)] as Scope[];
}

export function hasScope(granted: readonly string[], wanted: Scope): boolean {
  return granted.includes('admin') || granted.includes(wanted);
}

// Key layout: ep_<prefix>_<secret>. The prefix (public, 8 base32 chars) finds the row; the whole
// key's sha256 is what is stored. 160 random bits of secret make a slow hash unnecessary.
const KEY_PATTERN = /^ep_([a-z2-7]{8})_([a-z2-7]{32})$/;

function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

export interface NewApiKey {
  /** The whole key, shown once to whoever created it. */
  secret: string;
  prefix: string;
  hash: string;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKey(): NewApiKey {
  const prefix = base32(randomBytes(5)).slice(0, 8);
  const secret = `ep_${prefix}_${base32(randomBytes(20)).slice(0, 32)}`;
  return { secret, prefix, hash: hashApiKey(secret) };
}

/** Returns the key's prefix when the text has the shape of an EP key, else undefined. */
export function apiKeyPrefix(secret: string): string | undefined {
  return KEY_PATTERN.exec(secret)?.[1];
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
