/**
 * Summary figures of a set of latent vectors (N × D row-major Float32Array).
 */

/**
 * Units that never fire: a unit is dead when its value is ≤ 0 for every row. With ReLU latents a dead
 * unit carries no information at all (the reference dense model ends with 19 of 64 dead).
 * @returns a boolean per unit (length D)
 */
export function deadUnits(latents: Float32Array, n: number, d: number): boolean[] {
  const alive = new Array<boolean>(d).fill(false);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) if (latents[row + j] > 0) alive[j] = true;
  }
  return alive.map((a) => !a);
}

/**
 * Linear interpolation between two latent vectors, endpoints included.
 * @returns steps × D row-major
 */
export function interpolateLatents(from: Float32Array, to: Float32Array, steps: number): Float32Array {
  const d = from.length;
  const out = new Float32Array(steps * d);
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    for (let j = 0; j < d; j++) out[s * d + j] = (1 - t) * from[j] + t * to[j];
  }
  return out;
}
