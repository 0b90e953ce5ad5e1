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

/**
 * A unit is dead (carries next to no information about the image) when its variance over the data is at most
 * this share of the largest unit's variance: a standard deviation under 1% of the liveliest unit's. Relative,
 * so it works for any code scale: a dead ReLU unit is exactly 0 (variance 0), a saturated ELU unit sits at −1.
 * On the reference CNN · ELU latents (fixture) this finds the 21 units that never rise above 0 (variances up to
 * 2.3e-6 against 140 for the widest unit) and one more (8e-4), which rises above 0 on one digit in 2,000; the
 * next unit (0.099) is above 0 on 56. After short training saturated ELU units still wobble (variance ~1e-5
 * against ~2), which a share of 1e-6 missed.
 */
export const DEAD_VARIANCE_SHARE = 1e-4;

/** Per-unit figures of a set of latent vectors; every array has one entry per unit (length D). */
export interface UnitStats {
  mean: Float64Array;
  /** population variance (divided by n) */
  variance: Float64Array;
  min: Float32Array;
  max: Float32Array;
  /** variance ≤ DEAD_VARIANCE_SHARE × the largest variance */
  dead: boolean[];
  /** unit indices by variance, highest first (ties by unit index) */
  order: Int32Array;
}

/**
 * Mean, variance, range and dead flag of each unit over n rows, and the units ordered by variance.
 * Two passes (mean, then squared deviations) so a unit pinned near −1 gets a variance near 0, not a
 * cancellation error of the size of 1e-7.
 * @param latents n × d row-major
 */
export function unitStats(latents: Float32Array, n: number, d: number): UnitStats {
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  const min = new Float32Array(d).fill(Infinity);
  const max = new Float32Array(d).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const value = latents[row + j];
      mean[j] += value;
      if (value < min[j]) min[j] = value;
      if (value > max[j]) max[j] = value;
    }
  }
  for (let j = 0; j < d; j++) mean[j] = n > 0 ? mean[j] / n : 0;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) {
      const deviation = latents[row + j] - mean[j];
      variance[j] += deviation * deviation;
    }
  }
  let largest = 0;
  for (let j = 0; j < d; j++) {
    variance[j] = n > 0 ? variance[j] / n : 0;
    if (variance[j] > largest) largest = variance[j];
  }
  if (n === 0) {
    min.fill(0);
    max.fill(0);
  }
  const dead = Array.from(variance, (v) => v <= DEAD_VARIANCE_SHARE * largest);
  const order = Int32Array.from({ length: d }, (_, j) => j).sort((a, b) => variance[b] - variance[a] || a - b);
  return { mean, variance, min, max, dead, order };
}
