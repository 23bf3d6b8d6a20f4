// The suites start services through testkit's one way to start a service as a process; they
// run them as deployed (compiled, `start:dist`).
import { startService as start, type ServiceProcess } from '@ep/testkit';

export { buildServices, type ServiceProcess } from '@ep/testkit';

/** A service as deployed: `start:dist` (call buildServices first). */
export function startService(name: string, env: Record<string, string>, ready?: string): ServiceProcess {
  return start(name, env, { mode: 'dist', ...(ready ? { ready } : {}) });
}
