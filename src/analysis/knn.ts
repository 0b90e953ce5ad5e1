/**
 * k-nearest-neighbour graphs under squared Euclidean distance, on flat row-major Float32Arrays.
 *
 * - `exactKnn`: brute force, each pair computed once, with a bounded max-heap per point as the partial
 *   selection. O(n²d). Where WebAssembly SIMD is available (Node ≥ 16, every current browser) it runs on
 *   the float32 kernels of {@link ./wasm/knn-simd} as a screen and confirms every row in float64, so the
 *   graph is still the exact one (see `exactKnnSimd`): 0.12 s at 5,000 × 64, 0.33 s at 10,000. The
 *   JavaScript loops (float64 norm form, blocked) are the fallback and the tests' reference.
 * - `exactKnn2d`: exact search on a uniform bucket grid, for 2-D embeddings of any size.
 * - `approximateKnn`: a random-projection forest seeds NN-descent (Dong et al. 2011, in the form of
 *   pynndescent); for sizes where brute force takes too long. Also on the SIMD kernels where available
 *   (float32 distances in the difference form, heaps and sampling in the module): ~3 s at 60,000 × 64
 *   with k = 46, recall 0.994–0.996.
 * - `knnGraph`: picks one of the first and the third by size (`EXACT_KNN_MAX_POINTS`).
 * - `knnOfQueries`: exact neighbours of new points (out of sample) among the data, by brute force.
 *
 * Every graph of the data excludes the point itself and lists each point's neighbours nearest first.
 * Results are deterministic for a given input (and `rng` seed); the SIMD and JavaScript paths of
 * `approximateKnn` draw differently, so their graphs differ slightly, at the same recall.
 */

import { mulberry32, type Rng } from './rng';
import { KnnSimd, TILE_COLS, TILE_ROWS, wasmSimdValidates } from './wasm/knn-simd';

/** A k-nearest-neighbour graph: row i holds point i's neighbours, nearest first. */
export interface KnnGraph {
  /** Number of points. */
  readonly n: number;
  /** Neighbours per point. */
  readonly k: number;
  /** n × k row-major neighbour indices. */
  readonly indices: Int32Array;
  /** n × k row-major squared Euclidean distances, ascending within each row. */
  readonly distances: Float32Array;
}

/** Options of `approximateKnn`. */
export interface ApproximateKnnOptions {
  /** Random-projection trees whose leaves seed the graph. */
  trees: number;
  /** Largest leaf; every pair inside a leaf is compared. */
  leafSize: number;
  /** Upper bound on NN-descent rounds. */
  maxIterations: number;
  /** Candidates sampled per point and round (pynndescent's max_candidates). */
  maxCandidates: number;
  /** Stop once a round improves fewer than delta · n · k graph entries. */
  delta: number;
}

/**
 * Defaults measured on the 60,000 × 64 reference latents with k = 46 (1 thread). On the SIMD kernels:
 * 2.9–3.0 s, recall 0.994–0.996 against brute force over seeds 0–2 (maxCandidates 12: 2.8–3.0 s, recall
 * 0.991–0.995; 14: 3.1–3.3 s, 0.996; 12 trees instead of 10: 3.0–3.2 s, 0.992–0.995; fewer trees, fewer
 * candidates or a larger delta lose recall, 0.985–0.991). In JavaScript: 9.4 s, recall 0.996 at seed 0
 * (12 candidates: 8.2–9.1 s, 0.991–0.994; brute force ~120 s); fewer NN-descent rounds drop it to ~0.90.
 */
export const DEFAULT_APPROXIMATE_KNN_OPTIONS: Readonly<ApproximateKnnOptions> = {
  trees: 10,
  leafSize: 64,
  maxIterations: 10,
  maxCandidates: 13,
  delta: 0.01,
};

/**
 * A split that put every point on one side (all on the plane, or duplicates): shuffle perm[begin … begin + size)
 * (Fisher–Yates, drawing from `rng`) and cut it in half, so the tree still divides. Returns the cut.
 */
function shuffleAndHalve(perm: Int32Array, begin: number, size: number, rng: Rng): number {
  for (let s = size - 1; s > 0; s--) {
    const r = Math.floor(rng() * (s + 1));
    const tmp = perm[begin + s];
    perm[begin + s] = perm[begin + r];
    perm[begin + r] = tmp;
  }
  return begin + (size >> 1);
}

/**
 * Brute force is used up to this many points by `knnGraph` (and by t-SNE and UMAP on 'auto'). Measured
 * crossover on the 64-d reference latents (k = 46, one thread in Node): with the WebAssembly SIMD kernels
 * brute force takes 0.33 s vs NN-descent 0.50 s at 10,000 points, 0.59 vs 0.70 s at 15,000 and 0.93–1.0 vs
 * 1.0 s at 20,000 — and is exact; in plain JavaScript 0.7 s vs 1.0 s at 5,000 points but 2.6 s vs 1.7 s
 * at 10,000.
 */
export const EXACT_KNN_MAX_POINTS = wasmSimdValidates() ? 20_000 : 8_000;

/**
 * What the last `exactKnn` / `approximateKnn` call ran on, for tests and diagnostics: the backend, and for
 * the SIMD brute force how many rows the float32 screen settled and how many were searched again in
 * float64 (near-ties at the screen's error margin).
 */
export const knnDiagnostics: { exactBackend: 'wasm' | 'js' | null; approximateBackend: 'wasm' | 'js' | null; rowsConfirmed: number; rowsSearchedAgain: number } = {
  exactBackend: null,
  approximateBackend: null,
  rowsConfirmed: 0,
  rowsSearchedAgain: 0,
};

/** Progress callback: fraction done in [0, 1]. */
export type KnnProgress = (fraction: number) => void;

