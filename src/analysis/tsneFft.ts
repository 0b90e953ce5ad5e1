/**
 * t-SNE repulsion by FFT-accelerated interpolation (after FIt-SNE, Linderman et al. 2019, and
 * openTSNE's "fft" method), O(n + g² log g) per iteration for a g × g grid, with an exact near field.
 *
 * Each point's unit charge is spread onto a uniform grid with Lagrange weights, the grid is
 * convolved (by FFT, `GridConvolver`) with the kernels, and the potentials are interpolated back
 * with the same weights. Kernels at offset Δ = target − source, u = ‖Δ‖²:
 *   k₁(u) = 1 / (1 + u)                         → Z = Σ_{i≠j} w_ij (by Parseval: no inverse transform),
 *   Δ·k₂(u), k₂(u) = 1 / (1 + u)²                → the unnormalised repulsion Σ_j w_ij²·(y_i − y_j).
 *
 * Why not FIt-SNE as published:
 * - The kernels vary on a scale of ~0.5 units, and a grid fine enough for that over a map 150–300
 *   units wide needs 1024² transforms, too slow in JavaScript. On an affordable grid (spacing
 *   1–2 units) the interpolated kernel is smoothed, repulsion between close points comes out ~40%
 *   too weak and maps shrink (measured: span 96 instead of 164, exact KL 1.72 instead of 1.45 at
 *   5,000 points). So the kernels are split, as in particle–particle/particle–mesh (P3M) methods:
 *   the grid carries a smooth far part (`SplitKernels`: the kernel outside radius R = 3 grid
 *   spacings, a polynomial inside), and the rest — nonzero only within R — is summed exactly over
 *   the close pairs found on a cell list.
 * - The force kernels Δ·k₂ are convolved directly, not FIt-SNE's charges {1, y, ‖y‖²} against k₂,
 *   which cancel catastrophically (‖y‖²·Σk₂ − …) once the map is ~100 units wide.
 * - Interpolation is centred on each point (its p nearest grid nodes) rather than on fixed boxes,
 *   whose edge points extrapolate: for p = 3 the worst-case Lagrange error factor is 5× smaller.
 *
 * The grid spacing stays fixed while the map fits, so the kernel spectra (which depend only on the
 * spacing) are recomputed only when the map outgrows the grid.
 *
 * The hot loops (the near-field pairs here, the row passes and spectrum products of `GridConvolver`)
 * run in WebAssembly SIMD where available (wasm/tsne-simd.ts, wasm/fft-simd.ts), bit-identical to
 * the JavaScript loops, which remain the fallback and the reference in tests.
 */

import { GridConvolver, nextPowerOfTwo, type GridSpectrum } from './fft';
import { RepulsionSimd, type NearFieldArrays } from './wasm/tsne-simd';

/** A grid outgrown within this many iterations counts as fast growth. */
const FAST_GROWTH_ITERATIONS = 20;
/** Extra room (on top of growthSlack) given to a fast-growing map. */
const FAST_GROWTH_SLACK = 1.25;
/** Re-plan a grid whose room exceeds the wanted one by this factor once growth has slowed. */
const TOO_COARSE = 1.3;

/** Near-field cells per split radius (measured: 2 beats 1 and 3 by 15–20%). */
const NEAR_CELLS_PER_RADIUS = 2;

/** Options of the FFT repulsion. */
export interface FftRepulsionOptions {
  /** Interpolation nodes per axis for each point (Lagrange degree + 1), 2 … 8. */
  interpolationNodes: number;
  /** Wanted distance between grid nodes, in embedding units; finer is more accurate and costlier. */
  gridSpacing: number;
  /**
   * Largest FFT side (power of two); a wider map gets a coarser grid (and a wider near field)
   * instead. 0: by the number of points, `autoTransformSize(n)`.
   */
  maxTransformSize: number;
  /** Smallest FFT side (power of two). */
  minTransformSize: number;
  /** Head room when the grid is re-planned, so a growing map does not re-plan every iteration. */
  growthSlack: number;
  /**
   * Radius, in grid spacings, inside which pair interactions are computed exactly instead of
   * through the grid (0: never). See `FftRepulsion`.
   */
  nearFieldRadius: number;
  /** Spacing (embedding units) below which the grid alone resolves the kernels and no pair is exact. */
  nearFieldMinSpacing: number;
  /** Degree of the polynomial that replaces the kernels inside the near-field radius on the grid. */
  splitDegree: number;
  /** Run the near-field pair loop in WebAssembly SIMD where available (same results, bit for bit). */
  simd: boolean;
}

