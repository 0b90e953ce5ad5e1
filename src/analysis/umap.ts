/**
 * 2-D UMAP (McInnes, Healy & Melville 2018) on flat typed arrays, following umap-learn 0.5's
 * algorithm and defaults step by step:
 *
 * 1. k nearest neighbours (k = n_neighbors − 1 others: umap-learn counts the point itself as its own
 *    first neighbour) with the kNN code t-SNE uses (exact up to 20,000 points with WebAssembly SIMD, else 8,000; RP-forest + NN-descent
 *    above; knn.ts).
 * 2. Smooth kNN: per point ρ = distance to the nearest other point and σ by binary search so that
 *    Σ_j exp(−max(0, d_ij − ρ_i) / σ_i) = log2(n_neighbors) (`smoothKnnDistances`).
 * 3. Fuzzy union W = A + Aᵀ − A ∘ Aᵀ of the membership strengths (`fuzzyGraph`); edges weaker than
 *    max / epochs are dropped, as umap-learn does, since they would never be sampled.
 * 4. Curve 1 / (1 + a·d^(2b)) fitted to min_dist and spread by Gauss–Newton (`fitCurve`; min_dist 0.1,
 *    spread 1 gives umap-learn's a ≈ 1.577, b ≈ 0.895).
 * 5. SGD with negative sampling: each edge is sampled in proportion to its weight, pulls its ends
 *    together, and pushes the head away from `negativeSampleRate` random points; gradients clipped at
 *    ±4, learning rate decaying linearly to 0 (umap-learn's optimize_layout_euclidean).
 *
 * Initialisation: umap-learn's `init='pca'` — the exact PCA of the data (pca.ts), scaled so the largest
 * coordinate is 10, plus N(0, 10⁻⁴) noise, each axis then stretched to [0, 10] — rather than its default
 * spectral init: PCA is exact, cheap and deterministic, and keeps the global arrangement.
 *
 * Why not umap-js 1.4.0: it holds data and graph as arrays of arrays (number[][]) and runs its own
 * NN-descent. Measured in Node (one thread) on the 60,000 reference latents on a shared 2-core machine
 * (rough figures; CPU seconds are the fairer comparison under load): umap-js 352 s wall, 158.8 CPU-s,
 * 10-NN accuracy 0.9705; this code 32.8 CPU-s (33.2 s wall when the machine was nearly idle), 0.9702
 * (umap-learn: 37.5 s on 2 threads, 0.971). On 10,000: umap-js 14.1 CPU-s, this code 5.4–6.0 CPU-s, 10-NN
 * 0.937–0.942 and trustworthiness 0.958–0.961 over seeds 0–3 and random init (umap-learn 0.944, 0.964).
 *
 * Shape: `new Umap(options)`, `initialize(data, n, d)` (or `initializeFromGraph`), `step()` per epoch,
 * `embedding()`; `runUmap` drives it asynchronously with progress, frames and cancellation.
 */

import type { MapJobHooks } from './job';
import { approximateKnn, DEFAULT_APPROXIMATE_KNN_OPTIONS, exactKnn, EXACT_KNN_MAX_POINTS, type KnnGraph } from './knn';
import { pca } from './pca';
import { gaussian, mulberry32, type Rng } from './rng';
import { yieldToEventLoop } from './yield';

/** Options of `Umap` / `runUmap`, named after umap-learn's parameters. */
export interface UmapOptions {
  /** n_neighbors: size of the neighbourhood, the point itself included (umap-learn counts it). */
  nNeighbors: number;
  /** min_dist: how tightly points may pack in the map, in map units (≤ spread). */
  minDist: number;
  /** spread: the scale of the map's curve, with min_dist. */
  spread: number;
  /** Epochs of SGD; null picks umap-learn's: 500 below 10,000 points, 200 from there. */
  epochs: number | null;
  /** Negative samples per positive sample. */
  negativeSampleRate: number;
  /** Initial SGD step size (decays linearly to 0). */
  learningRate: number;
  /** Weight of the repulsion (umap-learn's repulsion_strength, γ). */
  repulsionStrength: number;
  /** 'pca': exact PCA (umap-learn's init='pca'); 'random': uniform; either stretched to [0, 10]² as umap-learn does. */
  init: 'pca' | 'random';
  /** Seed of the default generator, used when `rng` is not given. */
  seed: number;
  /** Source of randomness (initialisation noise, approximate kNN, negative samples); defaults to mulberry32(seed). */
  rng?: Rng;
  /** Neighbour search: 'auto' = exact up to `EXACT_KNN_MAX_POINTS` (20,000 with WebAssembly SIMD, else 8,000), approximate above. */
  knn: 'auto' | 'exact' | 'approximate';
}

