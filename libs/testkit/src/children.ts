import type { ChildProcess } from 'node:child_process';

// The processes a test or benchmark started (services, brokers) and has not seen end. Under jest
// the test file's environment (jest.environment.js) kills what is left when the file ends, as a
// test that timed out before its afterAll leaves them; elsewhere (a benchmark) they are killed
// when this process exits. Either way they do not run on under later tests or the next run.
const running: Set<ChildProcess> = ((globalThis as { __epChildren?: Set<ChildProcess> }).__epChildren ??=
  new Set<ChildProcess>());
let hooked = false;

/** Kills `child` when this test file or this process ends, if it has not ended by then. */
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
