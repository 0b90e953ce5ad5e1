/**
 * KMeans restarts are independent, so they split across workers: with two cores, two workers each run
 * half of n_init (as scikit-learn's 2-thread figure uses both cores). Each share gets its own seed, so
 * the whole remains reproducible; the best share by inertia wins.
 */
import type { KMeansOptions, KMeansProgress } from './kmeans';

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

/** Progress of all shares as one: restarts done out of all, the latest iteration, the best inertia. */
export function combineProgress(shares: readonly (KMeansProgress | null)[], nInit: number): KMeansProgress | null {
  const known = shares.filter((p): p is KMeansProgress => p !== null);
  if (known.length === 0) return null;
  return {
    init: known.reduce((sum, p) => sum + Math.min(p.init, p.nInit), 0),
    nInit,
    iteration: Math.max(...known.map((p) => p.iteration)),
    inertia: Math.min(...known.map((p) => p.inertia)),
  };
}

/** How one share of a KMeans job ended: with its result, or cancelled after some of its restarts. */
export type ShareEnd<T> = { status: 'done'; summary: T } | { status: 'cancelled'; completedInits: number };

/** How the whole job ended, once every share has: the best share's result, or cancelled with what all shares finished. */
export type JobEnd<T> = { status: 'done'; summary: T } | { status: 'cancelled'; completedInits: number; message: string };

/**
 * The job's end from its shares' ends (null while a share is still running). A job with any share cancelled is
 * cancelled; its message counts the restarts every share finished against the job's `nInit` (a share that
 * finished counts all of its restarts), not one share's count against its own part.
 */
export function combineShareEnds<T extends { inertia: number; seconds: number }>(
  ends: readonly (ShareEnd<T> | null)[],
  shareInits: readonly number[],
  nInit: number,
): JobEnd<T> | null {
  const known = ends.filter((end): end is ShareEnd<T> => end !== null);
  if (known.length < ends.length) return null;
  const done = known.flatMap((end) => (end.status === 'done' ? [end.summary] : []));
  if (done.length === known.length) return { status: 'done', summary: bestShare(done) };
  const completedInits = ends.reduce((sum, end, part) => sum + (end?.status === 'cancelled' ? end.completedInits : (shareInits[part] ?? 0)), 0);
  return { status: 'cancelled', completedInits, message: `Cancelled after ${completedInits} of ${nInit} initialisations.` };
}
