import { describe, expect, it } from '@jest/globals';
import { jitterMs, LATEST_START, nextDue, SPREAD } from './scheduler.js';

describe('poll schedule', () => {
  const interval = 300_000;

  it('spreads offsets over the first part of the slot, the same for every replica', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => jitterMs(`gw-${i}`, interval));
    expect(Math.max(...offsets)).toBeLessThan(interval * SPREAD);
    expect(new Set(offsets).size).toBeGreaterThan(150);
    expect(jitterMs('gw-1', interval)).toBe(offsets[1]);
    expect(SPREAD).toBeLessThan(LATEST_START);
  });

  it('is due once per slot: never again in the slot of the last poll, whoever made it', () => {
    const slot = 1_000 * interval;
    const offset = jitterMs('badock', interval);
    expect(nextDue('badock', interval, slot + 1, undefined)).toBe(slot + offset);
    expect(nextDue('badock', interval, slot + offset + 5_000, slot + offset)).toBe(slot + interval + offset);
    // Polled late in the previous slot: due in this one all the same.
    expect(nextDue('badock', interval, slot + 10, slot - 1)).toBe(slot + offset);
  });
});
