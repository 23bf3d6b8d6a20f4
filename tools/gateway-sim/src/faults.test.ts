import { describe, expect, it } from '@jest/globals';
import { createFaults } from './faults.js';

describe('fault injection', () => {
  it('serves queued faults first, for that gateway only', () => {
    const f = createFaults(1);
    f.next('BADOCK', 'timeout', 2);
    expect(f.decide('GOLDNEY').kind).toBeNull();
    expect(f.decide('BADOCK').kind).toBe('timeout');
    expect(f.decide('BADOCK').kind).toBe('timeout');
    expect(f.decide('BADOCK').kind).toBeNull();
  });

  it('holds the next poll of a gateway only, letting its other requests through', () => {
    const f = createFaults(1);
    f.holdNextPoll('BADOCK');
    expect(f.decide('BADOCK').kind).toBeNull();
    expect(f.decide('GOLDNEY', true).kind).toBeNull();
    expect(f.decide('BADOCK', true).kind).toBe('timeout');
    expect(f.decide('BADOCK', true).kind).toBeNull();
  });

  it('draws rates deterministically and about as often as asked', () => {
    const draw = () => {
      const f = createFaults(3, { failRate: 0.2, malformedRate: 0.1 });
      return Array.from({ length: 2000 }, () => f.decide('BADOCK').kind);
    };
    const kinds = draw();
    expect(draw()).toEqual(kinds);
    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    expect(share('http500')).toBeGreaterThan(0.15);
    expect(share('http500')).toBeLessThan(0.25);
    expect(share('malformed')).toBeGreaterThan(0.06);
    expect(share('malformed')).toBeLessThan(0.14);
  });

  it('merges per-gateway settings over the default and refuses nonsense', () => {
    const f = createFaults(1, { latencyMs: 50 });
    f.set('BADOCK', { failRate: 1 });
    expect(f.settingsFor('BADOCK')).toMatchObject({ latencyMs: 50, failRate: 1 });
    expect(f.settingsFor('GOLDNEY').failRate).toBe(0);
    expect(() => f.set('BADOCK', { failRate: 2 })).toThrow(/probability/);
    f.removeNode('BADOCK', 17);
    expect(f.isRemoved('BADOCK', '17')).toBe(true);
    f.clear();
    expect(f.isRemoved('BADOCK', 17)).toBe(false);
    expect(f.settingsFor('BADOCK').latencyMs).toBe(0);
  });
});