/**
 * Which implementation runs a search: 'auto' takes the WebAssembly SIMD kernels ({@link ./wasm/knn-simd})
 * where the platform has them and the data are finite, else the JavaScript; 'js' always the JavaScript
 * (the fallback, and the reference the kernels are tested against).
 */
export type KnnBackend = 'auto' | 'js';

/**
 * The k nearest neighbours of every point: exact for n ≤ `EXACT_KNN_MAX_POINTS`, otherwise
 * `approximateKnn` with its defaults (and `rng` to draw the projections and samples).
 */
export function knnGraph(data: Float32Array, n: number, d: number, k: number, rng: Rng, onProgress?: KnnProgress): KnnGraph {
  if (n <= EXACT_KNN_MAX_POINTS) return exactKnn(data, n, d, k, onProgress);
  return approximateKnn(data, n, d, k, rng, DEFAULT_APPROXIMATE_KNN_OPTIONS, onProgress);
}

function checkArgs(data: Float32Array, n: number, d: number, k: number): void {
  if (data.length < n * d) throw new Error(`data holds ${data.length} values, fewer than n·d = ${n * d}`);
  if (!Number.isInteger(k) || k < 1 || k > n - 1) throw new Error(`k must be in [1, n − 1], got ${k} for n = ${n}`);
}

/** Squared norms of the rows of an n × d row-major matrix, as Float64. */
export function rowNorms(x: Float64Array, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let t = 0; t < d; t++) s += x[o + t] * x[o + t];
    norms[i] = s;
  }
  return norms;
}

/**
 * Per-point bounded max-heaps (root = current k-th nearest), the partial selection of every search
 * here. Distances are Float64 while searching; `toGraph` sorts each row.
 */
class NeighbourHeaps {
  readonly idx: Int32Array;
  readonly dist: Float64Array;
  /** NN-descent's "new" flag per entry (unused by the exact searches). */
  readonly isNew: Uint8Array;

  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.idx = new Int32Array(n * k).fill(-1);
    this.dist = new Float64Array(n * k).fill(Infinity);
    this.isNew = new Uint8Array(n * k);
  }

  /** Insert j into i's heap if nearer than its current worst; no duplicate check. */
  pushUnchecked(i: number, j: number, dist: number): void {
    const base = i * this.k;
    if (dist >= this.dist[base]) return;
    this.siftDownFromRoot(base, j, dist, 0);
  }

  /** Insert j into i's heap if nearer than its worst and not already present; returns whether it was. */
  pushChecked(i: number, j: number, dist: number): boolean {
    const base = i * this.k;
    if (dist >= this.dist[base]) return false;
    const idx = this.idx;
    for (let s = base, end = base + this.k; s < end; s++) if (idx[s] === j) return false;
    this.siftDownFromRoot(base, j, dist, 1);
    return true;
  }

  private siftDownFromRoot(base: number, j: number, dist: number, flag: number): void {
    const k = this.k;
    const hd = this.dist;
    const hi = this.idx;
    const hn = this.isNew;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= k) break;
      const right = left + 1;
      let child = left;
      if (right < k && hd[base + right] > hd[base + left]) child = right;
      if (hd[base + child] <= dist) break;
      hd[base + pos] = hd[base + child];
      hi[base + pos] = hi[base + child];
      hn[base + pos] = hn[base + child];
      pos = child;
    }
    hd[base + pos] = dist;
    hi[base + pos] = j;
    hn[base + pos] = flag;
  }

  toGraph(): KnnGraph {
    const { n, k } = this;
    const indices = new Int32Array(n * k);
    const distances = new Float32Array(n * k);
    const order = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const base = i * k;
      for (let s = 0; s < k; s++) order[s] = s;
      const hd = this.dist;
      const hi = this.idx;
      // Ties by index keep the output deterministic.
      order.sort((a, b) => hd[base + a] - hd[base + b] || hi[base + a] - hi[base + b]);
      for (let s = 0; s < k; s++) {
        indices[base + s] = hi[base + order[s]];
        // Rounding in the norm form can give tiny negatives for (near-)duplicates.
        distances[base + s] = Math.max(0, hd[base + order[s]]);
      }
    }
    return { n, k, indices, distances };
  }
}

/** Query rows per block: 32 rows × 64 dims of Float64 stay in L1 next to one reference tile. */
const QUERY_BLOCK = 32;
/** Reference rows per block. */
const REFERENCE_BLOCK = 128;

/**
 * Exact k nearest neighbours by blocked brute force. Each unordered pair's dot product is computed
 * once and offered to both points' heaps. `data`: n × d row-major.
 */
export function exactKnn(data: Float32Array, n: number, d: number, k: number, onProgress?: KnnProgress, backend: KnnBackend = 'auto'): KnnGraph {
  checkArgs(data, n, d, k);
  if (backend === 'auto' && allFinite(data, n * d)) {
    const graph = exactKnnSimd(data, n, d, k, onProgress);
    if (graph !== null) {
      knnDiagnostics.exactBackend = 'wasm';
      return graph;
    }
  }
  knnDiagnostics.exactBackend = 'js';
  const x = Float64Array.from(data.subarray(0, n * d));
  const norms = rowNorms(x, n, d);
  const heaps = new NeighbourHeaps(n, k);
  const dots = new Float64Array(QUERY_BLOCK * REFERENCE_BLOCK);
  const blocks = Math.ceil(n / QUERY_BLOCK);
  for (let qb = 0; qb < blocks; qb++) {
    const i0 = qb * QUERY_BLOCK;
    const i1 = Math.min(n, i0 + QUERY_BLOCK);
    for (let j0 = i0; j0 < n; j0 += REFERENCE_BLOCK) {
      const j1 = Math.min(n, j0 + REFERENCE_BLOCK);
      blockDots(x, d, i0, i1, j0, j1, dots);
      const width = j1 - j0;
      for (let i = i0; i < i1; i++) {
        const ni = norms[i];
        const row = (i - i0) * width;
        // Pairs inside the diagonal block are visited once, with j > i.
        const jStart = j0 === i0 ? i + 1 : j0;
        for (let j = jStart; j < j1; j++) {
          const dist = ni + norms[j] - 2 * dots[row + j - j0];
          heaps.pushUnchecked(i, j, dist);
          heaps.pushUnchecked(j, i, dist);
        }
      }
    }
    if (onProgress && (qb & 15) === 0) onProgress(progressOfTriangle(i1, n));
  }
  onProgress?.(1);
  return heaps.toGraph();
}

