// rng.ts — the harness's only source of randomness: a seeded 32-bit PRNG (mulberry32-style
// mixing) and a seed mixer, so that an execution is fully determined by (base seed, index).

/** A 32-bit avalanche of `x` (murmur3's finaliser). */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** The seed of execution `index` of an exploration started with `base`. */
export function executionSeed(base: number, index: number): number {
  return mix32((base ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

/** A string's 32-bit hash (FNV-1a): default base seeds are derived from test names. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 2^32). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number { return Math.floor((this.next() / 4294967296) * n); }
}
