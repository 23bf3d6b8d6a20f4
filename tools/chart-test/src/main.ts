import { ensureHelm, helm } from './helm.js';

// `pnpm --filter @ep/chart-test helm -- <args>`: the pinned helm (installed into .dev/bin on first use).
ensureHelm();
const result = helm(process.argv.slice(2).filter((arg) => arg !== '--'));
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.status;