function allFinite(data: Float32Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/** Neighbours kept per row beyond k by the float32 screen of `exactKnnSimd`, for the float64 check. */
const EXACT_SCREEN_EXTRA = 4;
/** Leaf size of the tree that orders the points for `exactKnnSimd`. */
const EXACT_LOCAL_LEAF = 128;
/** Points per local block measured first by `exactKnnSimd` (a multiple of TILE_COLS). */
const EXACT_LOCAL_BLOCK = 256;
/** Seed of that tree's hyperplanes. */
const EXACT_TREE_SEED = 0x5eed;
/** Query rows per cache block of `exactKnnSimd` (a multiple of TILE_ROWS). */
const SIMD_QUERY_BLOCK = 64;
/** Panels (of TILE_COLS reference rows) per cache block: 64 × 8 rows × 64 float32 = 128 KiB. */
const SIMD_PANEL_BLOCK = 64;

/**
 * `exactKnn` on the WebAssembly SIMD kernels, or null where they are unavailable.
 *
 * The kernels select each row's K = k + EXACT_SCREEN_EXTRA nearest by float32 distances in the norm
 * form, whose error is at most c·(‖x_i‖² + ‖x_j‖²) with c = (dp + 16)·2⁻²⁴ (dp float32 products summed in
 * order, two rounded norms, two additions; dp = d padded to a multiple of 4). If the K-th float32
 * distance τ_K clears the k-th, τ_k, by that error on both sides, every point outside the K is farther
 * than the true k-th neighbour: for j outside, ‖x_j‖² ≤ 2‖x_i‖² + 2δ_j gives
 * δ_j ≥ (τ_K − 3c‖x_i‖²)/(1 + 2c), while the true k-th distance is at most τ_k + c(‖x_i‖² + N), N the
 * largest norm among the k. The K are then measured again in float64 (difference form) and the nearest k
 * kept; a row that fails the test (near-ties at the margin, almost never) is searched again by brute force
 * in float64. So the graph is the float64 one, up to exact ties.
 */
function exactKnnSimd(data: Float32Array, n: number, d: number, k: number, onProgress?: KnnProgress): KnnGraph | null {
  const K = Math.min(n - 1, k + EXACT_SCREEN_EXTRA);
  const simd = KnnSimd.create('exact', n, d, K);
  if (simd === null) return null;
  // Locality first: the points are renumbered in the leaf order of one random-projection tree (a fixed
  // seed; the graph does not depend on it), and the pairs inside each run of EXACT_LOCAL_BLOCK points
  // are measured before the rest, so every heap starts from near neighbours (at 5,000 × 64: 1.05 million
  // heap insertions instead of 1.39 million).
  const { perm } = simd.buffers;
  for (let i = 0; i < n; i++) {
    simd.setRow(i, data, i);
    perm[i] = i;
  }
  partitionTreeSimd(simd, perm, n, EXACT_LOCAL_LEAF, mulberry32(EXACT_TREE_SEED), new Uint8Array(n), () => {});
  const order = perm.slice();
  for (let p = 0; p < n; p++) simd.setRow(p, data, order[p]);
  const norms = simd.preparePanels();
  const panelCount = simd.nPad / TILE_COLS;
  const { exactBlock } = simd.kernels;
  /** First panel after the local block of row i. */
  const localEnd = (i: number): number => Math.min(panelCount, (Math.floor(i / EXACT_LOCAL_BLOCK) + 1) * (EXACT_LOCAL_BLOCK / TILE_COLS));
  for (let i0 = 0; i0 < n; i0 += TILE_ROWS) exactBlock(i0, Math.floor(i0 / TILE_COLS), localEnd(i0));
  for (let qs = 0; qs < n; qs += SIMD_QUERY_BLOCK) {
    const qe = Math.min(n, qs + SIMD_QUERY_BLOCK);
    for (let pc = localEnd(qs); pc < panelCount; pc += SIMD_PANEL_BLOCK) {
      const pe = Math.min(panelCount, pc + SIMD_PANEL_BLOCK);
      for (let i0 = qs; i0 < qe; i0 += TILE_ROWS) {
        const p0 = Math.max(pc, localEnd(i0));
        if (p0 < pe) exactBlock(i0, p0, pe);
      }
    }
    if (onProgress && (qs & 1023) === 0) onProgress(0.95 * progressOfTriangle(qe, n));
  }

  // Confirm in float64 (in the caller's numbering from here on).
  const normsOriginal = new Float64Array(n);
  for (let p = 0; p < n; p++) normsOriginal[order[p]] = norms[p];
  const c = (simd.dp + 16) * 2 ** -24;
  const { keys, idx } = simd.buffers;
  const stride = simd.stride;
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const cand = new Int32Array(K);
  const candKey = new Float64Array(K);
  knnDiagnostics.rowsConfirmed = 0;
  knnDiagnostics.rowsSearchedAgain = 0;
  for (let p = 0; p < n; p++) {
    const base = p * stride;
    const i = order[p];
    let complete = true;
    for (let s = 0; s < K; s++) {
      const q = idx[base + s];
      cand[s] = q < 0 ? -1 : order[q];
      candKey[s] = keys[base + s];
      if (q < 0 || !Number.isFinite(candKey[s])) complete = false;
    }
    sortByKey(candKey, cand, K);
    let confirmed = complete && K === n - 1;
    if (complete && !confirmed) {
      let maxNorm = 0;
      for (let s = 0; s < k; s++) maxNorm = Math.max(maxNorm, normsOriginal[cand[s]]);
      const ni = normsOriginal[i];
      confirmed = (candKey[K - 1] - 3 * c * ni) / (1 + 2 * c) > candKey[k - 1] + c * (ni + maxNorm);
    }
    if (confirmed) {
      knnDiagnostics.rowsConfirmed++;
      for (let s = 0; s < K; s++) candKey[s] = squaredDistance64(data, d, i, cand[s]);
      // Nearly sorted already: the float32 order differs only at near-ties.
      sortByKey(candKey, cand, K);
      for (let s = 0; s < k; s++) {
        indices[i * k + s] = cand[s];
        distances[i * k + s] = candKey[s];
      }
    } else {
      knnDiagnostics.rowsSearchedAgain++;
      bruteForceRow(data, n, d, k, i, indices, distances);
    }
  }
  onProgress?.(1);
  return { n, k, indices, distances };
}

/** Insertion sort of the first m (key, index) pairs by key, then index. */
function sortByKey(key: Float64Array, index: Int32Array, m: number): void {
  for (let s = 1; s < m; s++) {
    const kv = key[s];
    const iv = index[s];
    let t = s - 1;
    while (t >= 0 && (key[t] > kv || (key[t] === kv && index[t] > iv))) {
      key[t + 1] = key[t];
      index[t + 1] = index[t];
      t--;
    }
    key[t + 1] = kv;
    index[t + 1] = iv;
  }
}

/** ‖x_a − x_b‖² in float64 (the differences of float32 values are exact in float64). */
function squaredDistance64(data: Float32Array, d: number, a: number, b: number): number {
  let s = 0;
  const oa = a * d;
  const ob = b * d;
  for (let t = 0; t < d; t++) {
    const diff = data[oa + t] - data[ob + t];
    s += diff * diff;
  }
  return s;
}

/** Row i of an exact graph by brute force in float64: all n − 1 distances sorted. */
function bruteForceRow(data: Float32Array, n: number, d: number, k: number, i: number, indices: Int32Array, distances: Float32Array): void {
  const dist = new Float64Array(n);
  const order: number[] = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    dist[j] = squaredDistance64(data, d, i, j);
    order.push(j);
  }
  order.sort((a, b) => dist[a] - dist[b] || a - b);
  for (let s = 0; s < k; s++) {
    indices[i * k + s] = order[s];
    distances[i * k + s] = dist[order[s]];
  }
}

