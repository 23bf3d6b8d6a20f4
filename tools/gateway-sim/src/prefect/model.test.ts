import { describe, expect, it } from '@jest/globals';
import {
  buildSiteNodes,
  latestReading,
  NO_SET_POINT,
  readingAt,
  readingsBetween,
  type PrefectModelOptions,
} from './model.js';

const start = Date.parse('2026-11-01T00:00:00Z') / 1000;
const o: PrefectModelOptions = {
  seed: 7,
  reportIntervalS: 300,
  dropoutRate: 0.03,
  overrideRate: 0.3,
  zone: 'Europe/London',
  installedAtS: start,
};
const nodes = buildSiteNodes(o.seed, 'BADOCK', 20);
const day = 86_400;

describe('Prefect model', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(buildSiteNodes(7, 'BADOCK', 20)).toEqual(nodes);
    expect(buildSiteNodes(8, 'BADOCK', 20).map((n) => n.address)).not.toEqual(nodes.map((n) => n.address));
    expect(new Set(nodes.map((n) => n.address)).size).toBe(20);
  });

  it('has the latest reading equal to the last of the day’s readings', () => {
    const now = start + 3 * day + 12_345;
    for (const n of nodes.slice(0, 5)) {
      const list = readingsBetween(o, n, start + 3 * day, start + 4 * day, now);
      expect(latestReading(o, n, now)).toEqual(list[list.length - 1]);
      expect(list.every((r) => r.receivedAt <= now)).toBe(true);
    }
  });

  it('reports every ~300 s with a few gaps over 500 s, and nothing before installation', () => {
    const gaps: number[] = [];
    for (const n of nodes) {
      const list = readingsBetween(o, n, start - day, start + 2 * day, start + 2 * day);
      expect(list[0]!.receivedAt).toBeGreaterThanOrEqual(start);
      for (let i = 1; i < list.length; i++) gaps.push(list[i]!.receivedAt - list[i - 1]!.receivedAt);
    }
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(240);
    const long = gaps.filter((g) => g > 500).length;
    expect(long).toBeGreaterThan(0);
    expect(long / gaps.length).toBeLessThan(0.1);
  });

  it('shows schedules, overrides, the -100 sentinel and relays switching', () => {
    const all = nodes.flatMap((n) => readingsBetween(o, n, start, start + 7 * day, start + 7 * day));
    const setPoints = new Set(all.map((r) => r.setPoint));
    expect(setPoints).toContain(NO_SET_POINT);
    expect(setPoints).toContain(21);
    expect(all.some((r) => r.adjustedAtReceiver)).toBe(true);
    expect(all.some((r) => r.l1On) && all.some((r) => !r.l1On)).toBe(true);
    expect(all.some((r) => r.presence) && all.some((r) => !r.presence)).toBe(true);
    const rooms = all.filter((r) => r.programName === 'Heating').map((r) => r.currentTemperature);
    expect(Math.min(...rooms)).toBeGreaterThan(5);
    expect(Math.max(...rooms)).toBeLessThan(30);
  });

  it('runs the receivers’ schedules in UK local time, on both sides of a DST change', () => {
    const plain = { ...o, overrideRate: 0 };
    const room = nodes.find((n) => n.kind === 'room')!;
    const setPoint = (iso: string) => readingAt(plain, room, 0, Date.parse(iso) / 1000).setPoint;
    // 06:30 local: 05:30 UTC in summer (BST), 06:30 UTC in winter (GMT).
    expect(setPoint('2026-07-01T05:25:00Z')).not.toBe(21);
    expect(setPoint('2026-07-01T05:35:00Z')).toBe(21);
    expect(setPoint('2026-11-02T06:25:00Z')).not.toBe(21);
    expect(setPoint('2026-11-02T06:35:00Z')).toBe(21);
    // The day after the autumn change already runs on GMT.
    expect(setPoint('2026-10-26T06:25:00Z')).not.toBe(21);
    expect(setPoint('2026-10-24T05:35:00Z')).toBe(21);
  });
});