/** umap-learn 0.5's defaults (n_neighbors 15, min_dist 0.1, spread 1, 5 negative samples, learning rate 1), PCA init, seed 0. */
export const DEFAULT_UMAP_OPTIONS: Readonly<UmapOptions> = {
  nNeighbors: 15,
  minDist: 0.1,
  spread: 1,
  epochs: null,
  negativeSampleRate: 5,
  learningRate: 1,
  repulsionStrength: 1,
  init: 'pca',
  seed: 0,
  knn: 'auto',
};

/** Points from which umap-learn runs 200 epochs instead of 500. */
export const LARGE_DATA_POINTS = 10_000;

/** Epochs a run of n points does: the option if set, else umap-learn's 500 (n < 10,000) or 200. */
export function umapEpochs(n: number, epochs: number | null): number {
  if (epochs !== null) return epochs;
  return n < LARGE_DATA_POINTS ? 500 : 200;
}

/** Tolerance of the σ search on Σ exp(−(d − ρ)/σ) (umap-learn's SMOOTH_K_TOLERANCE). */
export const SMOOTH_K_TOLERANCE = 1e-5;
/** Floor of σ as a share of the mean neighbour distance (umap-learn's MIN_K_DIST_SCALE). */
export const MIN_K_DIST_SCALE = 1e-3;
/** Bisection steps of the σ search (umap-learn's n_iter). */
const SMOOTH_K_STEPS = 64;
/** Every gradient component is clipped to ±4, as umap-learn does, so no single step flings a point. */
const GRADIENT_CLIP = 4;
/** Keeps the repulsion finite for coincident points (umap-learn's 0.001). */
const REPULSION_EPSILON = 0.001;
/** Largest absolute coordinate of the initial map (umap-learn scales its init to 10). */
const INITIAL_EXTENT = 10;
/** Standard deviation of the noise added to the initial map so coincident codes separate. */
const INITIAL_NOISE = 1e-4;

/** Per point: ρ (distance to the nearest other point) and σ (the calibrated bandwidth). */
export interface SmoothKnn {
  rho: Float64Array;
  sigma: Float64Array;
}

/**
 * umap-learn's smooth_knn_dist on a graph of Euclidean distances (n × k row-major, nearest first, the
 * point itself NOT included: the neighbourhood is it plus these k). For each point, ρ is the distance to
 * its nearest other point and σ solves Σ_j exp(−max(0, d_j − ρ) / σ) = log2(k + 1) over the k others by
 * bisection (64 steps, tolerance 1e-5); σ is floored at 1e-3 × the mean distance to the neighbourhood
 * (the point's own 0 included, as umap-learn's row holds it), or of all rows when ρ = 0.
 */
export function smoothKnnDistances(distances: ArrayLike<number>, n: number, k: number): SmoothKnn {
  const target = Math.log2(k + 1);
  const rho = new Float64Array(n);
  const sigma = new Float64Array(n);
  let total = 0;
  for (let e = 0; e < n * k; e++) total += distances[e];
  const meanAll = total / (n * (k + 1));
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let r = 0;
    for (let s = 0; s < k; s++) {
      const v = distances[row + s];
      if (v > 0) {
        r = v;
        break;
      }
    }
    rho[i] = r;
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let step = 0; step < SMOOTH_K_STEPS; step++) {
      let sum = 0;
      for (let s = 0; s < k; s++) {
        const gap = distances[row + s] - r;
        sum += gap > 0 ? Math.exp(-gap / mid) : 1;
      }
      if (Math.abs(sum - target) < SMOOTH_K_TOLERANCE) break;
      if (sum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    let rowSum = 0;
    for (let s = 0; s < k; s++) rowSum += distances[row + s];
    const floor = MIN_K_DIST_SCALE * (r > 0 ? rowSum / (k + 1) : meanAll);
    sigma[i] = mid < floor ? floor : mid;
  }
  return { rho, sigma };
}

