/**
 * K-means clustering (Lloyd's algorithm) on flat typed arrays, matching scikit-learn's `KMeans` with
 * `algorithm="lloyd"`: greedy k-means++ seeding, `nInit` restarts kept by lowest inertia, the same
 * stopping rules (labels unchanged, or total squared centre shift ≤ tol × mean per-feature variance) and
 * the same final re-assignment when a run stops on the tolerance or the iteration cap.
 *
 * Speed comes from the following, none of which changes which centre a row is assigned to:
 *  - the hot loops run as WebAssembly SIMD kernels where the platform has them (Node ≥ 20, Chromium),
 *    on rows kept as float32 when that is exact, else as JavaScript on float64 rows; both compute the
 *    same float64 numbers bit for bit (see {@link ./kmeans-workspace} and {@link ./wasm/kmeans-simd});
 *  - squared distances use ‖x‖² − 2x·c + ‖c‖² with precomputed norms; the seeding's dense passes take
 *    several rows and four candidates at a time;
 *  - Elkan's bounds, kept lazily, plus one "slack" per row, skip every distance that cannot change a
 *    label (see {@link LloydWorkspace}): on the reference latents 94% of the distances plain Lloyd
 *    computes are never computed (97% once the first ~40 iterations of a restart are over);
 *  - where most rows of a block fail those bounds (the first iterations of a restart), the rows get
 *    bounds on every centre at once instead of Elkan's walk, which leaves them all tight;
 *  - the seeding computes every candidate's distance to every row anyway, so it leaves exact labels and
 *    bounds behind and the first Lloyd assignment costs nothing.
 * Subnormals cannot slow anything: float32 values become normal float64 numbers when widened, and no
 * float64 quantity here gets anywhere near 1e-308.
 *
 * Layout: data are N×D row-major (`data[i * d + t]`), centroids K×D row-major, labels one per row.
 */

import type { JobHooks } from './job';
import { featureDeviations, type KMeansBackend, LloydWorkspace, toFloat64 } from './kmeans-workspace';
import { mulberry32, type Rng } from './rng';
import { yieldToEventLoop } from './yield';

export type { KMeansBackend } from './kmeans-workspace';

/** Parameters of {@link KMeans}; every field has a default in {@link DEFAULT_KMEANS_OPTIONS}. */
export interface KMeansOptions {
  /** Number of clusters K (integer, 1 ≤ K ≤ N). */
  k: number;
  /** Independent k-means++ restarts; the run with the lowest inertia is kept. */
  nInit: number;
  /** Upper limit on Lloyd iterations per restart. */
  maxIter: number;
  /**
   * Relative tolerance. As in scikit-learn a run stops when the summed squared centre shift of one
   * iteration is ≤ tol × (mean over features of the per-feature variance of the data), which makes the
   * rule independent of the data's scale.
   */
  tol: number;
  /** Seed for the default mulberry32 generator (ignored when an `rng` is passed explicitly). */
  seed: number;
}

/** scikit-learn's defaults (`n_clusters=10`, `n_init=10`, `max_iter=300`, `tol=1e-4`) and seed 42. */
export const DEFAULT_KMEANS_OPTIONS: Readonly<KMeansOptions> = Object.freeze({
  k: 10,
  nInit: 10,
  maxIter: 300,
  tol: 1e-4,
  seed: 42,
});

/** The best of the `nInit` runs. */
export interface KMeansResult {
  /** Int32Array(N): cluster of each row, in 0…K−1. */
  labels: Int32Array;
  /** Float32Array(K×D), row-major: the centroids the labels were last assigned against. */
  centroids: Float32Array;
  /** Sum over rows of the squared Euclidean distance to the row's centroid, accumulated in float64. */
  inertia: number;
  /** Lloyd iterations the kept run took (scikit-learn's `n_iter_`). */
  iterations: number;
  /** Zero-based index of the kept run among the `nInit` restarts. */
  bestInit: number;
}