/** Fraction of the pair triangle done once rows < i are finished. */
function progressOfTriangle(i: number, n: number): number {
  const rest = n - i;
  return 1 - (rest * rest) / (n * n);
}

/**
 * dots[(i − i0)·(j1 − j0) + (j − j0)] = x_i · x_j for i ∈ [i0, i1), j ∈ [j0, j1); 2 × 4 register tiles
 * so each loaded value feeds several multiply-adds.
 */
function blockDots(x: Float64Array, d: number, i0: number, i1: number, j0: number, j1: number, out: Float64Array): void {
  const width = j1 - j0;
  let i = i0;
  for (; i + 1 < i1; i += 2) {
    const a0 = i * d;
    const a1 = a0 + d;
    const r0 = (i - i0) * width;
    const r1 = r0 + width;
    let j = j0;
    for (; j + 3 < j1; j += 4) {
      const b0 = j * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
      for (let t = 0; t < d; t++) {
        const u = x[a0 + t];
        const v = x[a1 + t];
        const p = x[b0 + t];
        const q = x[b1 + t];
        const r = x[b2 + t];
        const s = x[b3 + t];
        s00 += u * p;
        s01 += u * q;
        s02 += u * r;
        s03 += u * s;
        s10 += v * p;
        s11 += v * q;
        s12 += v * r;
        s13 += v * s;
      }
      const c = j - j0;
      out[r0 + c] = s00;
      out[r0 + c + 1] = s01;
      out[r0 + c + 2] = s02;
      out[r0 + c + 3] = s03;
      out[r1 + c] = s10;
      out[r1 + c + 1] = s11;
      out[r1 + c + 2] = s12;
      out[r1 + c + 3] = s13;
    }
    for (; j < j1; j++) {
      out[r0 + j - j0] = dot(x, a0, j * d, d);
      out[r1 + j - j0] = dot(x, a1, j * d, d);
    }
  }
  for (; i < i1; i++) {
    const r0 = (i - i0) * width;
    for (let j = j0; j < j1; j++) out[r0 + j - j0] = dot(x, i * d, j * d, d);
  }
}

/**
 * out[(i − i0)·(j1 − j0) + (j − j0)] = ‖x_i − x_j‖² (clamped at 0) for i ∈ [i0, i1), j ∈ [j0, j1);
 * `x` n × d row-major Float64, `norms` from `rowNorms`. The tiled form runs ~2× faster than
 * pair-by-pair loops.
 */
export function squaredDistanceBlock(
  x: Float64Array,
  norms: Float64Array,
  d: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  out: Float64Array,
): void {
  blockDots(x, d, i0, i1, j0, j1, out);
  const width = j1 - j0;
  for (let i = i0; i < i1; i++) {
    const ni = norms[i];
    const o = (i - i0) * width - j0;
    for (let j = j0; j < j1; j++) {
      const v = ni + norms[j] - 2 * out[o + j];
      out[o + j] = v > 0 ? v : 0;
    }
  }
}