/**
 * Defaults, measured against exact sums on 5,000- and 10,000-point maps from the reference latents:
 * quadratic interpolation (3 nodes), a 0.2-unit grid while the map is small enough for a 256-point
 * transform (no near field needed then), and beyond that a near field of 3 grid spacings with a
 * linear core. Force error 0.3–1.3% of its norm, Z error < 0.05% (Barnes–Hut with θ = 0.5:
 * 1.3–1.9% and ~1%). A higher split degree measured *less* accurate (its core is less smooth);
 * 4 or 5 interpolation nodes gain less accuracy per millisecond than a wider near field.
 */
export const DEFAULT_FFT_REPULSION_OPTIONS: Readonly<FftRepulsionOptions> = {
  interpolationNodes: 3,
  gridSpacing: 0.2,
  maxTransformSize: 0,
  minTransformSize: 32,
  growthSlack: 1.15,
  nearFieldRadius: 3,
  nearFieldMinSpacing: 0.2,
  splitDegree: 1,
  simd: true,
};

/**
 * Repulsive forces and the normaliser Z by grid interpolation plus an exact near field. Keeps its
 * grid, kernel spectra and buffers between calls: one instance per optimisation.
 */
export class FftRepulsion {
  private readonly options: FftRepulsionOptions;
  private readonly p: number;
  /** Nodes below / above the point's own node that its stencil reaches. */
  private readonly lowReach: number;
  private readonly offsets: Float64Array;
  private readonly denominators: Float64Array;
  private convolver: GridConvolver | null = null;
  private spectra: { g1: GridSpectrum; gxy: GridSpectrum } | null = null;
  /** k₁ at the (2p − 1)² stencil offsets, for removing each point's own interpolated term from Z. */
  private selfZ = new Float64Array(0);
  private split = new SplitKernels(0, 0);
  private cellStart: Int32Array = new Int32Array(0);
  private cellOf: Int32Array = new Int32Array(0);
  /** Points in cell order and the near-field forces on them. */
  private sorted: NearFieldArrays = { xs: new Float64Array(0), ys: new Float64Array(0), fxs: new Float64Array(0), fys: new Float64Array(0) };
  /** The near-field pair loop in WebAssembly SIMD (null: the JavaScript `nearPairs`). */
  private readonly simd: RepulsionSimd | null;
  private sortedIndex: Int32Array = new Int32Array(0);
  /** For p = 3: k₁(|δx|, |δy|) times the number of sign combinations, δ ∈ {0, 1, 2}² (row = |δy|). */
  private selfFolded = new Float64Array(9);
  private readonly selfAx: Float64Array;
  private readonly selfAy: Float64Array;
  private spacingValue = 0;
  /** Calls to `compute` so far, and the call that last planned the grid. */
  private calls = 0;
  private plannedAt = 0;
  private grid = new Float64Array(0);
  /** The potentials on the grid, x and y components interleaved (2·m² values). */
  private phi: Float64Array = new Float64Array(0);
  /** Interpolated forces of the cell-ordered points, (x, y) interleaved (3 nodes per axis only). */
  private interp: Float64Array = new Float64Array(0);
  private baseX: Int32Array = new Int32Array(0);
  private baseY: Int32Array = new Int32Array(0);
  private wx: Float64Array = new Float64Array(0);
  private wy: Float64Array = new Float64Array(0);

  constructor(options: Partial<FftRepulsionOptions> = {}) {
    this.options = { ...DEFAULT_FFT_REPULSION_OPTIONS, ...options };
    const p = this.options.interpolationNodes;
    if (!Number.isInteger(p) || p < 2 || p > 8) throw new Error(`interpolationNodes must be an integer in [2, 8], got ${p}`);
    if (!(this.options.gridSpacing > 0)) throw new Error('gridSpacing must be positive');
    this.p = p;
    this.simd = this.options.simd ? RepulsionSimd.create() : null;
    // Odd p: nodes c − (p−1)/2 … c + (p−1)/2 around the nearest node c; even p: c − p/2 + 1 … c + p/2 around floor.
    this.lowReach = p % 2 === 1 ? (p - 1) / 2 : p / 2 - 1;
    this.offsets = new Float64Array(p);
    this.denominators = new Float64Array(p);
    this.selfAx = new Float64Array(2 * p - 1);
    this.selfAy = new Float64Array(2 * p - 1);
    for (let a = 0; a < p; a++) this.offsets[a] = a - this.lowReach;
    for (let a = 0; a < p; a++) {
      let den = 1;
      for (let b = 0; b < p; b++) if (b !== a) den *= this.offsets[a] - this.offsets[b];
      this.denominators[a] = den;
    }
  }

