/**
 * `pnpm bench <suite> [--quick]`: runs one suite, prints its table and writes
 * tools/bench/results/<suite>.json. Exit 2 on a usage error (unknown suite), 1 if the suite fails.
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, runSuite, writeReport } from './harness.js';
import { suites } from './suites/index.js';

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

function usage(problem: string): never {
  console.error(`${problem}\n\nusage: pnpm bench <suite> [--quick] [--minutes N (soak)]\n\nsuites:`);
  const width = Math.max(...suites.map((s) => s.name.length));
  for (const s of suites) console.error(`  ${s.name.padEnd(width)}  ${s.description}`);
  process.exit(2);
}

/** Options that take a value, and the suites that read them. */
const VALUE_OPTIONS = new Set(['--minutes']);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const names: string[] = [];
  const flags: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) {
      const value = args[++i];
      if (value === undefined) usage(`${a} needs a value`);
      options[a.slice(2)] = value;
    } else if (a.startsWith('-')) flags.push(a);
    else names.push(a);
  }
  const unknownFlags = flags.filter((f) => f !== '--quick');
  if (unknownFlags.length > 0) usage(`unknown option ${unknownFlags.join(', ')}`);
  if (names.length !== 1) usage(names.length === 0 ? 'which suite?' : 'one suite at a time');
  const suite = suites.find((s) => s.name === names[0]);
  if (!suite) usage(`unknown suite "${names[0]}"`);
  const quick = flags.includes('--quick');

  console.log(`${suite.name}${quick ? ' (quick)' : ''}: ${suite.description}`);
  const { report, measurements } = await runSuite(suite, {
    quick,
    options,
    log: (line) => console.log(`  ${line}`),
  });
  console.log(`\n${formatTable(measurements)}\n`);
  const file = await writeReport(resultsDir, report);
  console.log(`wrote ${relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
