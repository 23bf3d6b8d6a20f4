// The suites start services through testkit's one way to start a service as a process; they
// run them as deployed (compiled, `start:dist`).
import { startService as start, type ServiceProcess } from '@ep/testkit';

export { buildServices, type ServiceProcess } from '@ep/testkit';

// BENCH_CPU_PROF_DIR: each service writes a V8 CPU profile there when it stops (open it in
// Chrome DevTools' Performance panel), to see where a suite's time goes inside the services.
const cpuProfDir = process.env.BENCH_CPU_PROF_DIR;

/** A service as deployed: `start:dist` (call buildServices first). */
export function startService(name: string, env: Record<string, string>, ready?: string): ServiceProcess {
  return start(name, env, {
    mode: 'dist',
    ...(ready ? { ready } : {}),
    ...(cpuProfDir
      ? {
          nodeArgs: [
            '--cpu-prof',
            `--cpu-prof-dir=${cpuProfDir}`,
            `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`,
          ],
        }
      : {}),
  });
}