  /** Grid points per axis in use (0 before the first call). */
  get gridSide(): number {
    return this.convolver ? this.convolver.m : 0;
  }

  /** Distance between grid nodes in embedding units (0 before the first call). */
  get spacing(): number {
    return this.spacingValue;
  }

  /**
   * For n points `y` (n × 2 row-major): force[2i, 2i+1] ≈ Σ_{j≠i} w_ij²·(y_i − y_j) with w_ij =
   * 1 / (1 + ‖y_i − y_j‖²); returns Z ≈ Σ_{i≠j} w_ij.
   */
  compute(y: Float64Array, n: number, force: Float64Array): number {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity; // prettier-ignore
    for (let i = 0; i < n; i++) {
      const px = y[2 * i];
      const py = y[2 * i + 1];
      if (px < minX) minX = px;
      if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      if (py > maxY) maxY = py;
    }
    if (!Number.isFinite(minX + maxX + minY + maxY)) throw new Error('t-SNE embedding has non-finite coordinates');
    const span = Math.max(maxX - minX, maxY - minY);
    const p = this.p;
    this.calls++;
    const capacity = this.convolver ? (this.convolver.m - p - 1) * this.spacingValue : 0;
    const sincePlan = this.calls - this.plannedAt;
    if (span > capacity) {
      // A map that outgrew its grid within a few iterations is growing fast: leave it more room,
      // so the kernel spectra (two full transforms) are not recomputed every few iterations.
      this.plan(span * (sincePlan < FAST_GROWTH_ITERATIONS ? FAST_GROWTH_SLACK : 1), n);
    } else if (sincePlan >= FAST_GROWTH_ITERATIONS && capacity > TOO_COARSE * span * this.options.growthSlack) {
      // That extra room, once growth has slowed, only coarsens the grid (and widens the near field).
      this.plan(span, n);
    }
    const conv = this.convolver;
    const spectra = this.spectra;
    if (!conv || !spectra) throw new Error('FFT repulsion grid was not planned');
    const m = conv.m;
    const s = this.spacingValue;
    const originX = minX - this.lowReach * s;
    const originY = minY - this.lowReach * s;
    const reach = NEAR_CELLS_PER_RADIUS;
    const radius = this.split.radius;
    const sortSide = Math.max(1, Math.min(Math.floor((span / (radius > 0 ? radius : 2 * s)) * reach), 2048));
    this.ensurePointBuffers(n, sortSide * sortSide + 1, m);
    const { baseX, baseY, wx, wy, grid } = this;
    // Everything below goes over the points in cell order (sortedIndex[a]: the point stored a-th):
    // the stencils of consecutive points overlap, so the grids are read and written in cache-friendly
    // runs, and the near field reuses the cell list. (With the written-out 3-node loops: 16.4 → 14.3 s
    // per 1,000 iterations at 60,000 points, where the grid and potentials outgrow L2.)
    this.sortIntoCells(y, n, minX, minY, span, sortSide, radius / reach);
    const { xs, ys } = this.sorted;
    const sortedIndex = this.sortedIndex;
    this.weights(xs, ys, n, m, originX, originY, s, baseX, baseY, wx, wy);

    grid.fill(0, 0, m * m);
    if (p === 3) spread3(grid, m, n, baseX, baseY, wx, wy);
    else for (let i = 0; i < n; i++) {
      const bx = baseX[i];
      const wo = i * p;
      for (let b = 0; b < p; b++) {
        const wyb = wy[wo + b];
        const row = (baseY[i] + b) * m + bx;
        for (let a = 0; a < p; a++) grid[row + a] += wyb * wx[wo + a];
      }
    }
    conv.load(grid);
    // Σ_i Σ_j k₁(y_i − y_j) over all pairs, i = j included, straight from the spectrum.
    const zAll = conv.quadraticForm(spectra.g1);
    conv.convolvePairInterleaved(spectra.gxy, this.phi);

    const { phi, selfZ } = this;
    const folded = this.selfFolded;
    const span2 = 2 * p - 1;
    const ax = this.selfAx;
    const ay = this.selfAy;
    let zSelf = 0;
    if (p === 3) {
      const interp = this.interp;
      if (this.simd) this.simd.interpolate3(n, m);
      else interpolate3(phi, m, n, baseX, baseY, wx, wy, interp);
      for (let i = 0; i < n; i++) {
        const to = sortedIndex[i];
        force[2 * to] = interp[2 * i];
        force[2 * to + 1] = interp[2 * i + 1];
      }
    }
    for (let i = 0; i < n; i++) {
      const bx = baseX[i];
      const wo = i * p;
      // What the grid gives a point's own charge is not exactly k₁(0) = 1: subtract that, not 1.
      // A(δ) = Σ_{a − a' = δ} w_a·w_a' per axis; self = Σ A_x(δx)·A_y(δy)·k₁(δx, δy). (The
      // force kernels are odd and A is even, so the point exerts no force on itself.)
      if (p === 3) {
        zSelf += selfTerm3(wx, wy, wo, folded);
        continue;
      }
      let fx = 0;
      let fy = 0;
      for (let b = 0; b < p; b++) {
        const wyb = wy[wo + b];
        const row = (baseY[i] + b) * m + bx;
        let rx = 0;
        let ry = 0;
        for (let a = 0; a < p; a++) {
          const w = wx[wo + a];
          rx += w * phi[2 * (row + a)];
          ry += w * phi[2 * (row + a) + 1];
        }
        fx += wyb * rx;
        fy += wyb * ry;
      }
      const at = sortedIndex[i];
      force[2 * at] = fx;
      force[2 * at + 1] = fy;
      for (let e = 0; e < span2; e++) {
        ax[e] = 0;
        ay[e] = 0;
      }
      for (let a = 0; a < p; a++) {
        const wxa = wx[wo + a];
        const wya = wy[wo + a];
        for (let a2 = 0; a2 < p; a2++) {
          ax[a - a2 + p - 1] += wxa * wx[wo + a2];
          ay[a - a2 + p - 1] += wya * wy[wo + a2];
        }
      }
      for (let b = 0; b < span2; b++) {
        const o = b * span2;
        let r = 0;
        for (let a = 0; a < span2; a++) r += ax[a] * selfZ[o + a];
        zSelf += ay[b] * r;
      }
    }
    const zNear = radius > 0 ? this.nearField(n, sortSide, force) : 0;
    return zAll - zSelf + zNear;
  }

