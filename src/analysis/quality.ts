/**
 * How faithful a low-dimensional map is: trustworthiness (Venna & Kaski 2001, scikit-learn's
 * formula) and leave-one-out k-nearest-neighbour label accuracy. Inputs are n × d row-major
 * Float32Arrays; distances are Euclidean.
 */

import { exactKnn, exactKnn2d, rowNorms, squaredDistanceBlock, type KnnGraph } from './knn';

/** Rows of high-dimensional distances held at once by `trustworthiness` (16 × n Float64). */
const RANK_ROW_BLOCK = 16;
/** Columns per distance tile. */
const RANK_COLUMN_BLOCK = 256;

/** Exact k nearest neighbours in any dimension (bucket grid in 2-D, brute force otherwise). */
function neighbours(points: Float32Array, d: number, n: number, k: number): KnnGraph {
  return d === 2 ? exactKnn2d(points, n, k) : exactKnn(points, n, d, k);
}

/**
 * Trustworthiness T(k) ∈ [0, 1] of `low` (n × dLow) as a map of `high` (n × dHigh):
 *   T = 1 − 2 / (n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ N_k^low(i)} max(0, r(i, j) − k),
 * where r(i, j) is j's rank among i's neighbours in the high space (1 = nearest). Ranks count the
 * points strictly nearer than j, so exact ties rank optimistically (scikit-learn's argsort breaks
 * them arbitrarily). High-dimensional distances are computed 16 rows at a time: O(n²·dHigh) time,
 * O(n) memory. Requires k < n / 2 (the normaliser must be positive).
 */
export function trustworthiness(
  high: Float32Array,
  dHigh: number,
  low: Float32Array,
  dLow: number,
  n: number,
  k = 10,
): number {
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) throw new Error(`trustworthiness needs 1 ≤ k < n/2, got k = ${k}, n = ${n}`);
  if (high.length < n * dHigh || low.length < n * dLow) throw new Error('trustworthiness: arrays smaller than n × d');
  const lowGraph = neighbours(low, dLow, n, k);
  const x = Float64Array.from(high.subarray(0, n * dHigh));
  const norms = rowNorms(x, n, dHigh);
  const rows = new Float64Array(RANK_ROW_BLOCK * n);
  const tile = new Float64Array(RANK_ROW_BLOCK * RANK_COLUMN_BLOCK);
  const thresholds = new Float64Array(k);
  const below = new Int32Array(k + 1);
  let penalty = 0;
  for (let i0 = 0; i0 < n; i0 += RANK_ROW_BLOCK) {
    const i1 = Math.min(n, i0 + RANK_ROW_BLOCK);
    const blockRows = i1 - i0;
    for (let j0 = 0; j0 < n; j0 += RANK_COLUMN_BLOCK) {
      const j1 = Math.min(n, j0 + RANK_COLUMN_BLOCK);
      const width = j1 - j0;
      squaredDistanceBlock(x, norms, dHigh, i0, i1, j0, j1, tile);
      for (let r = 0; r < blockRows; r++) rows.set(tile.subarray(r * width, (r + 1) * width), r * n + j0);
    }
    for (let i = i0; i < i1; i++) {
      const o = (i - i0) * n;
      // High-space distances of i's low-space neighbours, ascending.
      for (let s = 0; s < k; s++) thresholds[s] = rows[o + lowGraph.indices[i * k + s]];
      thresholds.sort();
      const largest = thresholds[k - 1];
      // below[m] counts points whose distance falls under thresholds[m] but not thresholds[m − 1].
      below.fill(0);
      for (let l = 0; l < n; l++) {
        if (l === i) continue;
        const v = rows[o + l];
        if (v >= largest) continue;
        let m = 0;
        while (thresholds[m] <= v) m++;
        below[m]++;
      }
      let nearer = 0;
      for (let m = 0; m < k; m++) {
        nearer += below[m];
        const rank = nearer + 1;
        if (rank > k) penalty += rank - k;
      }
    }
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}

/**
 * Leave-one-out k-NN classification accuracy in the space of `points` (n × d row-major): each point
 * is labelled by a majority vote of its k nearest other points and compared with its own label.
 * Ties between labels go to the smallest label, as scikit-learn's KNeighborsClassifier (uniform
 * weights) does through its mode. Exact neighbours: a bucket grid in 2-D, O(n²·d) brute force
 * otherwise. Labels are non-negative integers.
 */
export function knnAccuracy(points: Float32Array, d: number, n: number, labels: ArrayLike<number>, k = 10): number {
  if (labels.length < n) throw new Error(`knnAccuracy: ${labels.length} labels for ${n} points`);
  if (!Number.isInteger(k) || k < 1 || k > n - 1) throw new Error(`knnAccuracy needs 1 ≤ k ≤ n − 1, got ${k}`);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0) throw new Error(`knnAccuracy: label ${l} is not a non-negative integer`);
    if (l > maxLabel) maxLabel = l;
  }
  const graph = neighbours(points, d, n, k);
  const votes = new Int32Array(maxLabel + 1);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) votes[labels[graph.indices[i * k + s]]]++;
    let best = 0;
    for (let l = 1; l <= maxLabel; l++) if (votes[l] > votes[best]) best = l;
    if (best === labels[i]) correct++;
    for (let s = 0; s < k; s++) votes[labels[graph.indices[i * k + s]]] = 0;
  }
  return correct / n;
}