/** Progress of a {@link KMeans} fit, reported between iterations. */
export interface KMeansProgress {
  /**
   * Zero-based index of the restart in progress (equals `nInit` once all are done); when restarts are claimed
   * ({@link RestartClaims}), the restarts this fit has finished.
   */
  init: number;
  /** Total restarts. */
  nInit: number;
  /** Lloyd iterations completed in the restart in progress (0 right after seeding). */
  iteration: number;
  /**
   * Inertia of the current partition about its own centroids (exact, not a bound; at most the inertia
   * the run will end with). After the last restart: the kept run's inertia.
   */
  inertia: number;
}

/** Hooks for {@link runKMeans}. */
export interface KMeansRunCallbacks extends JobHooks<KMeansProgress> {
  /** Called at most once per yield to the event loop, and once at the end. */
  onProgress?(p: KMeansProgress): void;
  /** Polled before every step; returning true ends the fit with a `cancelled` outcome. */
  shouldStop?(): boolean;
  /**
   * Minimum milliseconds of work between yields (default {@link DEFAULT_YIELD_INTERVAL_MS}); 0 yields
   * after every iteration.
   */
  yieldIntervalMs?: number;
}

/**
 * How often {@link runKMeans} gives the event loop a turn. The reference fit takes ~1,200 iterations of
 * 1–3 ms; yielding every 15 ms keeps the turns to ~1% of the work and cancellation still answers within
 * a frame. The turn is {@link yieldToEventLoop}'s, not a `setTimeout(0)`: browsers clamp nested timers
 * to ≥ 4 ms, which made a fit in the analysis worker idle ~20% of its time (bench: 2.29 s → 1.63–1.76 s).
 */
export const DEFAULT_YIELD_INTERVAL_MS = 15;

/**
 * Restarts handed out one at a time, for a fit whose restarts several workers share: `next()` gives the index
 * (0 … nInit − 1) of a restart no one has taken yet, or null once all are taken. A worker that finishes its
 * restart early takes the next one, so the workers finish together however long each restart runs. Each
 * claimed restart seeds its own generator ({@link restartSeed}), so the fit is the same whichever worker runs
 * which restart, and however many workers there are.
 */
export interface RestartClaims {
  next(): number | null;
}

/** The claims of restarts first … first + count − 1, in order (one worker's fixed share, or a whole fit). */
export function restartRange(first: number, count: number): RestartClaims {
  let at = first;
  return { next: () => (at < first + count ? at++ : null) };
}

/**
 * The seed of claimed restart `index` of a fit seeded `seed`: both mixed (a 32-bit finaliser, as in
 * MurmurHash3) so that neighbouring restarts and neighbouring seeds start unrelated generators.
 */
export function restartSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** What {@link runKMeans} resolves to. */
export type KMeansOutcome =
  | {
      status: 'completed';
      /** The best restart, or null when restarts were claimed and others took them all. */
      result: KMeansResult | null;
      /** Restarts this fit ran. */
      completedInits: number;
    }
  | {
      status: 'cancelled';
      /** Best of the restarts that finished before the stop, or null when none had. */
      bestSoFar: KMeansResult | null;
      /** Restarts that finished before the stop. */
      completedInits: number;
    };

/**
 * The absolute stopping threshold scikit-learn derives from `tol`: tol × mean over the D features of
 * each feature's (population) variance. `data` is N×D row-major.
 */
export function kmeansTolerance(data: ArrayLike<number>, n: number, d: number, tol: number): number {
  if (n === 0 || d === 0) return 0;
  return toleranceFrom(featureDeviations(data, n, d), n, d, tol);
}

/** {@link kmeansTolerance} from the summed squared deviations (see kmeans-workspace.ts's `featureDeviations`). */
function toleranceFrom(deviations: number, n: number, d: number, tol: number): number {
  return (deviations / n / d) * tol;
}