  /** Choose grid side and spacing for a map `span` wide, and transform the kernels for them. */
  private plan(span: number, n: number): void {
    this.plannedAt = this.calls;
    const { gridSpacing, minTransformSize, growthSlack } = this.options;
    const maxTransformSize = this.options.maxTransformSize > 0 ? this.options.maxTransformSize : autoTransformSize(n);
    const p = this.p;
    const room = Math.max(span * growthSlack, 1e-12);
    const need = Math.ceil(room / gridSpacing) + p + 1;
    const size = Math.min(maxTransformSize, Math.max(minTransformSize, nextPowerOfTwo(2 * need - 1)));
    // The largest grid that transform size holds: any spare room makes the grid finer for free.
    const m = size / 2;
    const s = room / (m - p - 1);
    if (!this.convolver || this.convolver.m !== m) {
      this.convolver = new GridConvolver(m);
      this.grid = new Float64Array(m * m);
    }
    this.spacingValue = s;
    const { nearFieldRadius, nearFieldMinSpacing, splitDegree } = this.options;
    const split = new SplitKernels(nearFieldRadius > 0 && s > nearFieldMinSpacing ? nearFieldRadius * s : 0, splitDegree);
    this.split = split;
    const conv = this.convolver;
    const s2 = s * s;
    // The kernels are even (k₁) or odd (Δ·k₂) in each axis: evaluate one quadrant, mirror the rest.
    const w = 2 * m - 1;
    const k1 = new Float64Array(w * w);
    const kx = new Float64Array(w * w);
    const ky = new Float64Array(w * w);
    const zero = new Float64Array(w * w);
    for (let dy = 0; dy < m; dy++) {
      for (let dx = 0; dx < m; dx++) {
        const u = s2 * (dx * dx + dy * dy);
        const f1 = split.far1(u);
        const f2 = split.far2(u);
        for (let sy = -1; sy <= 1; sy += 2) {
          for (let sx = -1; sx <= 1; sx += 2) {
            const at = (m - 1 + sy * dy) * w + (m - 1 + sx * dx);
            k1[at] = f1;
            kx[at] = s * sx * dx * f2;
            ky[at] = s * sy * dy * f2;
          }
        }
      }
    }
    const g1 = conv.kernelSpectrumFromSamples(k1, zero);
    const gxy = conv.kernelSpectrumFromSamples(kx, ky);
    this.spectra = { g1, gxy };
    const span2 = 2 * p - 1;
    this.selfZ = new Float64Array(span2 * span2);
    for (let b = 0; b < span2; b++) {
      for (let a = 0; a < span2; a++) {
        const dx = a - (p - 1);
        const dy = b - (p - 1);
        this.selfZ[b * span2 + a] = split.far1(s2 * (dx * dx + dy * dy));
      }
    }
    for (let b = 0; b < 3; b++) {
      for (let a = 0; a < 3; a++) {
        const multiplicity = (a === 0 ? 1 : 2) * (b === 0 ? 1 : 2);
        this.selfFolded[b * 3 + a] = multiplicity * split.far1(s2 * (a * a + b * b));
      }
    }
  }

