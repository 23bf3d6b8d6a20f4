import type { ChildProcess } from 'node:child_process';

// The processes a test or benchmark started (services, brokers). Whatever is still running when
// this process exits (a test that timed out before its afterAll, jest forcing an exit) is killed
// with it, rather than left consuming CPU under the next test files or the next run.
const running = new Set<ChildProcess>();
let hooked = false;

/** Kills `child` when this process exits, if it has not ended by then. */
export function endWithUs(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  return child;
}
