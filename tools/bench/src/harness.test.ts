import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, runSuite, toResult, writeReport, type Suite } from './harness.js';

const suite: Suite = {
  name: 'demo',
  description: 'a suite for the harness test',
  async run(ctx) {
    ctx.record({ name: 'rows copied', value: 9_000, unit: 'rows/s', baseline: 10_000, higherIsBetter: true });
    return [{ name: 'p99 latency', value: 12, unit: 'ms', baseline: 10, higherIsBetter: false }];
  },
};

describe('bench harness', () => {
  it('reports value / baseline as the ratio, and null rather than Infinity for a zero baseline', () => {
    expect(toResult({ name: 'a', value: 9_000, unit: 'msg/s', baseline: 10_000 }).ratio).toBe(0.9);
    expect(toResult({ name: 'b', value: 5, unit: 'ms', baseline: 0 }).ratio).toBeNull();
  });

  it('writes exactly { suite, at, results: [{ name, value, unit, baseline, ratio }] }', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ep-bench-'));
    try {
      const { report } = await runSuite(suite, { quick: true });
      const file = await writeReport(dir, report);
      expect(file).toBe(join(dir, 'demo.json'));
      const written = JSON.parse(await readFile(file, 'utf8'));
      expect(Object.keys(written)).toEqual(['suite', 'at', 'results']);
      expect(written.suite).toBe('demo');
      expect(new Date(written.at).toISOString()).toBe(written.at);
      expect(written.results).toEqual([
        { name: 'rows copied', value: 9000, unit: 'rows/s', baseline: 10000, ratio: 0.9 },
        { name: 'p99 latency', value: 12, unit: 'ms', baseline: 10, ratio: 1.2 },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints an aligned table that says which direction of the ratio is good', async () => {
    const { measurements } = await runSuite(suite, { quick: true });
    const lines = formatTable(measurements).split('\n');
    expect(lines[0]).toMatch(/^name\s+value\s+unit\s+baseline\s+ratio$/);
    expect(lines[2]).toContain('0.900 ↑');
    expect(lines[3]).toContain('1.200 ↓');
    // Every column starts at the same offset on every line.
    const ratioColumn = lines[0]!.indexOf('ratio') + 'ratio'.length;
    expect(lines.slice(2).every((l) => l.length === ratioColumn)).toBe(true);
  });
});
