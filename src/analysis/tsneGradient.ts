/**
 * The t-SNE gradient, split as usual into an attractive part over the sparse P and a repulsive part
 * over all pairs:
 *   ∂C/∂y_i = 4·[ α·Σ_j p_ij·w_ij·(y_i − y_j) − (1/Z)·Σ_j w_ij²·(y_i − y_j) ],
 *   w_ij = 1 / (1 + ‖y_i − y_j‖²), Z = Σ_{k≠l} w_kl, α the exaggeration.
 * The repulsive part is exact (O(n²), the reference for tests), Barnes–Hut or FFT interpolation.
 * All embeddings are n × 2 row-major Float64Arrays.
 */

import { barnesHutRepulsion, QuadTree } from './sptree';
import type { SparseAffinities } from './tsneAffinities';
import type { AttractionSource } from './tsne-attraction';
import { FftRepulsion, type FftRepulsionOptions } from './tsneFft';

/** How the repulsive forces are computed. */
export type RepulsionMethod = 'exact' | 'barnes-hut' | 'fft';

/** out[2i, 2i+1] = Σ_j p_ij·w_ij·(y_i − y_j) over the stored entries of row i. */
export function attractiveForces(P: SparseAffinities, y: Float64Array, out: Float64Array): void {
  const { n, rowPtr, columns, values } = P;
  for (let i = 0; i < n; i++) {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    for (let e = rowPtr[i], end = rowPtr[i + 1]; e < end; e++) {
      const j = columns[e];
      const dx = px - y[2 * j];
      const dy = py - y[2 * j + 1];
      const pw = values[e] / (1 + dx * dx + dy * dy);
      fx += pw * dx;
      fy += pw * dy;
    }
    out[2 * i] = fx;
    out[2 * i + 1] = fy;
  }
}

/** Exact repulsion: force[2i, 2i+1] = Σ_{j≠i} w_ij²·(y_i − y_j); returns Z. O(n²). */
export function exactRepulsion(y: Float64Array, n: number, force: Float64Array): number {
  force.fill(0, 0, 2 * n);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let fx = 0;
    let fy = 0;
    for (let j = i + 1; j < n; j++) {
      const dx = px - y[2 * j];
      const dy = py - y[2 * j + 1];
      const w = 1 / (1 + dx * dx + dy * dy);
      const w2 = w * w;
      z += 2 * w;
      fx += w2 * dx;
      fy += w2 * dy;
      force[2 * j] -= w2 * dx;
      force[2 * j + 1] -= w2 * dy;
    }
    force[2 * i] += fx;
    force[2 * i + 1] += fy;
  }
  return z;
}

/**
 * Computes repulsion with one method, keeping its reusable state (quadtree, FFT grid and spectra)
 * between iterations.
 */
export class Repulsion {
  private readonly tree = new QuadTree();
  private readonly fft: FftRepulsion;

  constructor(
    readonly method: RepulsionMethod,
    /** Barnes–Hut opening angle (cell side / distance below which a cell is summarised). */
    readonly theta: number,
    fftOptions: Partial<FftRepulsionOptions> = {},
  ) {
    this.fft = new FftRepulsion(fftOptions);
  }

  /** force[2i, 2i+1] ≈ Σ_{j≠i} w_ij²·(y_i − y_j); returns Z ≈ Σ_{i≠j} w_ij. */
  compute(y: Float64Array, n: number, force: Float64Array): number {
    switch (this.method) {
      case 'exact':
        return exactRepulsion(y, n, force);
      case 'barnes-hut':
        this.tree.build(y, n);
        return barnesHutRepulsion(this.tree, y, n, this.theta, force);
      case 'fft':
        return this.fft.compute(y, n, force);
      default: {
        const never: never = this.method;
        throw new Error(`unknown repulsion method ${String(never)}`);
      }
    }
  }

  /** FFT grid points per axis currently in use (0 for the other methods). */
  get fftGridSide(): number {
    return this.method === 'fft' ? this.fft.gridSide : 0;
  }
}

/**
 * The full KL gradient (see the module comment) into `grad` (n × 2), using `repulsion` and scratch
 * buffers `attract` and `repel` of the same length. Returns Z. With `attraction`, the attractive forces
 * come from it (perhaps another thread, working while this one computes the repulsion).
 */
export function klGradient(
  P: SparseAffinities,
  y: Float64Array,
  exaggeration: number,
  repulsion: Repulsion,
  grad: Float64Array,
  attract: Float64Array,
  repel: Float64Array,
  attraction?: AttractionSource,
): number {
  const n = P.n;
  if (attraction) attraction.begin(y);
  else attractiveForces(P, y, attract);
  const z = repulsion.compute(y, n, repel);
  attraction?.end(attract);
  const invZ = 1 / z;
  for (let e = 0; e < 2 * n; e++) grad[e] = 4 * (exaggeration * attract[e] - repel[e] * invZ);
  return z;
}