  /**
   * Copy the points into cell order on a side × side cell list over the map (cells at least
   * `minCell` wide): xs, ys, sortedIndex and cellStart (sized by `ensurePointBuffers`).
   */
  private sortIntoCells(y: Float64Array, n: number, minX: number, minY: number, span: number, side: number, minCell: number): void {
    const cell = Math.max(span / side, minCell) * (1 + 1e-9);
    const cells = side * side;
    const { cellStart, sortedIndex, cellOf } = this;
    const { xs, ys } = this.sorted;
    cellStart.fill(0, 0, cells + 1);
    const inv = 1 / cell;
    for (let i = 0; i < n; i++) {
      const cx = Math.min(side - 1, Math.floor((y[2 * i] - minX) * inv));
      const cy = Math.min(side - 1, Math.floor((y[2 * i + 1] - minY) * inv));
      const c = cy * side + cx;
      cellOf[i] = c;
      cellStart[c + 1]++;
    }
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    for (let i = 0; i < n; i++) {
      const at = cellStart[cellOf[i]]++;
      xs[at] = y[2 * i];
      ys[at] = y[2 * i + 1];
      sortedIndex[at] = i;
    }
    for (let c = cells; c > 0; c--) cellStart[c] = cellStart[c - 1];
    cellStart[0] = 0;
  }

  /**
   * Add the exact-minus-far kernel difference of every pair closer than the split radius to
   * `force`; returns the matching change of Z. Pairs are found on the cell list `sortIntoCells`
   * built (cells of half the radius), so for each point the cells to search form three contiguous
   * runs of the cell-ordered points (its own row to the right, the next two rows): long, simple
   * loops and a third fewer rejected candidates than radius-sized cells.
   */
  private nearField(n: number, side: number, force: Float64Array): number {
    const { cellStart, sortedIndex } = this;
    const { xs, ys, fxs, fys } = this.sorted;
    fxs.fill(0, 0, n);
    fys.fill(0, 0, n);
    const reach = NEAR_CELLS_PER_RADIUS;
    const dz = this.simd
      ? this.simd.nearPairs(0, side, side, reach, this.split)
      : nearPairs(0, side, side, reach, cellStart, xs, ys, fxs, fys, this.split);
    for (let a = 0; a < n; a++) {
      const i = sortedIndex[a];
      force[2 * i] += fxs[a];
      force[2 * i + 1] += fys[a];
    }
    // Each unordered pair appears twice in Z = Σ_{i≠j}.
    return 2 * dz;
  }