function dot(x: Float64Array, a: number, b: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t = 0;
  for (; t + 3 < d; t += 4) {
    s0 += x[a + t] * x[b + t];
    s1 += x[a + t + 1] * x[b + t + 1];
    s2 += x[a + t + 2] * x[b + t + 2];
    s3 += x[a + t + 3] * x[b + t + 3];
  }
  for (; t < d; t++) s0 += x[a + t] * x[b + t];
  return s0 + s1 + s2 + s3;
}

/**
 * Exact k nearest neighbours of 2-D points (n × 2 row-major) on a uniform bucket grid of about two
 * points per cell, searching outward ring by ring until no unvisited cell can hold a nearer point.
 */
export function exactKnn2d(points: Float32Array, n: number, k: number): KnnGraph {
  checkArgs(points, n, 2, k);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity; // prettier-ignore
  for (let i = 0; i < n; i++) {
    const px = points[2 * i];
    const py = points[2 * i + 1];
    if (px < minX) minX = px;
    if (px > maxX) maxX = px;
    if (py < minY) minY = py;
    if (py > maxY) maxY = py;
  }
  if (!Number.isFinite(minX + minY + maxX + maxY)) throw new Error('exactKnn2d: non-finite coordinates');
  const side = Math.max(1, Math.ceil(Math.sqrt(n / 2)));
  const extent = Math.max(maxX - minX, maxY - minY, 1e-300);
  const cell = (extent / side) * (1 + 1e-9);
  const cellOf = (v: number, lo: number): number => Math.min(side - 1, Math.floor((v - lo) / cell));
  // Counting sort of the points into cells (CSR).
  const start = new Int32Array(side * side + 1);
  const cellIdx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = cellOf(points[2 * i + 1], minY) * side + cellOf(points[2 * i], minX);
    cellIdx[i] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const members = new Int32Array(n);
  const fill = start.slice(0, side * side);
  for (let i = 0; i < n; i++) members[fill[cellIdx[i]]++] = i;

  const heaps = new NeighbourHeaps(n, k);
  const hd = heaps.dist;
  for (let i = 0; i < n; i++) {
    const px = points[2 * i];
    const py = points[2 * i + 1];
    const cx = cellOf(px, minX);
    const cy = cellOf(py, minY);
    const base = i * k;
    for (let r = 0; ; r++) {
      const x0 = cx - r;
      const x1 = cx + r;
      const y0 = cy - r;
      const y1 = cy + r;
      for (let gy = Math.max(0, y0); gy <= Math.min(side - 1, y1); gy++) {
        const onEdgeRow = gy === y0 || gy === y1;
        // Interior rows of the ring only contribute their two end cells.
        const step = onEdgeRow ? 1 : Math.max(1, x1 - x0);
        for (let gx = x0; gx <= x1; gx += step) {
          if (gx < 0 || gx >= side) continue;
          const c = gy * side + gx;
          for (let s = start[c]; s < start[c + 1]; s++) {
            const j = members[s];
            if (j === i) continue;
            const dx = points[2 * j] - px;
            const dy = points[2 * j + 1] - py;
            heaps.pushUnchecked(i, j, dx * dx + dy * dy);
          }
        }
      }
      if (x0 <= 0 && y0 <= 0 && x1 >= side - 1 && y1 >= side - 1) break;
      // Nearest possible point outside the searched (2r+1)² block.
      const margin = Math.min(
        px - (minX + x0 * cell),
        minX + (x1 + 1) * cell - px,
        py - (minY + y0 * cell),
        minY + (y1 + 1) * cell - py,
      );
      if (margin > 0 && hd[base] <= margin * margin) break;
    }
  }
  return heaps.toGraph();
}

/**
 * Approximate k nearest neighbours: leaves of `options.trees` random-projection trees give every
 * point an initial neighbour list, which NN-descent then refines ("a neighbour of my neighbour is
 * likely my neighbour") until a round changes fewer than delta·n·k entries. `rng` draws the
 * splitting hyperplanes and candidate samples.
 */
