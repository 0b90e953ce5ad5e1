/**
 * Seeded pseudo-random numbers. Every randomised algorithm takes an `rng: () => number` so runs are
 * reproducible and tests can pin exact results; nothing here touches `Math.random`.
 */

/** A uniform generator on [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: 32-bit state, period 2^32, passes the usual small-crush batteries — ample for shuffling,
 * k-means++ seeding and t-SNE initialisation.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples via Box–Muller (one of each pair is discarded to keep the state simple). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle of `indices` in place. */
export function shuffleInPlace(indices: Uint32Array | Int32Array, rng: Rng): void {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = indices[i];
    indices[i] = indices[j];
    indices[j] = tmp;
  }
}
