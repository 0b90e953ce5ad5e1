/**
 * t-SNE input affinities: perplexity-calibrated Gaussian conditionals p_{j|i}, symmetrised into the
 * joint P = (C + Cᵀ) / 2n (rows of C sum to 1, so P sums to 1), as in scikit-learn. Distances are
 * squared Euclidean throughout, as scikit-learn uses them.
 *
 * The sparse form (for optimisation) keeps each point's k nearest neighbours; the exact form (for
 * `exactKl`) calibrates every row over all n − 1 other points and is never materialised: it keeps
 * one precision and one normaliser per row and recomputes p_ij where needed, so 10,000 points need
 * kilobytes, not the 800 MB of a dense Float64 matrix.
 */

import { rowNorms, squaredDistanceBlock, type KnnGraph } from './knn';

/** Symmetric joint affinities in CSR form; values sum to 1 over all stored entries. */
export interface SparseAffinities {
  /** Number of points. */
  readonly n: number;
  /** n + 1 row offsets into `columns` / `values`. */
  readonly rowPtr: Int32Array;
  /** Column index of each stored entry. */
  readonly columns: Int32Array;
  /** p_ij of each stored entry (Float64: the sums over 10⁶ small terms need it). */
  readonly values: Float64Array;
}

/** Entropy tolerance (nats) and step limit of the precision search; scikit-learn's values. */
export const PERPLEXITY_TOLERANCE = 1e-5;
export const PERPLEXITY_MAX_STEPS = 100;

/**
 * Conditional probabilities below this are set to zero. They cannot matter (each row sums to 1),
 * and left in they become subnormal floats after a few multiplications, which run ~10× slower on
 * x86 in every later loop.
 */
const FLUSH_BELOW = 1e-100;

/** Beyond this exponent, e^(−x) < 1e-304: skip the exp (and avoid producing subnormals). */
const EXP_CUTOFF = 700;

/**
 * Find the precision β of one row so that the entropy of p_j ∝ exp(−β·d_j) over
 * `dist[offset … offset + count)` equals `targetEntropy` (nats); write the normalised p_j to
 * `out[offset …]` and return β (distances are shifted by their minimum first, which changes neither
 * p nor the entropy but keeps exp from underflowing). Safeguarded Newton on the entropy (dH/dβ =
 * −β·Var(d)) inside a bisection bracket, falling back to scikit-learn's doubling / bisection steps.
 */
export function calibrateRow(
  dist: ArrayLike<number>,
  offset: number,
  count: number,
  targetEntropy: number,
  out: Float64Array,
  tolerance: number = PERPLEXITY_TOLERANCE,
  maxSteps: number = PERPLEXITY_MAX_STEPS,
): number {
  if (count === 0) return 1;
  let dMin = Infinity;
  for (let s = 0; s < count; s++) dMin = Math.min(dMin, dist[offset + s]);
  let beta = initialBeta(dist, offset, count, dMin);
  let lo = 0;
  let hi = Infinity;
  for (let step = 0; step < maxSteps; step++) {
    const { entropy, variance } = rowEntropy(dist, offset, count, dMin, beta, out);
    const diff = entropy - targetEntropy;
    if (Math.abs(diff) <= tolerance) break;
    // Entropy falls as β rises.
    if (diff > 0) lo = beta;
    else hi = beta;
    let next = variance > 0 ? beta + diff / (beta * variance) : NaN;
    if (!(next > lo && next < hi)) next = hi === Infinity ? beta * 2 : (lo + hi) / 2;
    if (next === beta) break;
    beta = next;
  }
  // `out` holds the last evaluated row; recompute for the final β so it matches what is returned.
  rowEntropy(dist, offset, count, dMin, beta, out);
  return beta;
}

/** A scale-free start: β = 1 / (median-ish spread of the shifted distances). */
function initialBeta(dist: ArrayLike<number>, offset: number, count: number, dMin: number): number {
  let mean = 0;
  for (let s = 0; s < count; s++) mean += dist[offset + s] - dMin;
  mean /= count;
  return mean > 0 ? 1 / mean : 1;
}

