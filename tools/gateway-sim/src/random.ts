/**
 * Deterministic randomness without state: a value is a pure function of the seed and a key
 * (gateway, node, time slot…). That is what lets the simulators answer "what did node 7 say at
 * 03:10 eleven days ago" identically from NodeStatus, NodeHistory and the record, in any order.
 */

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A finaliser (murmur3's fmix32) so neighbouring keys give unrelated values. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from the seed and the key parts. */
export function rand(seed: number, ...key: (string | number)[]): number {
  return mix(fnv1a(`${seed}|${key.join('|')}`)) / 0x1_0000_0000;
}

/** Whole number in [min, max]. */
export function randInt(seed: number, min: number, max: number, ...key: (string | number)[]): number {
  return min + Math.floor(rand(seed, ...key) * (max - min + 1));
}

export function pick<T>(seed: number, items: readonly T[], ...key: (string | number)[]): T {
  const item = items[Math.floor(rand(seed, ...key) * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** A sequential generator for things built once (site layouts), seeded from the key. */
export function sequence(seed: number, ...key: (string | number)[]): () => number {
  let n = 0;
  return () => rand(seed, ...key, n++);
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
