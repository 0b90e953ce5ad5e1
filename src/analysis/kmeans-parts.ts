/**
 * KMeans restarts are independent, so they split across workers: with two cores, two workers each run
 * half of n_init (as scikit-learn's 2-thread figure uses both cores). Each share gets its own seed, so
 * the whole remains reproducible; the best share by inertia wins.
 */
import type { KMeansOptions } from './kmeans';

/** The options of each share: restarts divided as evenly as possible, seeds seed, seed + 1, … */
export function splitRestarts(options: KMeansOptions, parts: number): KMeansOptions[] {
  const shares = Math.max(1, Math.min(parts, options.nInit));
  return Array.from({ length: shares }, (_, i) => ({
    ...options,
    nInit: Math.floor(options.nInit / shares) + (i < options.nInit % shares ? 1 : 0),
    seed: options.seed + i,
  }));
}

/** The share with the lowest inertia; its time is the slowest share's, since they ran side by side. */
export function bestShare<T extends { inertia: number; seconds: number }>(shares: readonly T[]): T {
  if (shares.length === 0) throw new Error('bestShare needs at least one share');
  const best = shares.reduce((a, b) => (b.inertia < a.inertia ? b : a));
  return { ...best, seconds: Math.max(...shares.map((s) => s.seconds)) };
}
