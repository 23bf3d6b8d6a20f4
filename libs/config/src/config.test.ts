import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, env, parseConfig } from './index.js';

const schema = z.object({ ...env.DATABASE_URL, ...env.PORT(8080), ...env.LOG_LEVEL, ...env.EP_NATS_PREFIX });

describe('parseConfig', () => {
  it('applies defaults', () => {
    const config = parseConfig('svc', schema, {});
    expect(config.PORT).toBe(8080);
    expect(config.EP_NATS_PREFIX).toBe('ep');
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      parseConfig('svc', schema, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(names).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
    expect((error as ConfigError).message).toContain('LOG_LEVEL');
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig('svc', schema, { PORT: '' }).PORT).toBe(8080);
  });
});
