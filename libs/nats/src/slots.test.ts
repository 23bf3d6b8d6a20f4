import { describe, expect, it } from '@jest/globals';
import { Slots } from './slots.js';

function gate() {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('Slots', () => {
  it('starts a task only when one of the limited slots is free', async () => {
    const slots = new Slots(2, new AbortController().signal);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await Promise.all([runs[0], runs[1]]);
    expect(started).toEqual([0, 1]);
    expect(slots.inFlight).toBe(2);
    gates[1]?.open();
    await expect(runs[2]).resolves.toBe(true);
    expect(started).toEqual([0, 1, 2]);
    gates[0]?.open();
    gates[2]?.open();
    await expect(slots.idle(1_000)).resolves.toBe(true);
  });

  it('gives up waiting when stopped, without starting the task', async () => {
    const controller = new AbortController();
    const slots = new Slots(1, controller.signal);
    const held = gate();
    await slots.run(() => held.promise);
    let ran = false;
    const waiting = slots.run(async () => {
      ran = true;
    });
    controller.abort();
    await expect(waiting).resolves.toBe(false);
    expect(ran).toBe(false);
    // idle() reports work still running at its deadline.
    await expect(slots.idle(10)).resolves.toBe(false);
    held.open();
    await expect(slots.idle(1_000)).resolves.toBe(true);
  });

  it('gives up waiting while paused, runs again after resume, and leaves running tasks alone', async () => {
    const slots = new Slots(1, new AbortController().signal);
    const held = gate();
    await slots.run(() => held.promise);
    let ran = 0;
    const waiting = slots.run(async () => {
      ran += 1;
    });
    slots.pause();
    await expect(waiting).resolves.toBe(false);
    // Paused, even a free slot is not taken.
    held.open();
    await expect(slots.idle(1_000)).resolves.toBe(true);
    await expect(slots.run(async () => void (ran += 1))).resolves.toBe(false);
    expect(ran).toBe(0);
    slots.resume();
    await expect(slots.run(async () => void (ran += 1))).resolves.toBe(true);
    expect(ran).toBe(1);
  });

  it('keeps the summed weight of running tasks under the limit, and runs an overweight task alone', async () => {
    const slots = new Slots(10, new AbortController().signal, 100);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const weights = [60, 30, 20, 500];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.promise;
      }, weights[i]),
    );
    await Promise.all([runs[0], runs[1]]);
    await new Promise((resolve) => setImmediate(resolve));
    // 60 + 30 + 20 > 100: the third waits although slots are free.
    expect(started).toEqual([0, 1]);
    expect(slots.weightInFlight).toBe(90);
    gates[0]?.open();
    await runs[2];
    expect(started).toEqual([0, 1, 2]);
    // 500 exceeds the limit on its own: it starts once nothing else runs.
    gates[1]?.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    gates[2]?.open();
    await runs[3];
    expect(started).toEqual([0, 1, 2, 3]);
    expect(slots.weightInFlight).toBe(500);
    gates[3]?.open();
    await expect(slots.idle(1_000)).resolves.toBe(true);
    expect(slots.weightInFlight).toBe(0);
  });

  it('refuses a concurrency below one', () => {
    expect(() => new Slots(0, new AbortController().signal)).toThrow(/positive integer/);
  });
});
