import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cliDir = fileURLToPath(new URL('../../cli/', import.meta.url));

/** Runs `ep <args>` (the operators' CLI) against `databaseUrl`; returns its stdout, throws with its stderr. */
export function runCli(args: string[], databaseUrl: string): string {
  const result = spawnSync(
    process.execPath,
    ['--conditions=@ep/source', '--import', 'tsx', 'src/main.ts', ...args],
    {
      cwd: cliDir,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: databaseUrl },
    },
  );
  if (result.status !== 0) throw new Error(`ep ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}
