import { describe, expect, it } from '@jest/globals';
import { HttpError } from '@ep/http';
import { authenticate, authorize, generateApiKey, parseScopes, type StoredApiKey } from './index.js';

describe('api keys', () => {
  const key = generateApiKey();
  const stored: StoredApiKey = {
    id: 1,
    name: 'dash',
    hash: key.hash,
    scopes: ['read'],
    site: 'carleton',
    revokedAt: null,
  };
  const find = async (prefix: string) => (prefix === key.prefix ? stored : undefined);

  it('authenticates the key it generated and never stores the secret', async () => {
    expect(key.secret).toMatch(/^ep_[a-z2-7]{8}_[a-z2-7]{32}$/);
    expect(key.hash).not.toContain(key.secret);
    const principal = await authenticate(`Bearer ${key.secret}`, find);
    expect(principal).toEqual({ keyId: 1, name: 'dash', scopes: ['read'], site: 'carleton' });
  });

  it('refuses missing, malformed, unknown and revoked keys with 401 and a reason', async () => {
    await expect(authenticate(undefined, find)).rejects.toThrow(/missing Authorization/);
    await expect(authenticate('Basic abc', find)).rejects.toThrow(/Bearer/);
    // One character changed (a secret that ends in x must change to something else).
    const wrong = `${key.secret.slice(0, -1)}${key.secret.endsWith('x') ? 'y' : 'x'}`;
    await expect(authenticate(`Bearer ${wrong}`, find)).rejects.toThrow(/unknown API key/);
    const revoked = async () => ({ ...stored, revokedAt: new Date() });
    await expect(authenticate(`Bearer ${key.secret}`, revoked)).rejects.toThrow(/revoked/);
  });

  it('checks scopes and site binding with 403; admin implies every scope', () => {
    const p = { keyId: 1, name: 'dash', scopes: ['read'], site: 'carleton' };
    expect(() => authorize(p, 'read', 'carleton')).not.toThrow();
    expect(() => authorize(p, 'upload:siemens')).toThrow(HttpError);
    expect(() => authorize(p, ['upload:siemens', 'read'])).not.toThrow();
    expect(() => authorize(p, ['upload:siemens', 'upload:alc'])).toThrow(
      /lacks scope upload:siemens or upload:alc/,
    );
    expect(() => authorize(p, 'read', 'evans')).toThrow(/bound to site carleton/);
    expect(() => authorize({ ...p, scopes: ['admin'], site: null }, 'upload:alc', 'evans')).not.toThrow();
  });

  it('parses scope lists and lists the allowed ones when one is unknown', () => {
    expect(parseScopes('read, upload:alc,read')).toEqual(['read', 'upload:alc']);
    expect(() => parseScopes('read,write')).toThrow(/unknown scope write; allowed: read, upload:siemens/);
  });
});
