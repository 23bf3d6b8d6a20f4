import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import { createLifecycle, type Resource } from './index.js';

function tracked(name: string, log: string[], failStop = false): Resource {
  return {
    name,
    async start() {
      log.push(`start ${name}`);
    },
    async stop() {
      log.push(`stop ${name}`);
      if (failStop) throw new Error('boom');
    },
  };
}

describe('lifecycle', () => {
  it('starts in order and stops in reverse, even when one stop fails', async () => {
    const log: string[] = [];
    const lc = createLifecycle({ logger: silentLogger() });
    lc.add(tracked('db', log), tracked('nats', log, true), tracked('http', log));
    await lc.start();
    await lc.stop();
    expect(log).toEqual(['start db', 'start nats', 'start http', 'stop http', 'stop nats', 'stop db']);
  });

  it('stops only once however often it is asked', async () => {
    const log: string[] = [];
    const lc = createLifecycle({ logger: silentLogger() }).add(tracked('a', log));
    await lc.start();
    await Promise.all([lc.stop(), lc.stop(), lc.stop()]);
    expect(log.filter((l) => l === 'stop a')).toHaveLength(1);
  });

  it('exits 1 when a stop hangs past the deadline', async () => {
    const codes: number[] = [];
    const lc = createLifecycle({ logger: silentLogger(), deadlineMs: 20, exit: (c) => codes.push(c) });
    lc.add({ name: 'stuck', stop: () => new Promise<void>((resolve) => setTimeout(resolve, 200)) });
    await lc.start();
    await lc.stop();
    expect(codes).toEqual([1]);
  });
});
