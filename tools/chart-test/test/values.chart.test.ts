import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helm, repoRoot } from '../src/helm.js';

const fixtures = join(repoRoot, 'tools/chart-test/fixtures/bad-values');
const cases = readdirSync(fixtures)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => {
    const expected = /^# expect: (.+)$/m.exec(readFileSync(join(fixtures, file), 'utf8'));
    if (!expected) throw new Error(`${file}: first line must be "# expect: <message the schema gives>"`);
    return [file, expected[1]!] as const;
  });

describe('values.schema.json', () => {
  it.each(cases)('refuses %s, naming what is wrong: %s', (file, message) => {
    const result = helm(['template', 'ep', 'charts/ep', '-f', join(fixtures, file)]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(message);
  });

  it('accepts each environment overlay', () => {
    for (const environment of ['dev', 'staging', 'prod']) {
      const result = helm(['template', 'ep', 'charts/ep', '-f', `k8s/${environment}.yaml`]);
      expect({ environment, stderr: result.stderr }).toEqual({ environment, stderr: '' });
    }
  });
});
