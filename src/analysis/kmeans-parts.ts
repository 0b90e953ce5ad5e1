/**
 * KMeans restarts are independent, so they split across workers (one per core, as scikit-learn's 2-thread figure
 * uses both cores). Where the page may share memory (cross-origin isolated), the workers take restarts one at a
 * time from a shared counter: restarts run 60–180 iterations each on the reference latents, so fixed halves of
 * n_init kept one worker busy while the other idled (0.86 s against 0.78 s in one bench run). Elsewhere each
 * worker runs a fixed range. Either way restart i seeds its own generator (see {@link RestartClaims}), so the
 * fit is the same for any number of workers and any split; the best restart by inertia wins, ties to the lower
 * index.
 */
import { type KMeansProgress, type RestartClaims, restartRange } from './kmeans';

/**
 * Analysis workers for a machine with `logicalCores` logical cores: one per core up to 4 (on larger machines one per
 * core pair, as for the WASM threads, ./worker/engine/wasm-threads), at least 2 and at most 4 (n_init is 10 by
 * default, and each worker holds its own copy of the codes). Claimed restarts give the same fit for any count.
 */
export function analysisWorkerCount(logicalCores: number): number {
  const cores = Number.isFinite(logicalCores) && logicalCores >= 1 ? Math.floor(logicalCores) : 2;
  return Math.max(2, Math.min(4, cores <= 4 ? cores : Math.ceil(cores / 2)));
}

/** Which restarts one worker runs: claimed from a counter shared by all the job's workers, or a fixed range. */
export type RestartShare = { kind: 'shared'; counter: Int32Array } | { kind: 'range'; first: number; count: number };

/**
 * One share per worker that has work: min(workers, nInit) shares. With `sharedMemory`, all claim from one
 * counter (an Int32Array on a SharedArrayBuffer, starting at 0); otherwise nInit is divided as evenly as
 * possible into consecutive ranges, the first shares taking one more.
 */
export function shareRestarts(nInit: number, workers: number, sharedMemory: boolean): RestartShare[] {
  const shares = Math.max(1, Math.min(workers, nInit));
  if (sharedMemory && shares > 1) {
    const counter = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
    return Array.from({ length: shares }, () => ({ kind: 'shared', counter }));
  }
  let first = 0;
  return Array.from({ length: shares }, (_, i) => {
    const count = Math.floor(nInit / shares) + (i < nInit % shares ? 1 : 0);
    const share: RestartShare = { kind: 'range', first, count };
    first += count;
    return share;
  });
}

/** The claims a worker makes for its share of a fit of `nInit` restarts. */
export function claimsOf(share: RestartShare, nInit: number): RestartClaims {
  if (share.kind === 'range') return restartRange(share.first, share.count);
  const { counter } = share;
  return {
    next: () => {
      const index = Atomics.add(counter, 0, 1);
      return index < nInit ? index : null;
    },
  };
}

/** What the shares' results need for choosing the best: its inertia, its restart's index and its time. */
interface ShareResult {
  inertia: number;
  bestInit: number;
  seconds: number;
}

/** The lowest inertia (ties to the lower restart index); its time is the slowest share's, since they ran side by side. */
export function bestShare<T extends ShareResult>(shares: readonly T[]): T {
  if (shares.length === 0) throw new Error('bestShare needs at least one share');
  const best = shares.reduce((a, b) => (b.inertia < a.inertia || (b.inertia === a.inertia && b.bestInit < a.bestInit) ? b : a));
  return { ...best, seconds: Math.max(...shares.map((s) => s.seconds)) };
}

/** Progress of all shares as one: restarts done out of all, the latest iteration, the best inertia. */
export function combineProgress(shares: readonly (KMeansProgress | null)[], nInit: number): KMeansProgress | null {
  const known = shares.filter((p): p is KMeansProgress => p !== null);
  if (known.length === 0) return null;
  return {
    init: Math.min(
      nInit,
      known.reduce((sum, p) => sum + Math.min(p.init, p.nInit), 0),
    ),
    nInit,
    iteration: Math.max(...known.map((p) => p.iteration)),
    inertia: Math.min(...known.map((p) => p.inertia)),
  };
}

/**
 * How one share of a KMeans job ended: done (with its best restart, or null when the other workers claimed every
 * restart before it took one), or cancelled; either way with the restarts it finished.
 */
export type ShareEnd<T> = { status: 'done'; summary: T | null; completedInits: number } | { status: 'cancelled'; completedInits: number };

/** How the whole job ended, once every share has: the best share's result, or cancelled with what all shares finished. */
export type JobEnd<T> = { status: 'done'; summary: T } | { status: 'cancelled'; completedInits: number; message: string };

/**
 * The job's end from its shares' ends (null while a share is still running). A job with any share cancelled is
 * cancelled; its message counts the restarts every share finished against the job's `nInit`, not one share's
 * count against its own part.
 */
export function combineShareEnds<T extends ShareResult>(ends: readonly (ShareEnd<T> | null)[], nInit: number): JobEnd<T> | null {
  const known = ends.filter((end): end is ShareEnd<T> => end !== null);
  if (known.length < ends.length) return null;
  if (known.every((end) => end.status === 'done')) {
    const results = known.flatMap((end) => (end.status === 'done' && end.summary !== null ? [end.summary] : []));
    if (results.length === 0) throw new Error('KMeans: every share ended without a restart');
    return { status: 'done', summary: bestShare(results) };
  }
  const completedInits = known.reduce((sum, end) => sum + end.completedInits, 0);
  return { status: 'cancelled', completedInits, message: `Cancelled after ${completedInits} of ${nInit} initialisations.` };
}