/** Merges partial options over the defaults and checks them against the data size. */
function resolveOptions(options: Partial<KMeansOptions>, n: number): KMeansOptions {
  const o: KMeansOptions = { ...DEFAULT_KMEANS_OPTIONS, ...options };
  if (!Number.isInteger(o.k) || o.k < 1) throw new RangeError(`kmeans: k must be a positive integer, got ${o.k}`);
  if (o.k > n) throw new RangeError(`kmeans: k = ${o.k} exceeds the number of rows (${n})`);
  if (!Number.isInteger(o.nInit) || o.nInit < 1) throw new RangeError(`kmeans: nInit must be a positive integer, got ${o.nInit}`);
  if (!Number.isInteger(o.maxIter) || o.maxIter < 1) throw new RangeError(`kmeans: maxIter must be a positive integer, got ${o.maxIter}`);
  if (!(o.tol >= 0)) throw new RangeError(`kmeans: tol must be ≥ 0, got ${o.tol}`);
  return o;
}

/** Rejects non-integer or empty shapes and data shorter than N×D. */
function checkShape(data: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) {
    throw new RangeError(`kmeans: n and d must be positive integers, got n=${n}, d=${d}`);
  }
  if (data.length < n * d) throw new RangeError(`kmeans: data has ${data.length} values, fewer than n×d = ${n * d}`);
}