  /** Per-point, cell and grid buffers for n points, `cells` cell offsets and an m × m grid. */
  private ensurePointBuffers(n: number, cells: number, m: number): void {
    const p = this.p;
    if (this.simd) {
      // The kernels' memory holds them all; the views change only when it is re-laid.
      const views = this.simd.reserve(n, cells, m * m, p);
      this.cellStart = views.cellStart;
      this.sorted = views;
      this.baseX = views.baseX;
      this.baseY = views.baseY;
      this.wx = views.wx;
      this.wy = views.wy;
      this.interp = views.interp;
      this.phi = views.phi;
      this.sortedIndex = views.sortedIndex;
      this.cellOf = views.cellOf;
      return;
    }
    if (this.baseX.length < n) {
      this.baseX = new Int32Array(n);
      this.baseY = new Int32Array(n);
      this.wx = new Float64Array(n * p);
      this.wy = new Float64Array(n * p);
      this.interp = new Float64Array(2 * n);
      this.sortedIndex = new Int32Array(n);
      this.cellOf = new Int32Array(n);
      this.sorted = { xs: new Float64Array(n), ys: new Float64Array(n), fxs: new Float64Array(n), fys: new Float64Array(n) };
    }
    if (this.cellStart.length < cells) this.cellStart = new Int32Array(cells);
    if (this.phi.length < 2 * m * m) this.phi = new Float64Array(2 * m * m);
  }

  /** Stencil origin and Lagrange weights of every point (coordinates `xs`, `ys`) along both axes. */
  private weights(
    xs: Float64Array,
    ys: Float64Array,
    n: number,
    m: number,
    originX: number,
    originY: number,
    s: number,
    baseX: Int32Array,
    baseY: Int32Array,
    wx: Float64Array,
    wy: Float64Array,
  ): void {
    const p = this.p;
    const odd = p % 2 === 1;
    const inv = 1 / s;
    const lowest = this.lowReach;
    // Rounding can put the extreme points a hair outside; their stencils are clamped onto the grid.
    const highest = m - p + this.lowReach;
    const { offsets, denominators } = this;
    for (let i = 0; i < n; i++) {
      const ux = (xs[i] - originX) * inv;
      const uy = (ys[i] - originY) * inv;
      let cx = odd ? Math.round(ux) : Math.floor(ux);
      let cy = odd ? Math.round(uy) : Math.floor(uy);
      cx = cx < lowest ? lowest : cx > highest ? highest : cx;
      cy = cy < lowest ? lowest : cy > highest ? highest : cy;
      baseX[i] = cx - lowest;
      baseY[i] = cy - lowest;
      const o = i * p;
      if (p === 3) {
        // Nodes −1, 0, 1 (the general formula below, written out for the default).
        const tx = ux - cx;
        const ty = uy - cy;
        wx[o] = 0.5 * tx * (tx - 1);
        wx[o + 1] = 1 - tx * tx;
        wx[o + 2] = 0.5 * tx * (tx + 1);
        wy[o] = 0.5 * ty * (ty - 1);
        wy[o + 1] = 1 - ty * ty;
        wy[o + 2] = 0.5 * ty * (ty + 1);
      } else {
        lagrangeWeights(ux - cx, offsets, denominators, wx, o, p);
        lagrangeWeights(uy - cy, offsets, denominators, wy, o, p);
      }
    }
  }
}

/** Lagrange basis values at t for nodes `offsets` (with precomputed denominators) into out[o …]. */
function lagrangeWeights(t: number, offsets: Float64Array, den: Float64Array, out: Float64Array, o: number, p: number): void {
  for (let a = 0; a < p; a++) {
    let num = 1;
    for (let b = 0; b < p; b++) if (b !== a) num *= t - offsets[b];
    out[o + a] = num / den[a];
  }
}

/**
 * FFT side cap for n points. Near-field pairs grow like n²/side², the transform like side²·log side:
 * measured on the reference latents, 256 is fastest up to ~20,000 points and 512 above.
 */
export function autoTransformSize(n: number): number {
  return n <= 20_000 ? 256 : 512;
}

/**
 * The kernels k₁(u) = 1/(1 + u) and k₂(u) = 1/(1 + u)² (u = squared distance) split at radius R:
 * the far part equals k outside R and, inside, k's Taylor polynomial about u = R² — C^degree at
 * the seam and smooth on the scale of R, so a grid of spacing ~R/3 carries it accurately. The near
 * part k − far vanishes outside R and is summed exactly over close pairs. Radius 0: no split.
 */