/** A symmetric weighted graph as a list of directed edges (both directions of every pair listed). */
export interface FuzzyGraph {
  n: number;
  head: Int32Array;
  tail: Int32Array;
  weight: Float64Array;
}

/**
 * The fuzzy simplicial set of a kNN graph (Euclidean distances, self excluded): memberships
 * a_ij = exp(−max(0, d_ij − ρ_i) / σ_i) (1 for the nearest), then the fuzzy union a + aᵀ − a∘aᵀ, each
 * pair listed in both directions.
 */
export function fuzzyGraph(indices: Int32Array, distances: ArrayLike<number>, n: number, k: number, smooth: SmoothKnn = smoothKnnDistances(distances, n, k)): FuzzyGraph {
  const { rho, sigma } = smooth;
  const strength = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const e = i * k + s;
      const gap = distances[e] - rho[i];
      strength[e] = gap <= 0 || sigma[i] === 0 ? 1 : Math.exp(-gap / sigma[i]);
    }
  }
  // a_ji looked up in j's row (k entries, so a linear scan is as fast as any index); −1 when i is not in it.
  const reverse = (i: number, j: number): number => {
    for (let s = j * k; s < (j + 1) * k; s++) if (indices[s] === i) return strength[s];
    return -1;
  };
  // At most two directed edges per kNN entry; typed arrays, since 60,000 points give over a million.
  const head = new Int32Array(2 * n * k);
  const tail = new Int32Array(2 * n * k);
  const weight = new Float64Array(2 * n * k);
  let m = 0;
  const add = (from: number, to: number, w: number) => {
    head[m] = from;
    tail[m] = to;
    weight[m] = w;
    m++;
  };
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const e = i * k + s;
      const j = indices[e];
      if (j < 0 || j === i) continue;
      const a = strength[e];
      const listed = reverse(i, j);
      const b = listed < 0 ? 0 : listed;
      const w = a + b - a * b;
      add(i, j, w);
      // A pair in both rows is emitted once from each side; one in a single row, both ways from here.
      if (listed < 0) add(j, i, w);
    }
  }
  return { n, head: head.slice(0, m), tail: tail.slice(0, m), weight: weight.slice(0, m) };
}

/**
 * a and b of the map's similarity curve 1 / (1 + a·d^(2b)), least-squares fitted (Gauss–Newton with
 * Levenberg damping) to 1 for d < min_dist and exp(−(d − min_dist) / spread) beyond, on 300 points of
 * [0, 3·spread] — umap-learn's find_ab_params (scipy curve_fit). min_dist 0.1, spread 1: a ≈ 1.577,
 * b ≈ 0.895.
 */
