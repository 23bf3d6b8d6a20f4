/**
 * Deterministic randomness without state: a value is a pure function of the seed and a key
 * (gateway, node, time slot…). That is what lets the simulators answer "what did node 7 say at
 * 03:10 eleven days ago" identically from NodeStatus, NodeHistory and the record, in any order.
 */

/** A finaliser (murmur3's fmix32) so neighbouring keys give unrelated values. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds one key part into the hash: whole numbers as two 32-bit words, anything else as text (FNV-1a). */
function fold(h: number, part: string | number): number {
  if (typeof part === 'number' && Number.isSafeInteger(part)) {
    h = mix((h ^ (part >>> 0)) + 0x9e3779b9);
    return mix((h ^ Math.floor(part / 0x1_0000_0000)) + 0x7f4a7c15);
  }
  const text = String(part);
  h ^= 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix(h >>> 0);
}

/** Uniform in [0, 1) from the seed and the key parts (hot: called millions of times). */
export function rand(seed: number, ...key: (string | number)[]): number {
  let h = fold(0x2545f491, seed);
  for (const part of key) h = fold(h, part);
  return h / 0x1_0000_0000;
}

/**
 * The hash of a key prefix, to draw many values under it cheaply: `randFrom(prefix, ...rest)`
 * equals `rand(seed, ...key, ...rest)` for `prefix = keyHash(seed, ...key)`.
 */
export function keyHash(seed: number, ...key: (string | number)[]): number {
  let h = fold(0x2545f491, seed);
  for (const part of key) h = fold(h, part);
  return h;
}

export function randFrom(prefix: number, a: string | number, b?: string | number): number {
  let h = fold(prefix, a);
  if (b !== undefined) h = fold(h, b);
  return h / 0x1_0000_0000;
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