export class SplitKernels {
  /** Highest Taylor degree supported; higher degrees were also less accurate (less smooth cores). */
  static readonly MAX_DEGREE = 3;
  /** Split radius R (embedding units); 0 when the kernels are not split. */
  readonly radius: number;
  /** R². */
  readonly radius2: number;
  /** Taylor coefficients of k₁ about R², in powers of (u − R²). */
  readonly c1: Float64Array;
  /** Taylor coefficients of k₂ about R². */
  readonly c2: Float64Array;

  constructor(radius: number, degree: number) {
    if (!Number.isInteger(degree) || degree < 0 || degree > SplitKernels.MAX_DEGREE) {
      throw new Error(`split degree must be an integer in [0, ${SplitKernels.MAX_DEGREE}], got ${degree}`);
    }
    this.radius = radius;
    this.radius2 = radius * radius;
    // Always MAX_DEGREE + 1 coefficients (zeros above `degree`), so the pair loop has a fixed shape.
    this.c1 = new Float64Array(SplitKernels.MAX_DEGREE + 1);
    this.c2 = new Float64Array(SplitKernels.MAX_DEGREE + 1);
    const a = 1 / (1 + this.radius2);
    // k₁⁽ʲ⁾(U)/j! = (−1)ʲ·a^(j+1); k₂⁽ʲ⁾(U)/j! = (−1)ʲ·(j + 1)·a^(j+2).
    let power = a;
    for (let j = 0; j <= degree; j++) {
      const sign = j % 2 === 0 ? 1 : -1;
      // c1[0] = a and c2[0] = a·a exactly as the pair loop computes 1/(1 + R²) and its square.
      this.c1[j] = sign * power;
      this.c2[j] = sign * (j + 1) * power * a;
      power *= a;
    }
  }

  /** Far part of k₁ at squared distance u. */
  far1(u: number): number {
    return u >= this.radius2 ? 1 / (1 + u) : horner(this.c1, u - this.radius2);
  }

  /** Far part of k₂ at squared distance u. */
  far2(u: number): number {
    if (u >= this.radius2) {
      const w = 1 / (1 + u);
      return w * w;
    }
    return horner(this.c2, u - this.radius2);
  }
}

function horner(c: Float64Array, v: number): number {
  let r = 0;
  for (let j = c.length - 1; j >= 0; j--) r = r * v + c[j];
  return r;
}

/**
 * The near-field pair loop of `FftRepulsion` over cell rows [cyStart, cyEnd) of a side × side cell
 * list (`cellStart`: side² + 1 offsets into the cell-ordered points `xs`, `ys`): for every unordered
 * pair closer than the split radius, adds the exact-minus-far force kernel to both points' entries
 * of `fxs`, `fys` and returns Σ of the exact-minus-far k₁ over those pairs. Each point's candidates
 * are the later points of its own row's cells cx … cx + reach, then cells cx − reach … cx + reach of
 * the next `reach` rows.
 *
 * Candidates go in twos (the two lanes of the SIMD kernel, which matches this loop bit for bit):
 * each point's sums run in two parts, one per lane, added at the end; an odd candidate left at the
 * end of a run goes to the first.
 */
export function nearPairs(
  cyStart: number,
  cyEnd: number,
  side: number,
  reach: number,
  cellStart: Int32Array,
  xs: Float64Array,
  ys: Float64Array,
  fxs: Float64Array,
  fys: Float64Array,
  split: SplitKernels,
): number {
  const u0 = split.radius2;
  // Up to cubic Taylor parts as locals (higher degrees are rejected by SplitKernels).
  const [p0, p1, p2, p3] = split.c1;
  const [q0, q1, q2, q3] = split.c2;
  let dz = 0;
  for (let cy = cyStart; cy < cyEnd; cy++) {
    const lastRow = Math.min(side - 1, cy + reach);
    for (let cx = 0; cx < side; cx++) {
      const c = cy * side + cx;
      const aStart = cellStart[c];
      const aEnd = cellStart[c + 1];
      if (aStart === aEnd) continue;
      const ownRowEnd = cellStart[cy * side + Math.min(side - 1, cx + reach) + 1];
      const lo = Math.max(0, cx - reach);
      const hi = Math.min(side - 1, cx + reach);
      for (let a = aStart; a < aEnd; a++) {
        const ax = xs[a];
        const ay = ys[a];
        // Lane sums: [0] and [1].
        let fx0 = 0, fx1 = 0, fy0 = 0, fy1 = 0, z0 = 0, z1 = 0; // prettier-ignore
        for (let row = cy; row <= lastRow; row++) {
          const bStart = row === cy ? a + 1 : cellStart[row * side + lo];
          const bEnd = row === cy ? ownRowEnd : cellStart[row * side + hi + 1];
          for (let b = bStart; b < bEnd; b++) {
            const dx = ax - xs[b];
            const dy = ay - ys[b];
            const u = dx * dx + dy * dy;
            if (u >= u0) continue;
            const w = 1 / (1 + u);
            const v = u - u0;
            const zt = w - (p0 + v * (p1 + v * (p2 + v * p3)));
            const g = w * w - (q0 + v * (q1 + v * (q2 + v * q3)));
            const gx = g * dx;
            const gy = g * dy;
            if ((b - bStart) & 1) {
              z1 += zt;
              fx1 += gx;
              fy1 += gy;
            } else {
              z0 += zt;
              fx0 += gx;
              fy0 += gy;
            }
            fxs[b] -= gx;
            fys[b] -= gy;
          }
        }
        fxs[a] += fx0 + fx1;
        fys[a] += fy0 + fy1;
        dz += z0 + z1;
      }
    }
  }
  return dz;
}

