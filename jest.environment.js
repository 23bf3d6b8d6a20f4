// jest's node environment, and one thing more: when a test file ends, the processes it started
// (services, Mosquitto: @ep/testkit's endWithUs) and did not stop are killed. A test that timed
// out before its afterAll would otherwise leave them running under every later file of a
// --runInBand run.
import { TestEnvironment } from 'jest-environment-node';

export default class EpTestEnvironment extends TestEnvironment {
  async teardown() {
    for (const child of this.global.__epChildren ?? []) child.kill('SIGKILL');
    await super.teardown();
  }
}