function rowEntropy(
  dist: ArrayLike<number>,
  offset: number,
  count: number,
  dMin: number,
  beta: number,
  out: Float64Array,
): { entropy: number; variance: number } {
  let sum = 0;
  let sumD = 0;
  let sumD2 = 0;
  for (let s = 0; s < count; s++) {
    const dd = dist[offset + s] - dMin;
    const x = beta * dd;
    const p = x > EXP_CUTOFF ? 0 : Math.exp(-x);
    out[offset + s] = p;
    sum += p;
    sumD += p * dd;
    sumD2 += p * dd * dd;
  }
  // sum ≥ 1: the nearest point has shifted distance 0.
  const inv = 1 / sum;
  for (let s = 0; s < count; s++) {
    const p = out[offset + s] * inv;
    out[offset + s] = p < FLUSH_BELOW ? 0 : p;
  }
  const meanD = sumD * inv;
  const entropy = Math.log(sum) + beta * meanD;
  const variance = Math.max(0, sumD2 * inv - meanD * meanD);
  return { entropy, variance };
}

/**
 * Conditional affinities p_{j|i} over each point's k nearest neighbours (the graph's rows), each
 * row calibrated to `perplexity`. Returns n × k row-major values aligned with `graph.indices`, and
 * the per-row precisions β.
 */
export function conditionalAffinities(
  graph: KnnGraph,
  perplexity: number,
): { conditional: Float64Array; beta: Float64Array } {
  const { n, k } = graph;
  if (!(perplexity > 0)) throw new Error(`perplexity must be positive, got ${perplexity}`);
  const target = Math.log(perplexity);
  const conditional = new Float64Array(n * k);
  const beta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    beta[i] = calibrateRow(graph.distances, i * k, k, target, conditional);
  }
  return { conditional, beta };
}

/**
 * The symmetric joint P = (C + Cᵀ) / sum from row-stochastic conditionals C on a kNN graph
 * (`conditional` aligned with `graph.indices`). Entries with p = 0 are dropped.
 */
export function symmetrize(graph: KnnGraph, conditional: Float64Array): SparseAffinities {
  const { n, k, indices } = graph;
  // Transposed graph (who lists me as a neighbour), by counting sort.
  const inStart = new Int32Array(n + 1);
  for (let e = 0; e < n * k; e++) inStart[indices[e] + 1]++;
  for (let i = 0; i < n; i++) inStart[i + 1] += inStart[i];
  const inFrom = new Int32Array(n * k);
  const inValue = new Float64Array(n * k);
  const fill = inStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const e = i * k + s;
      const j = indices[e];
      const at = fill[j]++;
      inFrom[at] = i;
      inValue[at] = conditional[e];
    }
  }
  // Merge own row and incoming entries per row; `slot` maps a column to its place in the row.
  const slot = new Int32Array(n).fill(-1);
  const rowPtr = new Int32Array(n + 1);
  const columns = new Int32Array(2 * n * k);
  const values = new Float64Array(2 * n * k);
  let nnz = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const rowStart = nnz;
    for (let s = 0; s < k; s++) {
      const e = i * k + s;
      const j = indices[e];
      slot[j] = nnz;
      columns[nnz] = j;
      values[nnz] = conditional[e];
      nnz++;
    }
    for (let at = inStart[i]; at < inStart[i + 1]; at++) {
      const j = inFrom[at];
      const existing = slot[j];
      if (existing >= rowStart) {
        values[existing] += inValue[at];
      } else {
        slot[j] = nnz;
        columns[nnz] = j;
        values[nnz] = inValue[at];
        nnz++;
      }
    }
    // Compact zero entries out of the row and reset the slots for the next row.
    let w = rowStart;
    for (let e = rowStart; e < nnz; e++) {
      slot[columns[e]] = -1;
      if (values[e] > 0) {
        columns[w] = columns[e];
        values[w] = values[e];
        total += values[e];
        w++;
      }
    }
    nnz = w;
    rowPtr[i + 1] = nnz;
  }
  const inv = total > 0 ? 1 / total : 0;
  const outValues = values.slice(0, nnz);
  for (let e = 0; e < nnz; e++) outValues[e] *= inv;
  return { n, rowPtr, columns: columns.slice(0, nnz), values: outValues };
}