/** The grid spreading of `FftRepulsion.compute` for 3 nodes per axis, written out (same sums in the same order). */
function spread3(grid: Float64Array, m: number, n: number, baseX: Int32Array, baseY: Int32Array, wx: Float64Array, wy: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const wo = 3 * i;
    const x0 = wx[wo], x1 = wx[wo + 1], x2 = wx[wo + 2]; // prettier-ignore
    let row = baseY[i] * m + baseX[i];
    for (let b = 0; b < 3; b++) {
      const wyb = wy[wo + b];
      grid[row] += wyb * x0;
      grid[row + 1] += wyb * x1;
      grid[row + 2] += wyb * x2;
      row += m;
    }
  }
}

/**
 * The interpolation of `FftRepulsion.compute` for 3 nodes per axis, written out, from the
 * interleaved potentials `phi`: the force on the point stored i-th (in cell order) into
 * out[2i, 2i + 1]. The reference for the SIMD kernel, which matches it bit for bit.
 */
export function interpolate3(
  phi: Float64Array,
  m: number,
  n: number,
  baseX: Int32Array,
  baseY: Int32Array,
  wx: Float64Array,
  wy: Float64Array,
  out: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    const wo = 3 * i;
    const x0 = wx[wo], x1 = wx[wo + 1], x2 = wx[wo + 2]; // prettier-ignore
    let at = 2 * (baseY[i] * m + baseX[i]);
    let fx = 0;
    let fy = 0;
    for (let b = 0; b < 3; b++) {
      const wyb = wy[wo + b];
      const rx = x0 * phi[at] + x1 * phi[at + 2] + x2 * phi[at + 4];
      const ry = x0 * phi[at + 1] + x1 * phi[at + 3] + x2 * phi[at + 5];
      fx += wyb * rx;
      fy += wyb * ry;
      at += 2 * m;
    }
    out[2 * i] = fx;
    out[2 * i + 1] = fy;
  }
}

/**
 * What the grid gives a point's own charge for 3 nodes per axis: A(0), A(±1), A(±2) of its three
 * weights per axis, against k₁ folded over the signs (`selfFolded`).
 */
function selfTerm3(wx: Float64Array, wy: Float64Array, wo: number, folded: Float64Array): number {
  const x0 = wx[wo], x1 = wx[wo + 1], x2 = wx[wo + 2]; // prettier-ignore
  const y0 = wy[wo], y1 = wy[wo + 1], y2 = wy[wo + 2]; // prettier-ignore
  const ax0 = x0 * x0 + x1 * x1 + x2 * x2;
  const ax1 = x0 * x1 + x1 * x2;
  const ax2 = x0 * x2;
  const ay0 = y0 * y0 + y1 * y1 + y2 * y2;
  const ay1 = y0 * y1 + y1 * y2;
  const ay2 = y0 * y2;
  return (
    ay0 * (ax0 * folded[0] + ax1 * folded[1] + ax2 * folded[2]) +
    ay1 * (ax0 * folded[3] + ax1 * folded[4] + ax2 * folded[5]) +
    ay2 * (ax0 * folded[6] + ax1 * folded[7] + ax2 * folded[8])
  );
}