/** 2 + ⌊ln K⌋ candidates per centre: scikit-learn's choice (from Arthur & Vassilvitskii's experiments). */
export function kmeansPlusPlusTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/** First index i with cum[i] > r (cum non-decreasing), clipped to the last index. */
function searchCumulative(cum: Float64Array, r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Scratch for {@link seedPlusPlus}, allocated once per fit: the candidates of one centre. */
export class SeedBuffers {
  readonly candidates: Int32Array;

  constructor(k: number) {
    this.candidates = new Int32Array(kmeansPlusPlusTrials(k));
  }
}

/**
 * Greedy k-means++ into `ws.centres`, as scikit-learn does it: the first centre is a uniformly drawn
 * row; each next one is the best of `2 + ⌊ln K⌋` rows drawn with probability ∝ D(x)² (D = distance to
 * the nearest chosen centre), "best" meaning the one that leaves the smallest Σ D².
 *
 * The candidates' distances to every row are needed anyway, so they are kept: the seeding leaves labels
 * (nearest centre), upper bounds and Elkan lower bounds behind, and the first Lloyd assignment costs
 * nothing. For float64 rows these are exact. For float32 rows the distances come from float32 dot
 * products, as in the assignment (half the work: the seeding took ~17% of a fit before), so the bounds
 * are widened by their error bound and a label may pick either of two centres closer to equal than that.
 * (Skipping candidate distances by the triangle inequality was measured: it rules out only ~10% of them,
 * since candidates are drawn from rows far from every centre.)
 * Returns the chosen row indices. Exported for the tests of the bounds it leaves.
 */
export function seedPlusPlus(ws: LloydWorkspace, rng: Rng, buffers: SeedBuffers): Int32Array {
  const { x, centres, candPot, cum, n, d, k } = ws;
  const { candidates } = buffers;
  const trials = candidates.length;
  const chosen = new Int32Array(k);
  ws.resetDrift();
  const first = Math.min(n - 1, Math.floor(rng() * n));
  chosen[0] = first;
  centres.set(x.subarray(first * d, first * d + d), 0);
  ws.candidateDistances1(0, first, false);
  // Σ D² (D = distance to the nearest chosen centre) and its running sums in `cum`, left by acceptCentre.
  let pot = ws.acceptCentre(0, first, 0);
  for (let c = 1; c < k; c++) {
    for (let t = 0; t < trials; t++) {
      // Strictly-greater search never picks a row already at distance 0 (scikit-learn's `searchsorted`
      // can, on an exact tie); if every row is at distance 0 the last row is as good as any.
      candidates[t] = searchCumulative(cum, rng() * pot);
    }
    // Each candidate's distances to every row and its Σ D² if it joined (candPot), which the SIMD
    // kernels sum while computing the distances.
    let t = 0;
    for (; t + 4 <= trials; t += 4) ws.candidateDistances4(t, candidates[t], candidates[t + 1], candidates[t + 2], candidates[t + 3]);
    for (; t < trials; t++) ws.candidateDistances1(t, candidates[t], true);
    // np.argmin semantics: the first candidate wins ties.
    let best = 0;
    for (let t = 1; t < trials; t++) if (candPot[t] < candPot[best]) best = t;
    const b = candidates[best];
    chosen[c] = b;
    centres.set(x.subarray(b * d, b * d + d), c * d);
    pot = ws.acceptCentre(c, b, best);
  }
  ws.refreshCentreGeometry();
  ws.refreshAllSlacks();
  ws.recomputeSums();
  return chosen;
}

/** Phase of the {@link KMeans} state machine. */
type Phase = 'uninitialised' | 'seed' | 'iterate' | 'done';

/**
 * K-means as an explicit state machine, so a caller can interleave it with other work:
 * `new KMeans(options)`, `initialize(data, n, d)`, then call `step()` until it returns true and read
 * `getResult()`. One step is either the k-means++ seeding of a restart or one Lloyd iteration (the last
 * iteration of a restart also does its final assignment and inertia).
 */
export class KMeans {
  /** Resolved options (defaults filled in). */
  readonly options: KMeansOptions;
  private rng: Rng;
  /** Where restarts come from when they are claimed (see {@link RestartClaims}); null: 0 … nInit − 1 from one generator. */
  private readonly claims: RestartClaims | null;
  /** Index of the restart in progress among all nInit. */
  private restart = 0;
  private phase: Phase = 'uninitialised';
  private ws: LloydWorkspace | null = null;
  private tolAbs = 0;
  private totalNorm = 0;
  private seedBuffers: SeedBuffers | null = null;
  private init = 0;
  private iteration = 0;
  private inertia = Infinity;
  private best: KMeansResult | null = null;

  /**
   * @param options overrides of {@link DEFAULT_KMEANS_OPTIONS}
   * @param rng uniform [0, 1) generator; defaults to `mulberry32(options.seed)`
   * @param backend which implementation of the hot loops to use (see {@link KMeansBackend})
   * @param claims where restarts come from when workers share them (then each seeds its own generator and
   *   `rng` is unused); by default this fit runs all nInit, in order, from one generator
   */
  constructor(
    options: Partial<KMeansOptions> = {},
    rng?: Rng,
    private readonly backend: KMeansBackend = 'auto',
    claims?: RestartClaims,
  ) {
    this.options = { ...DEFAULT_KMEANS_OPTIONS, ...options };
    this.rng = rng ?? mulberry32(this.options.seed);
    this.claims = claims ?? null;
  }

  /**
   * Takes the data (N×D row-major; copied, so the caller may reuse its buffer) and resets the fit.
   * @throws RangeError on bad shapes or options, or non-finite values; Error when the backend is
   * 'wasm' and WebAssembly SIMD is unavailable.
   */
  initialize(data: ArrayLike<number>, n: number, d: number): void {
    checkShape(data, n, d);
    resolveOptions(this.options, n);
    const k = this.options.k;
    this.ws = null;
    const ws = new LloydWorkspace(data, n, d, k, kmeansPlusPlusTrials(k), this.backend);
    this.ws = ws;
    this.tolAbs = toleranceFrom(ws.featureDeviations(), n, d, this.options.tol);
    this.totalNorm = ws.totalNorm;
    this.seedBuffers = new SeedBuffers(k);
    this.init = 0;
    this.iteration = 0;
    this.inertia = Infinity;
    this.best = null;
    this.phase = 'seed';
  }

  /**
   * Does one unit of work. Returns true once all restarts are done (and keeps returning true).
   * @throws Error if called before {@link initialize}.
   */
  step(): boolean {
    const ws = this.ws;
    const buffers = this.seedBuffers;
    if (ws === null || buffers === null) throw new Error('KMeans.step() called before initialize()');
    const phase = this.phase;
    switch (phase) {
      case 'uninitialised':
        throw new Error('KMeans.step() called before initialize()');
      case 'done':
        return true;
      case 'seed':
        if (this.claims !== null) {
          const claimed = this.claims.next();
          if (claimed === null) {
            this.phase = 'done';
            this.inertia = this.best?.inertia ?? Infinity;
            return true;
          }
          this.restart = claimed;
          this.rng = mulberry32(restartSeed(this.options.seed, claimed));
        } else {
          this.restart = this.init;
        }
        seedPlusPlus(ws, this.rng, buffers);
        this.iteration = 0;
        this.inertia = ws.partitionInertia(this.totalNorm);
        this.phase = 'iterate';
        return false;
      case 'iterate':
        this.iterate(ws);
        return this.phase === 'done';
      default: {
        const unreachable: never = phase;
        throw new Error(`KMeans: unknown phase ${String(unreachable)}`);
      }
    }
  }

  private iterate(ws: LloydWorkspace): void {
    // The first assignment of a restart was done by the seeding; every label "changed" (from none).
    const changes = this.iteration === 0 ? ws.n : ws.assign();
    ws.relocateEmptyClusters();
    const shift = ws.updateCentres();
    this.iteration++;
    this.inertia = ws.partitionInertia(this.totalNorm);
    const strict = changes === 0;
    if (!strict && shift > this.tolAbs && this.iteration < this.options.maxIter) return;
    // Stopped on tolerance or the iteration cap: the labels predate the last centre update, so assign
    // once more, as scikit-learn does, before measuring inertia.
    if (!strict) ws.assign();
    const inertia = ws.exactInertia();
    // Ties go to the lower restart index, so claimed restarts give one answer however they were shared.
    if (this.best === null || inertia < this.best.inertia || (inertia === this.best.inertia && this.restart < this.best.bestInit)) {
      this.best = {
        labels: ws.labels.slice(),
        centroids: Float32Array.from(ws.centres),
        inertia,
        iterations: this.iteration,
        bestInit: this.restart,
      };
    }
    this.init++;
    this.iteration = 0;
    if (this.claims === null && this.init >= this.options.nInit) {
      this.phase = 'done';
      this.inertia = this.best.inertia;
    } else {
      this.phase = 'seed';
    }
  }

  /** Where the fit stands; see {@link KMeansProgress}. */
  progress(): KMeansProgress {
    return { init: this.init, nInit: this.options.nInit, iteration: this.iteration, inertia: this.inertia };
  }

  /** Restarts finished so far. */
  get completedInits(): number {
    return this.init;
  }

  /** The implementation in use since {@link initialize}: 'wasm' (SIMD kernels), 'js', or null before. */
  get backendInUse(): 'wasm' | 'js' | null {
    if (this.ws === null) return null;
    return this.ws.simd !== null ? 'wasm' : 'js';
  }

  /** The best finished restart so far (the final answer once `step()` has returned true), or null. */
  getResult(): KMeansResult | null {
    return this.best;
  }
}

/**
 * Synchronous fit: all `nInit` restarts, best kept.
 * @param data N×D row-major values (float32 or float64)
 * @param rng uniform [0, 1) generator; defaults to `mulberry32(options.seed)`
 * @param backend which implementation of the hot loops to use (see {@link KMeansBackend})
 */
export function kmeans(
  data: ArrayLike<number>,
  n: number,
  d: number,
  options: Partial<KMeansOptions> = {},
  rng?: Rng,
  backend: KMeansBackend = 'auto',
): KMeansResult {
  const km = new KMeans(options, rng, backend);
  km.initialize(data, n, d);
  while (!km.step()) {
    // all work happens in step()
  }
  const result = km.getResult();
  if (result === null) throw new Error('kmeans: finished without a result');
  return result;
}

/**
 * Asynchronous fit for the UI/worker: yields to the event loop ({@link yieldToEventLoop}) between iterations at most
 * every `yieldIntervalMs`, reports progress at each yield, and stops at the next step boundary once
 * `shouldStop()` returns true — resolving `{ status: 'cancelled', bestSoFar }` rather than throwing, so
 * restarts already finished are not lost.
 * @param data N×D row-major values
 * @param claims where restarts come from when workers share a fit (see {@link RestartClaims}); then the result is
 *   null if the others took every restart
 */
export async function runKMeans(
  data: ArrayLike<number>,
  n: number,
  d: number,
  options: Partial<KMeansOptions> = {},
  callbacks: KMeansRunCallbacks = {},
  claims?: RestartClaims,
): Promise<KMeansOutcome> {
  const interval = callbacks.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS;
  const km = new KMeans(options, undefined, 'auto', claims);
  km.initialize(data, n, d);
  let lastYield = performance.now();
  for (;;) {
    if (callbacks.shouldStop?.()) {
      return { status: 'cancelled', bestSoFar: km.getResult(), completedInits: km.completedInits };
    }
    if (km.step()) break;
    if (performance.now() - lastYield >= interval) {
      callbacks.onProgress?.(km.progress());
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  callbacks.onProgress?.(km.progress());
  const result = km.getResult();
  if (result === null && claims === undefined) throw new Error('kmeans: finished without a result');
  return { status: 'completed', result, completedInits: km.completedInits };
}

/**
 * One Lloyd run from given starting centroids (scikit-learn's `init=array, n_init=1`), with the same
 * stopping rules as {@link kmeans}. Useful for warm starts and as a deterministic test hook.
 * @param data N×D row-major values
 * @param initialCentroids K×D row-major
 * @param backend which implementation of the hot loops to use (see {@link KMeansBackend})
 */
export function kmeansFromCentroids(
  data: ArrayLike<number>,
  n: number,
  d: number,
  initialCentroids: ArrayLike<number>,
  options: Partial<Pick<KMeansOptions, 'maxIter' | 'tol'>> = {},
  backend: KMeansBackend = 'auto',
): KMeansResult {
  checkShape(data, n, d);
  const k = Math.floor(initialCentroids.length / d);
  if (k * d !== initialCentroids.length) {
    throw new RangeError(`kmeans: ${initialCentroids.length} centroid values is not a multiple of d = ${d}`);
  }
  const o = resolveOptions({ ...options, k, nInit: 1 }, n);
  const ws = new LloydWorkspace(data, n, d, k, 0, backend);
  ws.centres.set(toFloat64(initialCentroids, k, d));
  ws.refreshCentreGeometry();
  // Infinite upper / zero lower bounds force a full scan for every row on the first assignment.
  ws.resetDrift();
  ws.upperRel.fill(Infinity);
  ws.lowerRel.fill(0);
  ws.slackRel.fill(-Infinity);
  ws.labels.fill(0);
  ws.recomputeSums();
  const tolAbs = toleranceFrom(ws.featureDeviations(), n, d, o.tol);
  let iteration = 0;
  for (;;) {
    const changes = ws.assign();
    // Sums were built by moving every row out of cluster 0; rebuild them once to shed that rounding.
    if (iteration === 0) ws.recomputeSums();
    ws.relocateEmptyClusters();
    const shift = ws.updateCentres();
    iteration++;
    // The first assignment starts from no labels, so it can never count as "unchanged".
    if (changes === 0 && iteration > 1) break;
    if (shift <= tolAbs || iteration >= o.maxIter) {
      ws.assign();
      break;
    }
  }
  return {
    labels: ws.labels.slice(),
    centroids: Float32Array.from(ws.centres),
    inertia: ws.exactInertia(),
    iterations: iteration,
    bestInit: 0,
  };
}

/**
 * The k-means++ seeding alone: row indices of the K starting centres that the first restart of
 * {@link kmeans} with the same `rng` state would use. Exposed for tests and for callers that want to
 * inspect or reuse a seeding.
 * @param data N×D row-major values
 * @param backend which implementation of the hot loops to use (see {@link KMeansBackend})
 */
export function kmeansPlusPlus(
  data: ArrayLike<number>,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  backend: KMeansBackend = 'auto',
): Int32Array {
  checkShape(data, n, d);
  resolveOptions({ k }, n);
  const ws = new LloydWorkspace(data, n, d, k, kmeansPlusPlusTrials(k), backend);
  return seedPlusPlus(ws, rng, new SeedBuffers(k));
}