/** Sparse joint affinities from a kNN graph: `conditionalAffinities` then `symmetrize`. */
export function jointAffinities(graph: KnnGraph, perplexity: number): SparseAffinities {
  return symmetrize(graph, conditionalAffinities(graph, perplexity).conditional);
}

/**
 * Exact (all-pairs) perplexity-calibrated affinities, kept implicitly: p_{j|i} = exp(−β_i·(d_ij −
 * shift_i)) / norm_i, and p_ij = (p_{j|i} + p_{i|j}) / 2n.
 */
export interface ExactAffinities {
  readonly n: number;
  readonly d: number;
  /** The input points, n × d row-major, as Float64. */
  readonly data: Float64Array;
  /** Squared norms of the rows. */
  readonly norms: Float64Array;
  /** Per-row precision β_i (1 / squared-distance units). */
  readonly beta: Float64Array;
  /** Per-row smallest squared distance to another point (the exponent's shift). */
  readonly shift: Float64Array;
  /** Per-row Σ_j exp(−β_i·(d_ij − shift_i)) over j ≠ i. */
  readonly norm: Float64Array;
}

/** Rows of the distance matrix computed together (one L2-sized block of Float64). */
const EXACT_ROW_BLOCK = 16;

/**
 * Calibrate every row over all n − 1 other points (O(n²·d) time, O(n·d) memory), to an entropy
 * tolerance of 1e-10 nats: the safeguarded Newton search of `calibrateRow` needs about ten passes
 * over a row where scikit-learn's bisection needs 30–50. `data`: n × d row-major.
 */
export function exactAffinities(data: Float32Array, n: number, d: number, perplexity: number): ExactAffinities {
  if (n < 2) throw new Error('exactAffinities needs at least two points');
  const x = Float64Array.from(data.subarray(0, n * d));
  const norms = rowNorms(x, n, d);
  const beta = new Float64Array(n);
  const shift = new Float64Array(n);
  const norm = new Float64Array(n);
  const target = Math.log(perplexity);
  const block = new Float64Array(EXACT_ROW_BLOCK * n);
  const tile = new Float64Array(EXACT_ROW_BLOCK * EXACT_COLUMN_BLOCK);
  const row = new Float64Array(n - 1);
  const probs = new Float64Array(n - 1);
  for (let i0 = 0; i0 < n; i0 += EXACT_ROW_BLOCK) {
    const i1 = Math.min(n, i0 + EXACT_ROW_BLOCK);
    squaredDistanceRows(x, norms, n, d, i0, i1, 0, block, tile);
    for (let i = i0; i < i1; i++) {
      const src = (i - i0) * n;
      let w = 0;
      for (let j = 0; j < n; j++) if (j !== i) row[w++] = block[src + j];
      const b = calibrateRow(row, 0, n - 1, target, probs, 1e-10, 200);
      let dMin = Infinity;
      for (let s = 0; s < n - 1; s++) dMin = Math.min(dMin, row[s]);
      let z = 0;
      for (let s = 0; s < n - 1; s++) {
        const e = b * (row[s] - dMin);
        if (e <= EXP_CUTOFF) z += Math.exp(-e);
      }
      beta[i] = b;
      shift[i] = dMin;
      norm[i] = z;
    }
  }
  return { n, d, data: x, norms, beta, shift, norm };
}

