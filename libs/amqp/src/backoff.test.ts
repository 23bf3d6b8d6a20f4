import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const bounds = { initialMs: 100, maxMs: 5_000 };

  it('doubles per attempt and stays in the upper half of each step', () => {
    expect(backoffDelay(0, bounds, () => 0)).toBe(50);
    expect(backoffDelay(0, bounds, () => 1)).toBe(100);
    expect(backoffDelay(3, bounds, () => 0)).toBe(400);
    expect(backoffDelay(3, bounds, () => 1)).toBe(800);
  });

  it('never exceeds maxMs, even after very many attempts', () => {
    expect(backoffDelay(10, bounds, () => 1)).toBe(5_000);
    expect(backoffDelay(10_000, bounds, () => 1)).toBe(5_000);
    expect(backoffDelay(10_000, bounds, () => 0)).toBe(2_500);
  });
});
