/**
 * Agreement between a clustering and the true classes: contingency table, adjusted Rand index,
 * normalised mutual information and purity, following scikit-learn's definitions and edge cases
 * (`adjusted_rand_score`, `normalized_mutual_info_score` with `average_method="arithmetic"`).
 *
 * Labels are non-negative integers, one per point, in any integer array (Int32Array, Uint8Array, …).
 * Every metric accepts either the two label arrays or a {@link ContingencyTable} built once from them,
 * so a caller showing the table and all three scores counts the points only once.
 */

/** One label per point: non-negative integers. */
export type LabelArray = ArrayLike<number>;

/** Counts of points per (cluster, class) pair. */
export interface ContingencyTable {
  /** Int32Array(nClusters × nClasses), row-major: table[c * nClasses + y] = points in cluster c and class y. */
  table: Int32Array;
  nClusters: number;
  nClasses: number;
}

function isTable(x: LabelArray | ContingencyTable): x is ContingencyTable {
  return (x as Partial<ContingencyTable>).table instanceof Int32Array;
}

/** One past the largest label (0 for no points). */
function labelCount(labels: LabelArray): number {
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max + 1;
}

/**
 * Counts points per (cluster, class).
 * @param clusters cluster of each point, in 0…nClusters−1
 * @param labels class of each point, in 0…nClasses−1 (same length as `clusters`)
 * @param nClusters rows of the table; defaults to one past the largest cluster id
 * @param nClasses columns of the table; defaults to one past the largest class id
 * @throws RangeError when the lengths differ or a label is negative, fractional or out of range
 */
export function contingencyTable(
  clusters: LabelArray,
  labels: LabelArray,
  nClusters: number = labelCount(clusters),
  nClasses: number = labelCount(labels),
): ContingencyTable {
  if (clusters.length !== labels.length) {
    throw new RangeError(`contingencyTable: ${clusters.length} cluster labels but ${labels.length} class labels`);
  }
  const table = new Int32Array(nClusters * nClasses);
  for (let i = 0; i < clusters.length; i++) {
    const c = clusters[i];
    const y = labels[i];
    if (!(Number.isInteger(c) && c >= 0 && c < nClusters)) {
      throw new RangeError(`contingencyTable: cluster label ${c} at ${i} is not an integer in [0, ${nClusters})`);
    }
    if (!(Number.isInteger(y) && y >= 0 && y < nClasses)) {
      throw new RangeError(`contingencyTable: class label ${y} at ${i} is not an integer in [0, ${nClasses})`);
    }
    table[c * nClasses + y]++;
  }
  return { table, nClusters, nClasses };
}

function tableOf(a: LabelArray | ContingencyTable, b: LabelArray | undefined, name: string): ContingencyTable {
  if (isTable(a)) return a;
  if (b === undefined) throw new TypeError(`${name}: needs a contingency table or two label arrays`);
  return contingencyTable(a, b);
}

/** Row sums, column sums, the total and Σ n_ij², all exact in float64 for N < 9·10⁷. */
function margins(t: ContingencyTable): { rows: Float64Array; cols: Float64Array; total: number; sumSquares: number } {
  const { table, nClusters, nClasses } = t;
  const rows = new Float64Array(nClusters);
  const cols = new Float64Array(nClasses);
  let total = 0;
  let sumSquares = 0;
  for (let c = 0; c < nClusters; c++) {
    for (let y = 0; y < nClasses; y++) {
      const v = table[c * nClasses + y];
      rows[c] += v;
      cols[y] += v;
      total += v;
      sumSquares += v * v;
    }
  }
  return { rows, cols, total, sumSquares };
}

/**
 * Adjusted Rand index: pair-counting agreement corrected for chance; 1 for identical partitions, ~0 for
 * independent ones, can be negative. Symmetric in its two labelings. Computed from the pair confusion
 * matrix exactly as scikit-learn does, including its convention that two labelings with no disagreeing
 * pairs (e.g. both empty, or both one cluster) score 1.
 */
export function adjustedRandIndex(table: ContingencyTable): number;
export function adjustedRandIndex(clusters: LabelArray, labels: LabelArray): number;
export function adjustedRandIndex(a: LabelArray | ContingencyTable, b?: LabelArray): number {
  const { rows, cols, total, sumSquares } = margins(tableOf(a, b, 'adjustedRandIndex'));
  let rowSquares = 0;
  for (let c = 0; c < rows.length; c++) rowSquares += rows[c] * rows[c];
  let colSquares = 0;
  for (let y = 0; y < cols.length; y++) colSquares += cols[y] * cols[y];
  // Ordered pairs of distinct points: together in both / only in the class / only in the cluster / neither.
  const tp = sumSquares - total;
  const fp = rowSquares - sumSquares;
  const fn = colSquares - sumSquares;
  const tn = total * total - fp - fn - sumSquares;
  if (fp === 0 && fn === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

/** Shannon entropy (nats) of counts summing to `total`. */
function entropy(counts: Float64Array, total: number): number {
  let h = 0;
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i];
    if (v > 0) h -= (v / total) * Math.log(v / total);
  }
  return h;
}

/**
 * Normalised mutual information, arithmetic-mean normalisation: I(U; V) / ((H(U) + H(V)) / 2), in
 * [0, 1], symmetric. As in scikit-learn: 1 when both labelings put every point in one group (or there
 * are no points), 0 when exactly one of them does.
 */
export function normalizedMutualInfo(table: ContingencyTable): number;
export function normalizedMutualInfo(clusters: LabelArray, labels: LabelArray): number;
export function normalizedMutualInfo(a: LabelArray | ContingencyTable, b?: LabelArray): number {
  const t = tableOf(a, b, 'normalizedMutualInfo');
  const { rows, cols, total } = margins(t);
  let usedRows = 0;
  for (let c = 0; c < rows.length; c++) if (rows[c] > 0) usedRows++;
  let usedCols = 0;
  for (let y = 0; y < cols.length; y++) if (cols[y] > 0) usedCols++;
  if (usedRows === usedCols && usedRows <= 1) return 1;
  if (usedRows <= 1 || usedCols <= 1) return 0;
  const { table, nClusters, nClasses } = t;
  let mi = 0;
  for (let c = 0; c < nClusters; c++) {
    for (let y = 0; y < nClasses; y++) {
      const v = table[c * nClasses + y];
      if (v > 0) mi += (v / total) * Math.log((total * v) / (rows[c] * cols[y]));
    }
  }
  // Rounding can leave a tiny negative sum for independent labelings; MI itself is never negative.
  if (!(mi > 0)) return 0;
  return mi / ((entropy(rows, total) + entropy(cols, total)) / 2);
}

/**
 * Purity: the fraction of points that belong to their cluster's most common class, in (0, 1].
 * Not symmetric: `purity(clusters, labels)` rewards many small clusters. 1 for no points.
 */
export function purity(table: ContingencyTable): number;
export function purity(clusters: LabelArray, labels: LabelArray): number;
export function purity(a: LabelArray | ContingencyTable, b?: LabelArray): number {
  const { table, nClusters, nClasses } = tableOf(a, b, 'purity');
  let majority = 0;
  let total = 0;
  for (let c = 0; c < nClusters; c++) {
    let best = 0;
    for (let y = 0; y < nClasses; y++) {
      const v = table[c * nClasses + y];
      total += v;
      if (v > best) best = v;
    }
    majority += best;
  }
  return total === 0 ? 1 : majority / total;
}
