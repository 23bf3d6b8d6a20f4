import { describe, expect, it } from '@jest/globals';
import { commandState } from './command-state.js';

describe('commandState', () => {
  const sent = new Date('2026-12-02T10:00:00Z');
  const at = (s: number) => new Date(sent.getTime() + s * 1000);
  it('is pending until the window passes, then no answer', () => {
    expect(commandState('sent', sent, false, 30_000, at(29))).toBe('pending');
    expect(commandState('sent', sent, false, 30_000, at(30))).toBe('no answer');
  });
  it('is answered once a status came back, whenever it is read', () => {
    expect(commandState('sent', sent, true, 30_000, at(300))).toBe('answered');
  });
  it('keeps the broker’s refusal and a missing handler apart', () => {
    expect(commandState('refused', null, false, 30_000, at(0))).toBe('refused');
    expect(commandState('failed', null, false, 30_000, at(0))).toBe('failed');
    expect(commandState('pending', null, false, 30_000, at(999))).toBe('pending');
  });
});
