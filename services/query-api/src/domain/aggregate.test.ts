import { describe, expect, it } from '@jest/globals';
import { fillBuckets, type BucketStats } from './aggregate.js';

const H = 3_600_000;
const stats = (bucket: number, over: Partial<BucketStats> = {}): BucketStats => ({
  bucket,
  min: 1,
  max: 3,
  sum: 4,
  count: 3,
  value_count: 2,
  good_count: 2,
  first: 1,
  last: 3,
  ...over,
});

describe('fillBuckets', () => {
  it('averages over samples with a value, keeps empty buckets and measures coverage against the bucket length', () => {
    const list = [
      { start: 0, end: 25 * H },
      { start: 25 * H, end: 48 * H },
    ];
    const out = fillBuckets(list, [stats(0)], ['avg', 'count', 'last'], 3600);
    expect(out[0]).toEqual({
      start: 0,
      end: 25 * H,
      count: 3,
      coverage: 2 / 25,
      values: { avg: 2, count: 3, last: 3 },
    });
    expect(out[1]).toEqual({
      start: 25 * H,
      end: 48 * H,
      count: 0,
      coverage: 0,
      values: { avg: null, count: 0, last: null },
    });
  });

  it('gives null coverage without an interval and refuses buckets the calendar does not know', () => {
    expect(fillBuckets([{ start: 0, end: H }], [], ['min'], undefined)[0]!.coverage).toBeNull();
    expect(() => fillBuckets([{ start: 0, end: H }], [stats(H / 2)], ['min'], 60)).toThrow(/disagree/);
  });

  it('gives demand as the use over the real length of the bucket (a 25-hour day)', () => {
    const list = [
      { start: 0, end: 25 * H },
      { start: 25 * H, end: 48 * H },
    ];
    const out = fillBuckets(
      list,
      [stats(0, { delta: 250 }), stats(25 * H, { delta: null })],
      ['delta', 'demand'],
      900,
    );
    expect(out.map((b) => b.values)).toEqual([
      { delta: 250, demand: 10 },
      { delta: null, demand: null },
    ]);
  });
});
