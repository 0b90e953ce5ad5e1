/**
 * Initial t-SNE embeddings: scikit-learn ≥ 1.2's default (PCA, scaled so the first coordinate has
 * standard deviation 1e-4) and the older random Gaussian one (σ = 1e-4). Both n × 2 row-major Float64.
 */

import { gaussian, type Rng } from './rng';

/** Standard deviation of the first initial coordinate (scikit-learn's 1e-4). */
export const INITIAL_SCALE = 1e-4;

/**
 * Covariance is accumulated over at most this many multiply-adds (rows · d²); larger inputs use a
 * random subsample of rows, which pins the two leading directions closely enough for a start.
 */
const COVARIANCE_BUDGET = 4e8;

/** i.i.d. N(0, scale²) coordinates. */
export function randomInitialization(n: number, rng: Rng, scale: number = INITIAL_SCALE): Float64Array {
  const y = new Float64Array(2 * n);
  for (let e = 0; e < 2 * n; e++) y[e] = scale * gaussian(rng);
  return y;
}

/**
 * The data's projection on its two leading principal axes, rescaled so the first coordinate has
 * standard deviation `scale` (as scikit-learn 1.2 does). Each axis is oriented so that its largest
 * |score| is positive (scikit-learn's svd_flip convention). `data`: n × d row-major; `rng` seeds
 * the power iteration and any row subsample.
 */
export function pcaInitialization(data: Float32Array, n: number, d: number, rng: Rng, scale: number = INITIAL_SCALE): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t];
  for (let t = 0; t < d; t++) mean[t] /= n;

  const sampleSize = Math.min(n, Math.max(2, Math.floor(COVARIANCE_BUDGET / (d * d))));
  const rows = new Int32Array(sampleSize);
  if (sampleSize === n) {
    for (let i = 0; i < n; i++) rows[i] = i;
  } else {
    for (let r = 0; r < sampleSize; r++) rows[r] = Math.floor(rng() * n);
  }
  // Upper triangle of the covariance, mirrored afterwards.
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let r = 0; r < sampleSize; r++) {
    const o = rows[r] * d;
    for (let t = 0; t < d; t++) centred[t] = data[o + t] - mean[t];
    for (let a = 0; a < d; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];

  const v1 = leadingEigenvector(cov, d, rng);
  const lambda1 = rayleigh(cov, d, v1);
  // Deflate and repeat for the second axis.
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] -= lambda1 * v1[a] * v1[b];
  const v2 = leadingEigenvector(cov, d, rng);

  const y = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    let s1 = 0;
    let s2 = 0;
    for (let t = 0; t < d; t++) {
      const c = data[i * d + t] - mean[t];
      s1 += c * v1[t];
      s2 += c * v2[t];
    }
    y[2 * i] = s1;
    y[2 * i + 1] = s2;
  }
  for (let axis = 0; axis < 2; axis++) {
    let extreme = 0;
    for (let i = 0; i < n; i++) if (Math.abs(y[2 * i + axis]) > Math.abs(extreme)) extreme = y[2 * i + axis];
    if (extreme < 0) for (let i = 0; i < n; i++) y[2 * i + axis] = -y[2 * i + axis];
  }
  let sq = 0;
  for (let i = 0; i < n; i++) sq += y[2 * i] * y[2 * i];
  const std = Math.sqrt(sq / n);
  // Constant data has no principal axis: fall back to a random start of the same scale.
  if (!(std > 0)) return randomInitialization(n, rng, scale);
  const f = scale / std;
  for (let e = 0; e < 2 * n; e++) y[e] *= f;
  return y;
}

/** Power iteration on a symmetric positive semi-definite d × d matrix. */
function leadingEigenvector(a: Float64Array, d: number, rng: Rng): Float64Array {
  let v = new Float64Array(d);
  for (let t = 0; t < d; t++) v[t] = rng() - 0.5;
  normalise(v);
  let w = new Float64Array(d);
  for (let iter = 0; iter < 2000; iter++) {
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += a[r * d + c] * v[c];
      w[r] = s;
    }
    if (normalise(w) === 0) return v;
    let change = 0;
    for (let t = 0; t < d; t++) change = Math.max(change, Math.abs(w[t] - v[t]));
    const tmp = v;
    v = w;
    w = tmp;
    if (change < 1e-12) break;
  }
  return v;
}

function rayleigh(a: Float64Array, d: number, v: Float64Array): number {
  let s = 0;
  for (let r = 0; r < d; r++) {
    let row = 0;
    for (let c = 0; c < d; c++) row += a[r * d + c] * v[c];
    s += v[r] * row;
  }
  return s;
}

function normalise(v: Float64Array): number {
  let s = 0;
  for (let t = 0; t < v.length; t++) s += v[t] * v[t];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let t = 0; t < v.length; t++) v[t] /= norm;
  return norm;
}