export function approximateKnn(
  data: Float32Array,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  options: ApproximateKnnOptions = DEFAULT_APPROXIMATE_KNN_OPTIONS,
  onProgress?: KnnProgress,
  backend: KnnBackend = 'auto',
): KnnGraph {
  checkArgs(data, n, d, k);
  if (backend === 'auto' && allFinite(data, n * d)) {
    const graph = approximateKnnSimd(data, n, d, k, rng, options, onProgress);
    if (graph !== null) {
      knnDiagnostics.approximateBackend = 'wasm';
      return graph;
    }
  }
  knnDiagnostics.approximateBackend = 'js';
  const leafSize = Math.max(options.leafSize, 2);
  const trees = Math.max(1, options.trees);
  const totalSteps = trees + options.maxIterations;
  const side = new Uint8Array(n);
  const normal = new Float64Array(d);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  // The first tree also fixes the memory order: renumbering points by leaf puts likely neighbours
  // next to each other, so the random row accesses of the other trees and of NN-descent mostly hit
  // cache (60,000 × 64 Float64 is 30 MB). All work below is in the new numbering.
  const original = Float64Array.from(data.subarray(0, n * d));
  const leafBounds: number[] = [];
  partitionTree(original, d, perm, 0, n, leafSize, rng, normal, side, (begin, end) => leafBounds.push(begin, end));
  const order = perm.slice();
  const x = new Float64Array(n * d);
  for (let p = 0; p < n; p++) x.set(original.subarray(order[p] * d, order[p] * d + d), p * d);
  const norms = rowNorms(x, n, d);
  const heaps = new NeighbourHeaps(n, k);
  const dist = (a: number, b: number): number => norms[a] + norms[b] - 2 * dot(x, a * d, b * d, d);
  const leafPairs = (ids: Int32Array | null, begin: number, end: number): void => {
    for (let s = begin; s < end; s++) {
      const a = ids ? ids[s] : s;
      for (let t = s + 1; t < end; t++) {
        const b = ids ? ids[t] : t;
        const dd = dist(a, b);
        heaps.pushChecked(a, b, dd);
        heaps.pushChecked(b, a, dd);
      }
    }
  };
  for (let e = 0; e < leafBounds.length; e += 2) leafPairs(null, leafBounds[e], leafBounds[e + 1]);
  onProgress?.(1 / totalSteps);
  for (let tree = 1; tree < trees; tree++) {
    for (let i = 0; i < n; i++) perm[i] = i;
    partitionTree(x, d, perm, 0, n, leafSize, rng, normal, side, (begin, end) => leafPairs(perm, begin, end));
    onProgress?.((tree + 1) / totalSteps);
  }

  const maxC = Math.max(1, options.maxCandidates);
  const newCand = new Int32Array(n * maxC);
  const newPri = new Float64Array(n * maxC);
  const oldCand = new Int32Array(n * maxC);
  const oldPri = new Float64Array(n * maxC);
  for (let iter = 0; iter < options.maxIterations; iter++) {
    newCand.fill(-1);
    oldCand.fill(-1);
    newPri.fill(Infinity);
    oldPri.fill(Infinity);
    // Sample candidates in both directions (reverse neighbours matter as much as forward ones).
    for (let i = 0; i < n; i++) {
      for (let s = i * k; s < (i + 1) * k; s++) {
        const j = heaps.idx[s];
        if (j < 0) continue;
        const pri = rng();
        if (heaps.isNew[s]) {
          pushCandidate(newCand, newPri, i, j, pri, maxC);
          pushCandidate(newCand, newPri, j, i, pri, maxC);
        } else {
          pushCandidate(oldCand, oldPri, i, j, pri, maxC);
          pushCandidate(oldCand, oldPri, j, i, pri, maxC);
        }
      }
    }
    // Entries sampled as new are compared this round, so they are old from now on.
    for (let i = 0; i < n; i++) {
      for (let s = i * k; s < (i + 1) * k; s++) {
        if (!heaps.isNew[s]) continue;
        const j = heaps.idx[s];
        for (let c = i * maxC; c < (i + 1) * maxC; c++) {
          if (newCand[c] === j) {
            heaps.isNew[s] = 0;
            break;
          }
        }
      }
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      const cBase = i * maxC;
      for (let a = 0; a < maxC; a++) {
        const p = newCand[cBase + a];
        if (p < 0) continue;
        for (let b = a + 1; b < maxC; b++) {
          const q = newCand[cBase + b];
          if (q < 0) continue;
          const dd = dist(p, q);
          if (heaps.pushChecked(p, q, dd)) updates++;
          if (heaps.pushChecked(q, p, dd)) updates++;
        }
        for (let b = 0; b < maxC; b++) {
          const q = oldCand[cBase + b];
          if (q < 0 || q === p) continue;
          const dd = dist(p, q);
          if (heaps.pushChecked(p, q, dd)) updates++;
          if (heaps.pushChecked(q, p, dd)) updates++;
        }
      }
    }
    onProgress?.((options.trees + iter + 1) / totalSteps);
    if (updates <= options.delta * n * k) break;
  }
  // Safety net: a point whose leaves and candidates never offered k others (tiny leaves from
  // lopsided splits, k close to n) gets the rest of its row by brute force.
  for (let p = 0; p < n; p++) {
    if (heaps.idx[p * k] >= 0 && heaps.dist[p * k] < Infinity) {
      let full = true;
      for (let s = p * k; s < (p + 1) * k; s++) if (heaps.idx[s] < 0) full = false;
      if (full) continue;
    }
    for (let q = 0; q < n; q++) if (q !== p) heaps.pushChecked(p, q, dist(p, q));
  }
  onProgress?.(1);
  // Back to the caller's numbering.
  const renumbered = heaps.toGraph();
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    for (let s = 0; s < k; s++) {
      indices[i * k + s] = order[renumbered.indices[p * k + s]];
      distances[i * k + s] = renumbered.distances[p * k + s];
    }
  }
  return { n, k, indices, distances };
}

/** Points per call of the local-join kernel (V8 swaps in optimised code between calls). */
const JOIN_CALL_POINTS = 4096;

/**
 * `approximateKnn` on the WebAssembly SIMD kernels, or null where they are unavailable. The same
 * algorithm, step for step and with the same draws from `rng`, with float32 distances in the difference
 * form (accurate relative to each distance) and the heaps, leaves, local join and hyperplane projections
 * in the module; candidate sampling stays here.
 */
