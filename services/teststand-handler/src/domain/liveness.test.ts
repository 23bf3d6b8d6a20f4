import { describe, expect, it } from '@jest/globals';
import { afterSeen, leftUnannounced, wentSilent } from './liveness.js';

const t = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));

describe('liveness', () => {
  it('a stand first heard comes online', () => {
    expect(afterSeen(undefined, 's', t(0))).toEqual({
      next: { stand: 's', lastSeen: t(0).toISOString(), online: true },
      cameOnline: true,
    });
  });
  it('an online stand heard later moves its last-seen time, without a new online event', () => {
    const current = { stand: 's', lastSeen: t(0).toISOString(), online: true };
    expect(afterSeen(current, 's', t(5))).toEqual({
      next: { ...current, lastSeen: t(5).toISOString() },
      cameOnline: false,
    });
    // A message handled late by another replica changes nothing.
    expect(afterSeen({ ...current, lastSeen: t(9).toISOString() }, 's', t(5))).toBeUndefined();
  });
  it('an offline stand heard again comes back online', () => {
    expect(
      afterSeen({ stand: 's', lastSeen: t(0).toISOString(), online: false }, 's', t(100))?.cameOnline,
    ).toBe(true);
  });
  it('goes silent only past the configured time, and only once', () => {
    const current = { stand: 's', lastSeen: t(0).toISOString(), online: true };
    expect(wentSilent(current, t(30), 30_000)).toBe(false);
    expect(wentSilent(current, t(31), 30_000)).toBe(true);
    expect(wentSilent({ ...current, online: false }, t(99), 30_000)).toBe(false);
  });
  it('a transition still in its entry is left over only once the grace has passed', () => {
    const left = {
      eventId: 'x',
      kind: 'offline' as const,
      receivedAt: t(0).toISOString(),
      writtenAt: t(10).toISOString(),
    };
    expect(leftUnannounced(left, t(10), 10_000)).toBe(false);
    expect(leftUnannounced(left, t(20), 10_000)).toBe(false);
    expect(leftUnannounced(left, t(21), 10_000)).toBe(true);
  });
});
