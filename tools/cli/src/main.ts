import { runCli } from './cli.js';

// The operators' CLI: `pnpm ep <command>`. The only place it touches process.env and the exit code.

// `pnpm ep sites zones | head`: the reader closing the pipe early is the user's choice, not a
// failure — stop writing and leave quietly, as Unix tools do, instead of an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = code;
