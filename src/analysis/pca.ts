/**
 * Exact principal component analysis of n × d row-major data (d small: the latent codes, d ≤ 64): the
 * covariance matrix in float64, its full eigendecomposition by cyclic Jacobi rotations (exact to rounding
 * for symmetric matrices, no iteration count to tune), and the projection on the leading components.
 *
 * Sign convention: each component's largest-magnitude loading is positive, so the same data always gives
 * the same picture (an eigenvector is only defined up to sign).
 */

export interface PcaResult {
  /** components × d row-major unit vectors, by decreasing variance */
  components: Float64Array;
  /** variance along each returned component (eigenvalues of the covariance, divisor n − 1) */
  variances: Float64Array;
  /** each component's share of the total variance */
  explainedRatio: Float64Array;
  /** the column means subtracted before projecting */
  mean: Float64Array;
  /** n × components row-major projections */
  projection: Float32Array;
}

/** Column means and the covariance matrix (divisor n − 1; n − 0 when n is 1), both float64. */
export function covariance(data: Float32Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (data.length < n * d) throw new Error(`Expected ${n} × ${d} values, got ${data.length}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, n);
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  const divisor = Math.max(1, n - 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      cov[a * d + b] /= divisor;
      cov[b * d + a] = cov[a * d + b];
    }
  }
  return { mean, cov };
}

/**
 * Eigenvalues and eigenvectors of a symmetric d × d matrix by cyclic Jacobi rotations.
 * @returns values by decreasing size, and vectors as rows (d × d row-major) in the same order
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += a[p * d + p] ** 2;
      for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1, the stable form).
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j] - a[i * d + i]);
  const values = Float64Array.from(order, (i) => a[i * d + i]);
  const vectors = new Float64Array(d * d);
  order.forEach((column, rank) => {
    let largest = 0;
    for (let k = 0; k < d; k++) if (Math.abs(v[k * d + column]) > Math.abs(largest)) largest = v[k * d + column];
    const sign = largest < 0 ? -1 : 1;
    for (let k = 0; k < d; k++) vectors[rank * d + k] = sign * v[k * d + column];
  });
  return { values, vectors };
}

/** PCA of n × d data onto its leading `components` principal components. */
export function pca(data: Float32Array, n: number, d: number, components = 2): PcaResult {
  if (!Number.isInteger(components) || components < 1 || components > d) throw new Error(`components must be a whole number from 1 to ${d}`);
  const { mean, cov } = covariance(data, n, d);
  const { values, vectors } = symmetricEigen(cov, d);
  const total = values.reduce((sum, value) => sum + Math.max(0, value), 0);
  const top = vectors.slice(0, components * d);
  const projection = new Float32Array(n * components);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < components; c++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += (data[i * d + j] - mean[j]) * top[c * d + j];
      projection[i * components + c] = dot;
    }
  }
  const variances = values.slice(0, components).map((value) => Math.max(0, value));
  return { components: top, variances, explainedRatio: variances.map((value) => (total > 0 ? value / total : 0)), mean, projection };
}