/** out[(i − i0)·n + j] = ‖x_i − x_j‖² for i ∈ [i0, i1), j ∈ [jFrom, n) (clamped at 0). */
function squaredDistanceRows(
  x: Float64Array,
  norms: Float64Array,
  n: number,
  d: number,
  i0: number,
  i1: number,
  jFrom: number,
  out: Float64Array,
  tile: Float64Array,
): void {
  // Tiles of the tiled kernel, copied into row-of-n layout.
  const rows = i1 - i0;
  for (let j0 = jFrom; j0 < n; j0 += EXACT_COLUMN_BLOCK) {
    const j1 = Math.min(n, j0 + EXACT_COLUMN_BLOCK);
    const width = j1 - j0;
    squaredDistanceBlock(x, norms, d, i0, i1, j0, j1, tile);
    for (let r = 0; r < rows; r++) out.set(tile.subarray(r * width, (r + 1) * width), r * n + j0);
  }
}

/** Columns per distance tile. */
const EXACT_COLUMN_BLOCK = 256;

/** Machine epsilon of float64: scikit-learn's floor for P and Q in its KL. */
const MACHINE_EPSILON = 2.220446049250313e-16;

/**
 * The exact KL divergence KL(P‖Q) = Σ_{i≠j} p_ij log(p_ij / q_ij) of a 2-D embedding (n × 2
 * row-major) under exact affinities P and the Student-t Q over all pairs, with scikit-learn's
 * floor of p and q at machine epsilon. Pairs with p_ij below the floor are skipped: together they
 * change the result by < 1e-6. O(n²·d) time, O(n) memory; meant for n ≤ ~10,000.
 */
export function exactKl(P: ExactAffinities, embedding: Float32Array | Float64Array): number {
  const { n, d, data: x, norms, beta, shift, norm } = P;
  if (embedding.length < 2 * n) throw new Error('embedding smaller than n × 2');
  // Q's normaliser first: Σ_{i≠j} 1 / (1 + ‖y_i − y_j‖²).
  let zq = 0;
  for (let i = 0; i < n; i++) {
    const yx = embedding[2 * i];
    const yy = embedding[2 * i + 1];
    let s = 0;
    for (let j = i + 1; j < n; j++) {
      const dx = yx - embedding[2 * j];
      const dy = yy - embedding[2 * j + 1];
      s += 1 / (1 + dx * dx + dy * dy);
    }
    zq += 2 * s;
  }
  const logZq = Math.log(zq);
  const logEps = Math.log(MACHINE_EPSILON);
  const inv2n = 1 / (2 * n);
  const block = new Float64Array(EXACT_ROW_BLOCK * n);
  const tile = new Float64Array(EXACT_ROW_BLOCK * EXACT_COLUMN_BLOCK);
  let kl = 0;
  for (let i0 = 0; i0 < n; i0 += EXACT_ROW_BLOCK) {
    const i1 = Math.min(n, i0 + EXACT_ROW_BLOCK);
    squaredDistanceRows(x, norms, n, d, i0, i1, i0, block, tile);
    for (let i = i0; i < i1; i++) {
      const o = (i - i0) * n;
      const bi = beta[i];
      const si = shift[i];
      const ni = norm[i];
      const yx = embedding[2 * i];
      const yy = embedding[2 * i + 1];
      let rowSum = 0;
      for (let j = i + 1; j < n; j++) {
        const dij = block[o + j];
        const ei = bi * (dij - si);
        const ej = beta[j] * (dij - shift[j]);
        if (ei > EXP_CUTOFF && ej > EXP_CUTOFF) continue;
        const ci = ei > EXP_CUTOFF ? 0 : Math.exp(-ei) / ni;
        const cj = ej > EXP_CUTOFF ? 0 : Math.exp(-ej) / norm[j];
        const p = (ci + cj) * inv2n;
        if (p <= MACHINE_EPSILON) continue;
        const dx = yx - embedding[2 * j];
        const dy = yy - embedding[2 * j + 1];
        // log q = −log(1 + d²) − log Zq, floored at log ε.
        const logQ = Math.max(-Math.log(1 + dx * dx + dy * dy) - logZq, logEps);
        rowSum += p * (Math.log(p) - logQ);
      }
      kl += 2 * rowSum;
    }
  }
  return kl;
}
