import { describe, expect, it } from '@jest/globals';
import { Window } from './window.js';

describe('Window', () => {
  it('never lets more than its size run, and serves waiters in order', async () => {
    const window = new Window(2);
    const releases: (() => void)[] = [];
    const started: number[] = [];
    let peak = 0;
    const tasks = [1, 2, 3, 4, 5].map((n) =>
      window.run(async () => {
        started.push(n);
        peak = Math.max(peak, window.inUse);
        await new Promise<void>((resolve) => releases.push(resolve));
        return n;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    while (started.length < 5 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(tasks)).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    expect(window.inUse).toBe(0);
  });

  it('frees the place of a task that failed', async () => {
    const window = new Window(1);
    await expect(window.run(async () => Promise.reject(new Error('nack')))).rejects.toThrow('nack');
    await expect(window.run(async () => 'next')).resolves.toBe('next');
  });
});