function approximateKnnSimd(
  data: Float32Array,
  n: number,
  d: number,
  k: number,
  rng: Rng,
  options: ApproximateKnnOptions,
  onProgress?: KnnProgress,
): KnnGraph | null {
  const maxC = Math.max(1, options.maxCandidates);
  const simd = KnnSimd.create('descent', n, d, k, maxC);
  if (simd === null) return null;
  const leafSize = Math.max(options.leafSize, 2);
  const trees = Math.max(1, options.trees);
  const totalSteps = trees + options.maxIterations;
  const { keys, idx, perm } = simd.buffers;
  const { leafPairs, localJoin } = simd.kernels;
  const stride = simd.stride;
  const side = new Uint8Array(n);
  // First tree on the caller's order; its leaf order becomes the memory order (see approximateKnn).
  for (let i = 0; i < n; i++) simd.setRow(i, data, i);
  for (let i = 0; i < n; i++) perm[i] = i;
  const leafBounds: number[] = [];
  partitionTreeSimd(simd, perm, n, leafSize, rng, side, (begin, end) => leafBounds.push(begin, end));
  const order = perm.slice();
  for (let p = 0; p < n; p++) simd.setRow(p, data, order[p]);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let e = 0; e < leafBounds.length; e += 2) leafPairs(leafBounds[e], leafBounds[e + 1]);
  onProgress?.(1 / totalSteps);
  for (let tree = 1; tree < trees; tree++) {
    for (let i = 0; i < n; i++) perm[i] = i;
    partitionTreeSimd(simd, perm, n, leafSize, rng, side, (begin, end) => leafPairs(begin, end));
    onProgress?.((tree + 1) / totalSteps);
  }

  for (let iter = 0; iter < options.maxIterations; iter++) {
    // One draw per round seeds the kernel's own generator (2.8 million priorities a round at 60,000).
    simd.kernels.sample(Math.floor(rng() * 4294967296) | 0);
    simd.kernels.clearSampled();
    let updates = 0;
    for (let start = 0; start < n; start += JOIN_CALL_POINTS) updates += localJoin(start, Math.min(n, start + JOIN_CALL_POINTS));
    onProgress?.((options.trees + iter + 1) / totalSteps);
    if (updates <= options.delta * n * k) break;
  }
  // Safety net, as in approximateKnn.
  for (let p = 0; p < n; p++) {
    let full = true;
    for (let s = p * stride; s < p * stride + k; s++) if (idx[s] < 0 || !(keys[s] < Infinity)) full = false;
    if (full) continue;
    for (let q = 0; q < n; q++) if (q !== p) simd.kernels.pushChecked(p, q, simd.kernels.dist2(p, q));
  }
  onProgress?.(1);
  // Sorted rows, back in the caller's numbering.
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  const rowKey = new Float64Array(k);
  const rowIdx = new Int32Array(k);
  for (let p = 0; p < n; p++) {
    for (let s = 0; s < k; s++) {
      rowKey[s] = keys[p * stride + s];
      rowIdx[s] = idx[p * stride + s];
    }
    sortByKey(rowKey, rowIdx, k);
    const i = order[p];
    for (let s = 0; s < k; s++) {
      indices[i * k + s] = order[rowIdx[s]];
      distances[i * k + s] = Math.max(0, rowKey[s]);
    }
  }
  return { n, k, indices, distances };
}

/** `partitionTree` over the kernel's rows (perm is the kernel's own permutation array). */
function partitionTreeSimd(
  simd: KnnSimd,
  perm: Int32Array,
  n: number,
  leafSize: number,
  rng: Rng,
  side: Uint8Array,
  onLeaf: (begin: number, end: number) => void,
): void {
  const stack: number[] = [0, n];
  const rightPart = new Int32Array(n);
  while (stack.length > 0) {
    const e = stack.pop() as number;
    const b = stack.pop() as number;
    if (e - b <= leafSize) {
      onLeaf(b, e);
      continue;
    }
    const mid = splitByHyperplaneSimd(simd, perm, b, e, rng, side, rightPart);
    stack.push(mid, e, b, mid);
  }
}

/**
 * `splitByHyperplane` with the projections from the kernel: the same draws from `rng`, the normal and
 * offset computed here from the float32 rows (normal rounded to float32 for the kernel).
 */
function splitByHyperplaneSimd(simd: KnnSimd, perm: Int32Array, begin: number, end: number, rng: Rng, side: Uint8Array, rightPart: Int32Array): number {
  const { rows, normal, proj } = simd.buffers;
  const dp = simd.dp;
  const size = end - begin;
  const a = perm[begin + Math.floor(rng() * size)];
  let b = perm[begin + Math.floor(rng() * size)];
  for (let tries = 0; b === a && tries < 8; tries++) b = perm[begin + Math.floor(rng() * size)];
  let offset = 0;
  for (let t = 0; t < dp; t++) {
    const va = rows[a * dp + t];
    const vb = rows[b * dp + t];
    normal[t] = va - vb;
    offset -= (normal[t] * (va + vb)) / 2;
  }
  simd.kernels.project(begin, end);
  let left = 0;
  for (let s = begin; s < end; s++) {
    const v = proj[s] + offset;
    const goLeft = v > 0 || (v === 0 && rng() < 0.5);
    side[perm[s]] = goLeft ? 1 : 0;
    if (goLeft) left++;
  }
  if (left === 0 || left === size) return shuffleAndHalve(perm, begin, size, rng);
  let w = begin;
  let rn = 0;
  for (let s = begin; s < end; s++) {
    const i = perm[s];
    if (side[i]) perm[w++] = i;
    else rightPart[rn++] = i;
  }
  for (let s = 0; s < rn; s++) perm[w + s] = rightPart[s];
  return begin + left;
}

/**
 * Split perm[begin, end) recursively by random hyperplanes until ranges hold ≤ leafSize points,
 * calling `onLeaf` for each leaf range (perm is reordered in place; leaves end up contiguous).
 */
function partitionTree(
  x: Float64Array,
  d: number,
  perm: Int32Array,
  begin: number,
  end: number,
  leafSize: number,
  rng: Rng,
  normal: Float64Array,
  side: Uint8Array,
  onLeaf: (begin: number, end: number) => void,
): void {
  // Explicit stack of [start, end) ranges still to split.
  const stack: number[] = [begin, end];
  while (stack.length > 0) {
    const e = stack.pop() as number;
    const b = stack.pop() as number;
    if (e - b <= leafSize) {
      onLeaf(b, e);
      continue;
    }
    const mid = splitByHyperplane(x, d, perm, b, e, rng, normal, side);
    // Right half pushed first so leaves come out left to right.
    stack.push(mid, e, b, mid);
  }
}

