// Every service refuses to start on a bad configuration, naming every bad variable (not only
// the first) and exiting 1 — before it touches any server.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const servicesDir = fileURLToPath(new URL('../../../services/', import.meta.url));
const services = readdirSync(servicesDir).filter((name) => existsSync(`${servicesDir}${name}/src/main.ts`));

describe('a service started with two invalid environment variables', () => {
  it('has services to check', () => {
    expect(services.length).toBeGreaterThan(0);
  });

  it.each(services)('%s prints both names and exits 1', (name) => {
    const result = spawnSync(
      process.execPath,
      ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts'],
      {
        cwd: `${servicesDir}${name}`,
        env: { PATH: process.env['PATH'], PORT: 'eighty', LOG_LEVEL: 'loud' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});