export function fitCurve(minDist: number, spread: number): { a: number; b: number } {
  const samples = 300;
  const xs = new Float64Array(samples);
  const ys = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    const x = (3 * spread * s) / (samples - 1);
    xs[s] = x;
    ys[s] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  const cost = (a: number, b: number): number => {
    let c = 0;
    for (let s = 0; s < samples; s++) {
      const r = 1 / (1 + a * Math.pow(xs[s], 2 * b)) - ys[s];
      c += r * r;
    }
    return c;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  let current = cost(a, b);
  for (let iter = 0; iter < 200; iter++) {
    // Normal equations J'J δ = −J'r for the two parameters.
    let jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0; // prettier-ignore
    for (let s = 0; s < samples; s++) {
      const x = xs[s];
      if (x === 0) continue; // f = 1 there for every a, b: no gradient
      const p = Math.pow(x, 2 * b);
      const f = 1 / (1 + a * p);
      const r = f - ys[s];
      const da = -p * f * f;
      const db = -a * p * 2 * Math.log(x) * f * f;
      jaa += da * da;
      jab += da * db;
      jbb += db * db;
      ga += da * r;
      gb += db * r;
    }
    let improved = false;
    for (let tries = 0; tries < 30 && !improved; tries++) {
      const maa = jaa * (1 + lambda);
      const mbb = jbb * (1 + lambda);
      const det = maa * mbb - jab * jab;
      if (!(Math.abs(det) > 0)) break;
      const stepA = -(mbb * ga - jab * gb) / det;
      const stepB = -(maa * gb - jab * ga) / det;
      const na = a + stepA;
      const nb = b + stepB;
      const next = na > 0 && nb > 0 ? cost(na, nb) : Infinity;
      if (next < current) {
        const converged = current - next < 1e-15 * Math.max(1, current);
        a = na;
        b = nb;
        current = next;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (converged) return { a, b };
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}

/** The kNN graph UMAP uses for these options: n_neighbors − 1 others per point, Euclidean distances. */
export function umapKnn(data: Float32Array, n: number, d: number, options: Readonly<UmapOptions>, rng: Rng, onProgress?: (fraction: number) => void): KnnGraph {
  const k = Math.min(n - 1, Math.max(1, Math.round(options.nNeighbors) - 1));
  const exact = options.knn === 'exact' || (options.knn === 'auto' && n <= EXACT_KNN_MAX_POINTS);
  const graph = exact ? exactKnn(data, n, d, k, onProgress) : approximateKnn(data, n, d, k, rng, DEFAULT_APPROXIMATE_KNN_OPTIONS, onProgress);
  // knn.ts works in squared distances; UMAP's memberships are in plain ones.
  const distances = Float32Array.from(graph.distances, Math.sqrt);
  return { n: graph.n, k: graph.k, indices: graph.indices, distances };
}

/** One UMAP optimisation; see the module comment for the call sequence. */
export class Umap {
  private readonly options: UmapOptions;
  private readonly rng: Rng;
  private readonly a: number;
  private readonly b: number;
  private y = new Float64Array(0);
  private nPoints = 0;
  private head = new Int32Array(0);
  private tail = new Int32Array(0);
  private epochsPerSample = new Float64Array(0);
  private nextSample = new Float64Array(0);
  private epochsPerNegative = new Float64Array(0);
  private nextNegative = new Float64Array(0);
  private totalEpochs = 0;
  private epoch = 0;
  /** xorshift32 state of the negative samples (seeded from `rng`; never 0). */
  private negativeState = 1;

  constructor(options: Partial<UmapOptions> = {}) {
    this.options = { ...DEFAULT_UMAP_OPTIONS, ...options };
    const o = this.options;
    if (!(o.nNeighbors >= 2)) throw new Error(`nNeighbors must be at least 2, got ${o.nNeighbors}`);
    if (!(o.minDist >= 0) || !(o.spread > 0) || o.minDist > o.spread) throw new Error(`need 0 ≤ minDist ≤ spread and spread > 0, got ${o.minDist} and ${o.spread}`);
    if (o.epochs !== null && !(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new Error(`epochs must be a whole number ≥ 1, got ${o.epochs}`);
    if (!(o.negativeSampleRate >= 0) || !(o.learningRate > 0)) throw new Error('negativeSampleRate must be ≥ 0 and learningRate > 0');
    this.rng = o.rng ?? mulberry32(o.seed);
    ({ a: this.a, b: this.b } = fitCurve(o.minDist, o.spread));
  }

  /** The fitted curve parameters. */
  get curve(): { a: number; b: number } {
    return { a: this.a, b: this.b };
  }

  /** Epochs done so far. */
  get epochsDone(): number {
    return this.epoch;
  }

  /** Epochs this run does (known after initialisation). */
  get epochs(): number {
    return this.totalEpochs;
  }

  /** True once every epoch has run. */
  get done(): boolean {
    return this.epoch >= this.totalEpochs;
  }

  /** Neighbours, fuzzy graph and initial map for `data` (n × d row-major Float32). Synchronous. */
  initialize(data: Float32Array, n: number, d: number): void {
    checkData(data, n, d);
    const graph = umapKnn(data, n, d, this.options, this.rng);
    this.initializeFromGraph(fuzzyGraph(graph.indices, graph.distances, n, graph.k), this.initialEmbedding(data, n, d));
  }

  /**
   * The initial map the options ask for (n × 2 row-major): see `UmapOptions.init`. Like umap-learn, each
   * axis is then stretched to [0, 10], so the second principal axis starts as wide as the first.
   */
  initialEmbedding(data: Float32Array, n: number, d: number): Float64Array {
    const y = new Float64Array(2 * n);
    if (this.options.init === 'random') {
      for (let e = 0; e < y.length; e++) y[e] = (this.rng() * 2 - 1) * INITIAL_EXTENT;
    } else {
      const columns = Math.min(2, d);
      const projection = pca(data, n, d, columns).projection;
      let largest = 0;
      for (let e = 0; e < projection.length; e++) largest = Math.max(largest, Math.abs(projection[e]));
      const scale = largest > 0 ? INITIAL_EXTENT / largest : 1;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 2; c++) y[2 * i + c] = (c < columns ? projection[i * columns + c] * scale : 0) + INITIAL_NOISE * gaussian(this.rng);
      }
    }
    for (let c = 0; c < 2; c++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        lo = Math.min(lo, y[2 * i + c]);
        hi = Math.max(hi, y[2 * i + c]);
      }
      const stretch = hi > lo ? INITIAL_EXTENT / (hi - lo) : 1;
      for (let i = 0; i < n; i++) y[2 * i + c] = (y[2 * i + c] - lo) * stretch;
    }
    return y;
  }

  /** Start from a given graph and initial map (n × 2 row-major); resets the epoch count. */
  initializeFromGraph(graph: FuzzyGraph, initial: Float32Array | Float64Array): void {
    const n = graph.n;
    if (initial.length !== 2 * n) throw new Error(`initial embedding must hold 2·n = ${2 * n} values, got ${initial.length}`);
    const epochs = umapEpochs(n, this.options.epochs);
    let maxWeight = 0;
    for (let e = 0; e < graph.weight.length; e++) maxWeight = Math.max(maxWeight, graph.weight[e]);
    // Edges below max / epochs would be sampled less than once in the whole run (umap-learn drops them).
    const keep: number[] = [];
    for (let e = 0; e < graph.weight.length; e++) if (graph.weight[e] >= maxWeight / epochs && graph.weight[e] > 0) keep.push(e);
    const m = keep.length;
    this.head = Int32Array.from(keep, (e) => graph.head[e]);
    this.tail = Int32Array.from(keep, (e) => graph.tail[e]);
    // An edge of weight w is sampled every max / w epochs: the strongest every epoch.
    this.epochsPerSample = Float64Array.from(keep, (e) => maxWeight / graph.weight[e]);
    this.nextSample = this.epochsPerSample.slice();
    const rate = this.options.negativeSampleRate;
    this.epochsPerNegative = rate > 0 ? this.epochsPerSample.map((v) => v / rate) : new Float64Array(m).fill(Infinity);
    this.nextNegative = this.epochsPerNegative.slice();
    this.y = Float64Array.from(initial);
    this.nPoints = n;
    this.totalEpochs = epochs;
    this.epoch = 0;
    // Millions of negative samples an epoch: an inline xorshift32 (as umap-learn's tau_rand_int) costs a fifth of a generator call.
    this.negativeState = Math.floor(this.rng() * 0xffffffff) + 1;
  }

  /** One epoch of SGD over the edges due in it. */
  step(): void {
    if (this.nPoints === 0) throw new Error('Umap.step() before initialize()');
    if (this.done) return;
    const { a, b, y, head, tail, epochsPerSample, nextSample, epochsPerNegative, nextNegative } = this;
    let state = this.negativeState | 0;
    const n = this.nPoints;
    const now = this.epoch;
    const alpha = this.options.learningRate * (1 - now / this.totalEpochs);
    const gamma = this.options.repulsionStrength;
    const twoAB = -2 * a * b;
    const repulse = 2 * gamma * b;
    for (let e = 0; e < head.length; e++) {
      if (nextSample[e] > now) continue;
      const i = head[e];
      const j = tail[e];
      const ix = 2 * i;
      const jx = 2 * j;
      let dx = y[ix] - y[jx];
      let dy = y[ix + 1] - y[jx + 1];
      let d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        // d2^(b − 1) as d2^b / d2, and d2^b as exp(b·ln d2): twice as fast as Math.pow in V8, to rounding.
        const pb = Math.exp(b * Math.log(d2));
        const coeff = (twoAB * (pb / d2)) / (a * pb + 1);
        const gx = clip(coeff * dx) * alpha;
        const gy = clip(coeff * dy) * alpha;
        y[ix] += gx;
        y[ix + 1] += gy;
        y[jx] -= gx;
        y[jx + 1] -= gy;
      }
      nextSample[e] += epochsPerSample[e];
      const negatives = Math.floor((now - nextNegative[e]) / epochsPerNegative[e]);
      for (let p = 0; p < negatives; p++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        const k = (state >>> 0) % n;
        if (k === i) continue;
        const kx = 2 * k;
        dx = y[ix] - y[kx];
        dy = y[ix + 1] - y[kx + 1];
        d2 = dx * dx + dy * dy;
        if (!(d2 > 0)) continue;
        const coeff = repulse / ((REPULSION_EPSILON + d2) * (a * Math.exp(b * Math.log(d2)) + 1));
        y[ix] += clip(coeff * dx) * alpha;
        y[ix + 1] += clip(coeff * dy) * alpha;
      }
      if (negatives > 0) nextNegative[e] += negatives * epochsPerNegative[e];
    }
    this.negativeState = state;
    this.epoch = now + 1;
  }

  /** The current map, n × 2 row-major (a copy). */
  embedding(): Float32Array {
    return Float32Array.from(this.y);
  }
}

function clip(v: number): number {
  return v > GRADIENT_CLIP ? GRADIENT_CLIP : v < -GRADIENT_CLIP ? -GRADIENT_CLIP : v;
}

function checkData(data: Float32Array, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 3) throw new Error('UMAP needs at least three points');
  if (data.length < n * d) throw new Error(`data holds ${data.length} values, fewer than n·d = ${n * d}`);
}

/** Phases reported by `runUmap`. */
export type UmapPhase = 'knn' | 'graph' | 'optimise';

/** A progress report: phase, epochs done (0 before optimisation), the run's epochs, and the fraction of the phase done. */
export interface UmapProgress {
  phase: UmapPhase;
  iteration: number;
  iterations: number;
  fraction: number;
}

/** Callbacks and pacing of `runUmap` (frames every 5 epochs by default). */
export type UmapRunCallbacks = MapJobHooks<UmapProgress>;

/** What `runUmap` returns. */
export interface UmapResult {
  /** The final map, n × 2 row-major. */
  embedding: Float32Array;
  /** Epochs run. */
  epochs: number;
  /** Whether `shouldStop` ended the run early. */
  stopped: boolean;
}

/**
 * Run UMAP on `data` (n × d row-major) to completion or until `shouldStop()`, yielding to the event
 * loop between chunks of about `chunkMs` of work. The neighbour search is one synchronous chunk.
 */
export async function runUmap(
  data: Float32Array,
  n: number,
  d: number,
  options: Partial<UmapOptions> = {},
  callbacks: UmapRunCallbacks = {},
): Promise<UmapResult> {
  const { onProgress, onFrame, shouldStop } = callbacks;
  const frameEvery = Math.max(1, Math.floor(callbacks.frameEvery ?? 5));
  const chunkMs = callbacks.chunkMs ?? 30;
  const merged: UmapOptions = { ...DEFAULT_UMAP_OPTIONS, ...options };
  const rng = merged.rng ?? mulberry32(merged.seed);
  const umap = new Umap({ ...merged, rng });
  checkData(data, n, d);
  const epochs = umapEpochs(n, merged.epochs);

  onProgress?.({ phase: 'knn', iteration: 0, iterations: epochs, fraction: 0 });
  await yieldToEventLoop();
  const graph = umapKnn(data, n, d, merged, rng, (fraction) => onProgress?.({ phase: 'knn', iteration: 0, iterations: epochs, fraction }));
  if (shouldStop?.()) return { embedding: new Float32Array(2 * n), epochs: 0, stopped: true };
  onProgress?.({ phase: 'graph', iteration: 0, iterations: epochs, fraction: 0 });
  await yieldToEventLoop();
  umap.initializeFromGraph(fuzzyGraph(graph.indices, graph.distances, n, graph.k), umap.initialEmbedding(data, n, d));
  onProgress?.({ phase: 'graph', iteration: 0, iterations: epochs, fraction: 1 });
  onFrame?.(umap.embedding(), 0);

  let stopped = false;
  while (!umap.done) {
    await yieldToEventLoop();
    if (shouldStop?.()) {
      stopped = true;
      break;
    }
    const t0 = Date.now();
    do {
      umap.step();
      if (onFrame && umap.epochsDone % frameEvery === 0) onFrame(umap.embedding(), umap.epochsDone);
    } while (!umap.done && Date.now() - t0 < chunkMs);
    onProgress?.({ phase: 'optimise', iteration: umap.epochsDone, iterations: epochs, fraction: umap.epochsDone / epochs });
  }
  const embedding = umap.embedding();
  if (onFrame && umap.epochsDone % frameEvery !== 0) onFrame(embedding.slice(), umap.epochsDone);
  return { embedding, epochs: umap.epochsDone, stopped };
}