/**
 * Keep the maxC candidates of smallest random priority for point i (a bounded max-heap on
 * priority), skipping duplicates: a uniform sample without replacement of all offered candidates.
 */
function pushCandidate(cand: Int32Array, pri: Float64Array, i: number, j: number, p: number, maxC: number): void {
  const base = i * maxC;
  if (p >= pri[base]) return;
  for (let s = base; s < base + maxC; s++) if (cand[s] === j) return;
  let pos = 0;
  for (;;) {
    const left = 2 * pos + 1;
    if (left >= maxC) break;
    const right = left + 1;
    let child = left;
    if (right < maxC && pri[base + right] > pri[base + left]) child = right;
    if (pri[base + child] <= p) break;
    pri[base + pos] = pri[base + child];
    cand[base + pos] = cand[base + child];
    pos = child;
  }
  pri[base + pos] = p;
  cand[base + pos] = j;
}

/**
 * Partition perm[begin, end) by the hyperplane equidistant from two random members; returns the
 * split position. Falls back to a random half split when all points land on one side (duplicates).
 */
function splitByHyperplane(
  x: Float64Array,
  d: number,
  perm: Int32Array,
  begin: number,
  end: number,
  rng: Rng,
  normal: Float64Array,
  side: Uint8Array,
): number {
  const size = end - begin;
  const a = perm[begin + Math.floor(rng() * size)];
  let b = perm[begin + Math.floor(rng() * size)];
  for (let tries = 0; b === a && tries < 8; tries++) b = perm[begin + Math.floor(rng() * size)];
  let offset = 0;
  for (let t = 0; t < d; t++) {
    const va = x[a * d + t];
    const vb = x[b * d + t];
    normal[t] = va - vb;
    offset -= (normal[t] * (va + vb)) / 2;
  }
  let left = 0;
  for (let s = begin; s < end; s++) {
    const i = perm[s];
    let v = offset;
    for (let t = 0; t < d; t++) v += normal[t] * x[i * d + t];
    // Points on the plane go either way at random so duplicates still split.
    const goLeft = v > 0 || (v === 0 && rng() < 0.5);
    side[i] = goLeft ? 1 : 0;
    if (goLeft) left++;
  }
  if (left === 0 || left === size) return shuffleAndHalve(perm, begin, size, rng);
  // Stable two-way partition through the side flags.
  let w = begin;
  const rightPart: number[] = [];
  for (let s = begin; s < end; s++) {
    const i = perm[s];
    if (side[i]) perm[w++] = i;
    else rightPart.push(i);
  }
  for (let s = 0; s < rightPart.length; s++) perm[w + s] = rightPart[s];
  return begin + left;
}

/**
 * Mean fraction of the true k nearest neighbours found, over the rows listed in `rows`:
 * `approx` row rows[r] against `truth` row r (truth holds only those rows, in that order).
 * Neighbours are compared as sets, so ties at the k-th distance can cost a little recall.
 */
export function knnRecall(approx: KnnGraph, truthIndices: Int32Array, truthK: number, rows: Int32Array): number {
  const k = Math.min(approx.k, truthK);
  let found = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    const set = new Set<number>();
    for (let s = 0; s < k; s++) set.add(truthIndices[r * truthK + s]);
    for (let s = 0; s < k; s++) if (set.has(approx.indices[i * approx.k + s])) found++;
  }
  return found / (rows.length * k);
}

/**
 * Exact k nearest neighbours (squared distances, nearest first) of the listed query rows against all
 * n points; for measuring recall on a sample. Returns `rows.length` × k indices.
 */
export function exactKnnOfRows(data: Float32Array, n: number, d: number, k: number, rows: Int32Array): Int32Array {
  checkArgs(data, n, d, k);
  const out = new Int32Array(rows.length * k);
  const dists = new Float64Array(n);
  const order = new Int32Array(n);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = data[i * d + t] - data[j * d + t];
        s += diff * diff;
      }
      dists[j] = j === i ? Infinity : s;
      order[j] = j;
    }
    order.sort((a, b) => dists[a] - dists[b] || a - b);
    for (let s = 0; s < k; s++) out[r * k + s] = order[s];
  }
  return out;
}

/**
 * Exact k nearest neighbours of query points that are not in the data (out-of-sample), nearest first:
 * each of the m queries (m × d row-major) against the first n rows of `data` (n × d row-major), by brute
 * force in double precision (a handful of queries against 70,000 codes is a few million multiply-adds).
 * Unlike the graphs above, nothing is excluded: a query equal to a data row finds it at distance 0.
 * @returns a graph of m rows: data indices and squared Euclidean distances, nearest first
 */
export function knnOfQueries(data: Float32Array, n: number, d: number, queries: Float32Array, m: number, k: number): KnnGraph {
  if (data.length < n * d) throw new Error(`data holds ${data.length} values, fewer than n·d = ${n * d}`);
  if (queries.length < m * d) throw new Error(`queries hold ${queries.length} values, fewer than m·d = ${m * d}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`k must be in [1, n], got ${k} for n = ${n}`);
  const heaps = new NeighbourHeaps(m, k);
  for (let q = 0; q < m; q++) {
    const base = q * d;
    for (let j = 0; j < n; j++) {
      const row = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = queries[base + t] - data[row + t];
        s += diff * diff;
      }
      heaps.pushUnchecked(q, j, s);
    }
  }
  return heaps.toGraph();
}
