import { describe, expect, it } from '@jest/globals';
import { backoffDelay, sleep } from './backoff.js';

describe('backoffDelay', () => {
  const bounds = { initialMs: 100, maxMs: 1_000 };

  it('doubles from the initial delay and stays within half to all of it', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, bounds, () => 1))).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, bounds, () => 0))).toEqual([50, 100, 200, 400]);
  });

  it('never exceeds the cap, however many attempts failed', () => {
    expect(backoffDelay(4, bounds, () => 1)).toBe(1_000);
    expect(backoffDelay(10_000, bounds, () => 1)).toBe(1_000);
  });
});

describe('sleep', () => {
  it('ends at once when its signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
