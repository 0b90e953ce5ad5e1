/**
 * The cluster × digit table as the heatmap shows it: raw counts, or each cluster's row as percentages of its
 * members (so a small cluster that is all one digit reads as clearly as a big one).
 */

/** Rows of `counts` (row-major, `rows` × `cols`) as arrays of plain numbers. */
export function countRows(counts: ArrayLike<number>, rows: number, cols: number): number[][] {
  if (counts.length !== rows * cols) throw new Error(`expected ${rows} × ${cols} counts, got ${counts.length}`);
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => counts[r * cols + c]));
}

/**
 * Each row as percentages of its own total (0–100, summing to 100 up to rounding); an empty row (a cluster
 * with no members) stays all zeros rather than dividing by zero.
 */
export function rowPercentages(counts: ArrayLike<number>, rows: number, cols: number): number[][] {
  return countRows(counts, rows, cols).map((row) => {
    const total = row.reduce((sum, v) => sum + v, 0);
    return total > 0 ? row.map((v) => (100 * v) / total) : row.map(() => 0);
  });
}

/** A cell's printed label: the count itself, or a whole percentage ("<1%" for a small non-zero share). */
export function cellLabel(value: number, asPercent: boolean): string {
  if (!asPercent) return String(Math.round(value));
  if (value > 0 && value < 0.5) return '<1%';
  return `${Math.round(value)}%`;
}
