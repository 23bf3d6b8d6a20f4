import { runCli } from './cli.js';

// The operators' CLI: `pnpm ep <command>`. The only place it touches process.env and the exit code.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = code;
