// Seeded, platform-independent randomness for everything in the data pipeline that must be reproducible
// (instance selection, shuffling, the built-in task generator).
//
// PRNG: mulberry32 (Tommy Ettinger's 32-bit generator, public domain): one 32-bit state, period 2^32,
// uniform floats in [0, 1) built from the 32-bit output. Not cryptographic; fast and good enough for
// shuffles. Every step is 32-bit integer math (Math.imul, >>>), so the sequence is identical on every
// JS engine and platform.

/** A function returning uniform floats in [0, 1). */
export type Random = () => number;

/** mulberry32 seeded with the low 32 bits of `seed`. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/**
 * Fisher-Yates (Durstenfeld) shuffle, in place: for i from the last index down to 1, swap element i with
 * a uniform index j in [0, i]. Returns the same array.
 */
export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** A shuffled copy of 0..n-1. */
export function shuffledIndices(n: number, random: Random): number[] {
  return shuffleInPlace(Array.from({ length: n }, (_, i) => i), random);
}

/**
 * Derive a 32-bit seed from a base seed and a list of parts (numbers or strings), so that independent
 * streams (one per task, one per epoch) do not overlap and adding a stream does not shift the others.
 * FNV-1a over the parts' text, then one murmur3 finalizer round.
 */
export function deriveSeed(seed: number, ...parts: Array<number | string>): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
