/**
 * The state of one k-means fit and the hot loops over it: Elkan's assignment with lazily kept bounds
 * (see {@link LloydWorkspace}), centre updates, the k-means++ candidates' distances, inertia. Each loop
 * exists twice, as the JavaScript here and as WebAssembly SIMD kernels ({@link ./wasm/kmeans-simd}),
 * which compute the same numbers bit for bit; a workspace uses the kernels where the platform has them.
 *
 * Layout: rows N×D row-major (`x[i * d + t]`), centres K×D row-major, labels one per row.
 */

import { dot32, spanFactor } from './kmeans-float32';
import { allocateJsBuffers, ASSIGN_BLOCK, assignsDensely, type KMeansBuffers, KMeansSimd, type RowStore, type RowType } from './wasm/kmeans-simd';

/**
 * Which implementation of the hot loops a fit uses. 'auto' (the default) takes the WebAssembly SIMD
 * kernels where the platform has them and the JavaScript loops otherwise; 'wasm' insists on the kernels
 * (throwing where they are unavailable) and 'js' on the JavaScript loops — for tests and measurements.
 * Both give the same result, bit for bit.
 */
export type KMeansBackend = 'auto' | 'wasm' | 'js';

/** Copies the first N×D values into `out` (float32 only when the caller has checked that is exact). */
function copyRows(data: ArrayLike<number>, n: number, d: number, out: RowStore): void {
  const size = n * d;
  if (data instanceof Float32Array || data instanceof Float64Array) {
    // Typed arrays convert in bulk, far faster than element by element through a generic ArrayLike.
    out.set(data.length === size ? data : data.subarray(0, size));
  } else {
    for (let i = 0; i < size; i++) out[i] = data[i];
  }
}

/** Index of the first NaN or ±Infinity in x, or −1. */
function firstNonFinite(x: RowStore): number {
  for (let i = 0; i < x.length; i++) {
    // v − v is NaN exactly when v is NaN or ±Infinity.
    if (x[i] - x[i] !== 0) return i;
  }
  return -1;
}

/** Rejects NaN/±Infinity (they would poison every centroid they touch), naming the first one. */
function rejectNonFinite(x: RowStore, index: number, d: number): void {
  if (index >= 0) throw new RangeError(`kmeans: non-finite value ${x[index]} at row ${Math.floor(index / d)}, column ${index % d}`);
}

/** Copies N×D values to float64, rejecting non-finite ones. */
export function toFloat64(data: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  copyRows(data, n, d, out);
  rejectNonFinite(out, firstNonFinite(out), d);
  return out;
}

/**
 * float32 when every value is exactly a float32 (so storing it that way loses nothing), else float64.
 * NaN compares unequal to itself and so picks float64; copyRows rejects it either way.
 */
function exactRowType(data: ArrayLike<number>, size: number): RowType {
  if (data instanceof Float32Array) return 'f32';
  for (let i = 0; i < size; i++) {
    const v = data[i];
    if (Math.fround(v) !== v) return 'f64';
  }
  return 'f32';
}

/**
 * Σ over the D features of Σ_i (x_it − mean_t)², N×D row-major: N·D times the mean per-feature variance,
 * from which scikit-learn's tolerance is taken. Two passes (means, then squared deviations; the one-pass
 * formula loses digits when a mean is large), each feature summed over the rows in order, the features'
 * totals then in feature order: the order the SIMD kernel keeps, two features per f64x2.
 */
export function featureDeviations(data: ArrayLike<number>, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t];
  for (let t = 0; t < d; t++) mean[t] /= n;
  const deviations = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const delta = data[i * d + t] - mean[t];
      deviations[t] += delta * delta;
    }
  }
  let total = 0;
  for (let t = 0; t < d; t++) total += deviations[t];
  return total;
}

/** ‖x_i‖² for each of the N rows, into `out`. */
function rowNorms(x: RowStore, n: number, d: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = dot(x, i * d, x, i * d, d);
}

/**
 * x[xo…xo+d) · y[yo…yo+d). Four partial sums keep four independent add chains in flight, and running
 * pointers instead of `xo + t` indices spare V8 an overflow-checked add per load: 12 instead of 16
 * machine instructions per multiply-add (counted under cachegrind).
 */
function dot(x: RowStore, xo: number, y: RowStore, yo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = xo + (d & ~3);
  let p = xo;
  let q = yo;
  for (; p < end4; p += 4, q += 4) {
    s0 += x[p] * y[q];
    s1 += x[p + 1] * y[q + 1];
    s2 += x[p + 2] * y[q + 2];
    s3 += x[p + 3] * y[q + 3];
  }
  for (const end = xo + d; p < end; p++, q++) s0 += x[p] * y[q];
  return s0 + s1 + (s2 + s3);
}

/**
 * Squared distances from every row to four candidate rows c0…c3 of `x`: out_t[i] = ‖x_i − c_t‖². Two
 * rows share each load of a candidate and four candidates each load of a row, which brings V8 down to
 * ~9 machine instructions per multiply-add, against ~12 for one dot product at a time.
 */
function squaredDistances4(
  x: RowStore,
  xNorm: Float64Array,
  n: number,
  d: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  out0: Float64Array,
  out1: Float64Array,
  out2: Float64Array,
  out3: Float64Array,
): void {
  const o0 = c0 * d;
  const o1 = c1 * d;
  const o2 = c2 * d;
  const o3 = c3 * d;
  const n0 = xNorm[c0];
  const n1 = xNorm[c1];
  const n2 = xNorm[c2];
  const n3 = xNorm[c3];
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const p = i * d;
    const q = p + d;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let t = 0; t < d; t++) {
      const v = x[p + t];
      const w = x[q + t];
      const y0 = x[o0 + t];
      const y1 = x[o1 + t];
      const y2 = x[o2 + t];
      const y3 = x[o3 + t];
      a0 += v * y0;
      a1 += v * y1;
      a2 += v * y2;
      a3 += v * y3;
      b0 += w * y0;
      b1 += w * y1;
      b2 += w * y2;
      b3 += w * y3;
    }
    const xa = xNorm[i];
    const xb = xNorm[i + 1];
    out0[i] = clampZero(xa - 2 * a0 + n0);
    out1[i] = clampZero(xa - 2 * a1 + n1);
    out2[i] = clampZero(xa - 2 * a2 + n2);
    out3[i] = clampZero(xa - 2 * a3 + n3);
    out0[i + 1] = clampZero(xb - 2 * b0 + n0);
    out1[i + 1] = clampZero(xb - 2 * b1 + n1);
    out2[i + 1] = clampZero(xb - 2 * b2 + n2);
    out3[i + 1] = clampZero(xb - 2 * b3 + n3);
  }
  for (; i < n; i++) {
    const xa = xNorm[i];
    const p = i * d;
    out0[i] = clampZero(xa - 2 * dot(x, p, x, o0, d) + n0);
    out1[i] = clampZero(xa - 2 * dot(x, p, x, o1, d) + n1);
    out2[i] = clampZero(xa - 2 * dot(x, p, x, o2, d) + n2);
    out3[i] = clampZero(xa - 2 * dot(x, p, x, o3, d) + n3);
  }
}

/**
 * {@link squaredDistances4} for float32 rows in float32 arithmetic, as the SIMD kernel runs it (one f32x4
 * lane per candidate): each (row, candidate) product and sum rounded to float32, over the features in
 * order, then ‖x_i‖² − 2·sum + ‖c‖² in float64. Off by at most spanFactor(D)·(‖x_i‖² + ‖c‖²).
 */
function squaredDistances4F32(x: RowStore, xNorm: Float64Array, n: number, d: number, c: readonly number[], out: readonly Float64Array[]): void {
  const f = Math.fround;
  const [o0, o1, o2, o3] = c.map((row) => row * d);
  const [n0, n1, n2, n3] = c.map((row) => xNorm[row]);
  for (let i = 0; i < n; i++) {
    const p = i * d;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let t = 0; t < d; t++) {
      const v = x[p + t];
      a0 = f(a0 + f(v * x[o0 + t]));
      a1 = f(a1 + f(v * x[o1 + t]));
      a2 = f(a2 + f(v * x[o2 + t]));
      a3 = f(a3 + f(v * x[o3 + t]));
    }
    const xa = xNorm[i];
    out[0][i] = clampZero(xa - 2 * a0 + n0);
    out[1][i] = clampZero(xa - 2 * a1 + n1);
    out[2][i] = clampZero(xa - 2 * a2 + n2);
    out[3][i] = clampZero(xa - 2 * a3 + n3);
  }
}

/** Squared distances from every row to one row c of `x` (the tail of {@link squaredDistances4}). */
function squaredDistances1(x: RowStore, xNorm: Float64Array, n: number, d: number, c: number, out: Float64Array, approximate: boolean): void {
  const o = c * d;
  const nc = xNorm[c];
  if (approximate) {
    for (let i = 0; i < n; i++) out[i] = clampZero(xNorm[i] - 2 * dot32(x, i * d, x, o, d) + nc);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = clampZero(xNorm[i] - 2 * dot(x, i * d, x, o, d) + nc);
}

/** Σ D² if a centre at squared distances `cand` joined: Σ_i min(cand[i], dist2[i]), in row order. */
function potentialWith(cand: Float64Array, dist2: Float64Array, n: number): number {
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const v = cand[i];
    const own = dist2[i];
    pot += v < own ? v : own;
  }
  return pot;
}

/** Rounding in the dot-product form can push a zero squared distance slightly negative. */
function clampZero(v: number): number {
  return v > 0 ? v : 0;
}

/** Euclidean distance from the dot-product form; rounding can push a zero distance slightly negative. */
export function distFromParts(xNorm: number, partial: number): number {
  const s = xNorm + partial;
  return s > 0 ? Math.sqrt(s) : 0;
}

/**
 * Everything one Lloyd run needs, allocated once per fit and reused by every restart.
 *
 * Elkan's bounds, kept lazily. Rather than loosening N×K bounds after every centre update, each centre
 * carries `drift[j]`, the total distance it has moved since the restart began, and bounds are stored
 * relative to it. With a(i) = labels[i]:
 *   upperRel[i] + drift[a(i)]     ≥ ‖x_i − c_a(i)‖   (upper bound on the distance to the own centre)
 *   lowerRel[i·K + j] − drift[j]  ≤ ‖x_i − c_j‖      (lower bound on the distance to every centre j)
 * This is exactly as tight as Elkan's per-iteration update (by the triangle inequality a centre's
 * displacement is at most the sum of its moves) and costs O(K) per update instead of O(N·K).
 *
 * In front of Elkan's per-centre loop sits one number per row, its slack: when the row's bounds were last
 * walked, S = min over j ≠ a of max(l_j, ½‖c_a − c_j‖) − u, i.e. by how much every other centre was
 * ruled out. Each later update can eat at most (own centre's move) + (largest move of any centre) of
 * it, so `slackRel[i] − drift[a] − maxDrift` ≥ 0 proves that no other centre can win, with one load and
 * no walk over the K bounds (`maxDrift` sums the largest move of each update). On the reference latents
 * the clusters overlap so much that Elkan's "closer than half the gap" test almost never passes; without
 * the slack every row walked its K bounds every iteration.
 *
 * Tried and dropped, measured on the reference latents (instruction counts under cachegrind, which are
 * reproducible on this shared machine where wall times are not): Hamerly's single lower bound (one
 * fast-moving centre loosens every row's only bound; 5–10% of rows needed a full scan every iteration);
 * a second slack for the nearest competitor (fewer rows walked, +12% instructions); bounds from a
 * 16-dimensional principal projection (3.5× fewer 64-term dot products, +20% instructions); a
 * multi-centre "full scan" for rows with several centres still in play (slower); float32 rows in
 * JavaScript (faster on cache-missing rows, slower on streamed ones, no net gain).
 *
 * Two refinements later (2026-12-05), measured on one share of the reference fit: distances in the
 * assignment are bounded from float32 dot products ({@link span}; half the float64 work per distance,
 * exact float64 distances only for the ~0.1% whose bounds overlap), and a row whose own distance was just
 * tightened gets its nearest stale lower bound refreshed ({@link refreshNearest}; 14% fewer distances,
 * a third fewer rows walked). Labels, iterations and inertia on the reference latents are unchanged.
 * The JavaScript path pays for emulating float32 (a Math.fround per product and per sum): one share of
 * the reference fit went from 3.9 to 5.9 s there. It only runs where WebAssembly SIMD is missing
 * (browsers from before 2021–2023), and it stays the kernels' bit-for-bit reference.
 *
 * What remained was V8's code for a 64-term dot product (~12 machine instructions per multiply-add) and
 * for the walk over the bounds, so with WebAssembly SIMD available every method that loops over rows
 * hands the loop to {@link KMeansSimd} (same numbers, bit for bit; ~4.5× fewer instructions), and the
 * arrays here are views of its memory. The JavaScript below is the fallback and the tests' reference.
 */
export class LloydWorkspace {
  /** N×D rows: float64 on the JavaScript path; with the SIMD kernels float32 wherever that is exact. */
  readonly x: RowStore;
  /** ‖x_i‖². */
  readonly xNorm: Float64Array;
  /** Σ_i ‖x_i‖²: the inertia of all rows about the origin. */
  readonly totalNorm: number;
  readonly centres: Float64Array;
  /** The centres rounded to float32, for {@link span}'s float32 dot products. */
  readonly centres32: Float32Array;
  readonly newCentres: Float64Array;
  readonly cNorm: Float64Array;
  /** K×K: half the distance between centres j and l (Elkan's "a centre this close cannot lose" test). */
  readonly halfCC: Float64Array;
  /** Half the distance from each centre to its nearest other centre. */
  readonly halfGap: Float64Array;
  /** Total distance each centre has moved since the restart began. */
  readonly drift: Float64Array;
  /** Sum over updates of the largest move of any centre: what the slack loses to the other centres. */
  maxDrift = 0;
  readonly sums: Float64Array;
  readonly counts: Int32Array;
  readonly labels: Int32Array;
  readonly upperRel: Float64Array;
  readonly lowerRel: Float64Array;
  /** Slack of each row, stored as S + drift[a] + maxDrift at the time it was computed. */
  readonly slackRel: Float64Array;
  /** Per k-means++ trial: squared distance from every row to the candidate. */
  readonly candDist: Float64Array[];
  /** The seeding's D(x)²: squared distance from each row to its nearest chosen centre. */
  readonly dist2: Float64Array;
  /** Per k-means++ trial: Σ D² if the candidate joined (see {@link candidateDistances4}). */
  readonly candPot: Float64Array;
  /** Running sums of dist2, which the seeding draws candidates from (see {@link acceptCentre}). */
  readonly cum: Float64Array;
  private readonly candRows: Float64Array;
  private readonly candCols: Float64Array;
  /** The same as float32, for the float32 kernels. */
  private readonly candRows32: Float32Array;
  private readonly candCols32: Float32Array;
  /** The SIMD kernels working on this workspace's memory, or null on the JavaScript path. */
  readonly simd: KMeansSimd | null;
  /**
   * Whether the assignment bounds distances from float32 dot products ({@link span}): when every row
   * value is a float32. Otherwise every distance it computes is the exact float64 one.
   */
  readonly approximate: boolean;
  private readonly spanScale: number;
  /** The JavaScript assignment's scratch: the rows of a block it lists, and a dense row's bounds. */
  private readonly listed = new Int32Array(ASSIGN_BLOCK);
  private readonly denseLo: Float64Array;
  private readonly denseHi: Float64Array;
  /** {@link span}'s result: bounds on the distance from the row to the centre. */
  private spanLo = 0;
  private spanHi = 0;

  /**
   * Takes the rows (N×D) and sets up every array, in a WebAssembly memory when the SIMD kernels are
   * used. `trials` is how many k-means++ candidates a seeding step draws (0: no seeding).
   * @throws RangeError on non-finite values; Error when `backend` is 'wasm' and the kernels are unavailable.
   */
  constructor(
    data: ArrayLike<number>,
    readonly n: number,
    readonly d: number,
    readonly k: number,
    trials: number,
    backend: KMeansBackend,
  ) {
    let simd: KMeansSimd | null = null;
    const rowType = exactRowType(data, n * d);
    this.approximate = rowType === 'f32';
    this.spanScale = spanFactor(d);
    if (backend !== 'js') {
      simd = KMeansSimd.create(n, d, k, trials, rowType);
      if (simd === null && backend === 'wasm') throw new Error('kmeans: WebAssembly SIMD kernels are unavailable here');
    }
    let buffers: KMeansBuffers;
    if (simd !== null) {
      buffers = simd.buffers;
      copyRows(data, n, d, buffers.x);
      simd.rowNorms();
    } else {
      const js = allocateJsBuffers(n, d, k, trials);
      copyRows(data, n, d, js.x);
      rowNorms(js.x, n, d, js.xNorm);
      buffers = js;
    }
    // A NaN or ±Infinity among a row's values makes its norm NaN or +Infinity, so a finite sum of the
    // norms proves there is none, without a pass over the N×D values (4–6 ms for the reference latents).
    // Only otherwise, or when float64 values so large that their squares overflow, are they scanned.
    let total = 0;
    for (let i = 0; i < n; i++) total += buffers.xNorm[i];
    this.totalNorm = total;
    if (!Number.isFinite(total)) rejectNonFinite(buffers.x, simd !== null ? simd.firstNonFinite() : firstNonFinite(buffers.x), d);
    this.simd = simd;
    this.x = buffers.x;
    this.xNorm = buffers.xNorm;
    this.centres = buffers.centres;
    this.centres32 = buffers.centres32;
    this.newCentres = new Float64Array(k * d);
    this.cNorm = buffers.cNorm;
    this.halfCC = buffers.halfCC;
    this.halfGap = buffers.halfGap;
    this.drift = buffers.drift;
    this.sums = buffers.sums;
    this.counts = buffers.counts;
    this.labels = buffers.labels;
    this.upperRel = buffers.upperRel;
    this.lowerRel = buffers.lowerRel;
    this.slackRel = buffers.slackRel;
    this.candDist = buffers.candDist;
    this.dist2 = buffers.dist2;
    this.candPot = buffers.candPot;
    this.cum = buffers.cum;
    this.denseLo = new Float64Array(k);
    this.denseHi = new Float64Array(k);
    this.candRows = buffers.candRows;
    this.candCols = buffers.candCols;
    this.candRows32 = buffers.candRows32;
    this.candCols32 = buffers.candCols32;
  }

  /** Squared distances from every row to row c into candDist[slot]; with `potential`, candPot[slot] too. */
  candidateDistances1(slot: number, c: number, potential: boolean): void {
    const { x, xNorm, n, d, simd } = this;
    if (simd === null) {
      squaredDistances1(x, xNorm, n, d, c, this.candDist[slot], this.approximate);
    } else {
      (this.approximate ? this.candRows32 : this.candRows).set(x.subarray(c * d, c * d + d));
      simd.seedDistances1(slot, xNorm[c]);
    }
    if (potential) this.candPot[slot] = potentialWith(this.candDist[slot], this.dist2, n);
  }

  /**
   * Squared distances from every row to rows c0…c3 into candDist[slot…slot + 3], and each one's potential
   * (Σ_i min(distance, dist2[i]), summed in row order) into candPot[slot…slot + 3]: the SIMD kernels sum
   * it on the way, sparing a pass over each candidate's distances.
   */
  candidateDistances4(slot: number, c0: number, c1: number, c2: number, c3: number): void {
    const { x, xNorm, n, d, simd, candDist } = this;
    if (simd === null) {
      if (this.approximate) squaredDistances4F32(x, xNorm, n, d, [c0, c1, c2, c3], candDist.slice(slot, slot + 4));
      else squaredDistances4(x, xNorm, n, d, c0, c1, c2, c3, candDist[slot], candDist[slot + 1], candDist[slot + 2], candDist[slot + 3]);
      for (let m = 0; m < 4; m++) this.candPot[slot + m] = potentialWith(candDist[slot + m], this.dist2, n);
      return;
    }
    const candRows = this.approximate ? this.candRows32 : this.candRows;
    const candCols = this.approximate ? this.candCols32 : this.candCols;
    const rows = [c0, c1, c2, c3];
    for (let m = 0; m < 4; m++) {
      const o = rows[m] * d;
      for (let t = 0; t < d; t++) {
        const v = x[o + t];
        candRows[m * d + t] = v;
        candCols[t * 4 + m] = v;
      }
    }
    simd.seedDistances4(slot, xNorm[c0], xNorm[c1], xNorm[c2], xNorm[c3]);
  }

  /**
   * Makes centre c (row `row`, squared distances candDist[slot] to every row) part of the seeding: its
   * lower bound for every row, and label, upper bound and D² for the rows it is now nearest to (every row
   * when c = 0). Float64 rows have exact distances, so both bounds are the distance; with float32 rows the
   * distances come from float32 dot products and the bounds are widened by their error bound (see
   * {@link span}). Leaves the running sums of D² in `cum` and returns their total, Σ D², for the next
   * draw (one pass instead of two).
   */
  acceptCentre(c: number, row: number, slot: number): number {
    const rowNorm = this.xNorm[row];
    const scale = this.approximate ? this.spanScale : 0;
    if (this.simd !== null) return this.simd.acceptCentre(c, slot, rowNorm, scale);
    const { labels, upperRel, lowerRel, xNorm, dist2, cum, n, k } = this;
    const cand = this.candDist[slot];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = cand[i];
      const e = scale * (xNorm[i] + rowNorm);
      lowerRel[i * k + c] = distFromParts(v, -e);
      if (c === 0 || v < dist2[i]) {
        dist2[i] = v;
        upperRel[i] = distFromParts(v, e);
        labels[i] = c;
      }
      total += dist2[i];
      cum[i] = total;
    }
    return total;
  }

  /** Resets the drifts; the caller then sets every bound relative to zero drift. */
  resetDrift(): void {
    this.drift.fill(0);
    this.maxDrift = 0;
  }

  /** Recomputes row i's slack from its current bounds (see the class comment). */
  refreshSlack(i: number): void {
    const m = this.smallestBound(i, this.labels[i]);
    // S + drift[a] + maxDrift with u = upperRel + drift[a]: the drift of the own centre cancels.
    this.slackRel[i] = m - this.upperRel[i] + this.maxDrift;
  }

  /** min over j ≠ a of max(lowerRel[i·K + j] − drift[j], halfCC[a·K + j]): row i's smallest bound. */
  private smallestBound(i: number, a: number): number {
    const { lowerRel, halfCC, drift, k } = this;
    const lo = i * k;
    let m = Infinity;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const l = lowerRel[lo + j] - drift[j];
      const h = halfCC[a * k + j];
      const b = l > h ? l : h;
      if (b < m) m = b;
    }
    return m;
  }

  /** {@link refreshSlack} for every row. */
  refreshAllSlacks(): void {
    if (this.simd !== null) {
      this.simd.refreshSlacks(this.maxDrift);
      return;
    }
    for (let i = 0; i < this.n; i++) this.refreshSlack(i);
  }

  /** Recomputes centre norms and centre-to-centre half distances after the centres changed. */
  refreshCentreGeometry(): void {
    const { centres, centres32, cNorm, halfCC, halfGap, k, d } = this;
    centres32.set(centres);
    for (let j = 0; j < k; j++) cNorm[j] = dot(centres, j * d, centres, j * d, d);
    halfGap.fill(Infinity);
    for (let j = 0; j < k; j++) {
      // Never read by the loops here (they skip j = a); +∞ lets the SIMD kernels take the minimum
      // over a whole row of halfCC without singling the own centre out.
      halfCC[j * k + j] = Infinity;
      for (let l = j + 1; l < k; l++) {
        const h = 0.5 * Math.sqrt(squaredDistance(centres, j * d, centres, l * d, d));
        halfCC[j * k + l] = h;
        halfCC[l * k + j] = h;
        if (h < halfGap[j]) halfGap[j] = h;
        if (h < halfGap[l]) halfGap[l] = h;
      }
    }
  }

  /** Sums and counts from scratch, so rounding from incremental updates never carries across runs. */
  recomputeSums(): void {
    if (this.simd !== null) {
      this.simd.recomputeSums();
      return;
    }
    const { x, sums, counts, labels, n, d } = this;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const a = labels[i];
      counts[a]++;
      const so = a * d;
      const xo = i * d;
      for (let t = 0; t < d; t++) sums[so + t] += x[xo + t];
    }
  }

  /** Exact distance (float64 dot-product form) from row i to centre j. */
  private exactDistance(i: number, j: number): number {
    const { x, centres, d } = this;
    return distFromParts(this.xNorm[i], this.cNorm[j] - 2 * dot(x, i * d, centres, j * d, d));
  }

  /**
   * Bounds spanLo ≤ ‖x_i − c_j‖ ≤ spanHi. For float32 rows from a float32 dot product, half the float64
   * one's work in the SIMD kernel, widened by its error bound ({@link spanFactor}); otherwise both are
   * the exact distance. The bounds hold for the real numbers; only near-ties, which {@link assign}
   * settles with {@link exactDistance}, need more.
   */
  private span(i: number, j: number): void {
    if (!this.approximate) {
      const e = this.exactDistance(i, j);
      this.spanLo = e;
      this.spanHi = e;
      return;
    }
    const { d } = this;
    const xn = this.xNorm[i];
    const cn = this.cNorm[j];
    const s = xn + (cn - 2 * dot32(this.x, i * d, this.centres32, j * d, d));
    const e = this.spanScale * (xn + cn);
    this.spanLo = distFromParts(s, -e);
    this.spanHi = distFromParts(s, e);
  }

  /**
   * Elkan's assignment step against the current centres: a distance is computed only when the bounds
   * cannot rule the centre out. Returns how many labels changed and keeps `sums`/`counts` in step with
   * the labels by moving only the rows that changed.
   *
   * Distances come as bounds from {@link span}: the upper one serves as the row's upper bound, the lower
   * ones as lower bounds, and a centre wins when its upper bound is below the own centre's lower bound.
   * When the two overlap, the exact float64 distances decide, ties going to the lower index as in
   * scikit-learn's argmin: so every label is the one exact float64 distances give, up to rounding.
   * Where most rows of a block need a look (the first iterations of a restart), each gets its bounds on
   * every centre instead ({@link assignDensely}), with the same rule for the label.
   */
  assign(): number {
    if (this.simd !== null) return this.simd.assign(this.maxDrift);
    const { listed, n } = this;
    let changes = 0;
    // In blocks, as the SIMD kernel goes: the rows the quick tests cannot settle are listed, then taken
    // densely or walked (see assignsDensely). A row's tests read only its own state, which only its
    // own turn changes, so listing first decides as testing each row in turn would.
    for (let start = 0; start < n; start += ASSIGN_BLOCK) {
      const end = Math.min(n, start + ASSIGN_BLOCK);
      let count = 0;
      for (let i = start; i < end; i++) if (!this.settled(i)) listed[count++] = i;
      const dense = assignsDensely(count, end - start);
      for (let q = 0; q < count; q++) changes += dense ? this.assignDensely(listed[q]) : this.walk(listed[q]);
    }
    return changes;
  }

  /** Slack not yet used up, or closer than half the gap to the nearest other centre: row i keeps its label. */
  private settled(i: number): boolean {
    const a = this.labels[i];
    const da = this.drift[a];
    return this.slackRel[i] - da >= this.maxDrift || this.upperRel[i] + da <= this.halfGap[a];
  }

  /**
   * Row i's bounds on every centre from {@link span}, and its label the centre with the smallest upper
   * bound, or, when another centre's lower bound does not exceed that, the nearest by exact distance
   * among all such (ties to the lower index). Returns 1 if the label changed, else 0.
   */
  private assignDensely(i: number): number {
    const { lowerRel, upperRel, labels, drift, denseLo, denseHi, k } = this;
    const a0 = labels[i];
    let a = 0;
    let u = Infinity;
    for (let j = 0; j < k; j++) {
      this.span(i, j);
      denseLo[j] = this.spanLo;
      denseHi[j] = this.spanHi;
      if (this.spanHi < u) {
        u = this.spanHi;
        a = j;
      }
    }
    let ambiguous = false;
    for (let j = 0; j < k; j++) if (denseLo[j] <= u && j !== a) ambiguous = true;
    if (ambiguous) {
      const first = a;
      let smallest = Infinity;
      for (let j = 0; j < k; j++) {
        if (!(denseLo[j] <= u || j === first)) continue;
        const dj = this.exactDistance(i, j);
        denseLo[j] = dj;
        denseHi[j] = dj;
        if (dj < smallest) {
          smallest = dj;
          a = j;
        }
      }
    }
    for (let j = 0; j < k; j++) lowerRel[i * k + j] = denseLo[j] + drift[j];
    upperRel[i] = denseHi[a] - drift[a];
    labels[i] = a;
    this.refreshSlack(i);
    if (a === a0) return 0;
    this.moveRow(i * this.d, a0, a);
    return 1;
  }

  /** Elkan's walk over the centres for row i (see {@link assign}); returns 1 if the label changed, else 0. */
  private walk(i: number): number {
    const { halfCC, drift, labels, upperRel, lowerRel, slackRel } = this;
    const { d, k, maxDrift } = this;
    const a0 = labels[i];
    const da = drift[a0];
    let a = a0;
    let u = upperRel[i] + da;
    const lo = i * k;
    let tight = false;
    // Lower bound on the distance to centre a (known once tight).
    let uLo = 0;
    // Smallest bound over the other centres, for the slack (valid while `a` stays a0).
    let minBound = Infinity;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const l = lowerRel[lo + j] - drift[j];
      const h = halfCC[a * k + j];
      const bound = l > h ? l : h;
      if (u <= bound) {
        if (bound < minBound) minBound = bound;
        continue;
      }
      if (!tight) {
        // The upper bound may just be loose: tighten it once, then retest.
        this.span(i, a);
        uLo = this.spanLo;
        u = this.spanHi;
        lowerRel[lo + a] = uLo + drift[a];
        tight = true;
        if (u <= bound) {
          if (bound < minBound) minBound = bound;
          continue;
        }
      }
      this.span(i, j);
      let djLo = this.spanLo;
      let djHi = this.spanHi;
      let closer: boolean;
      if (djHi < uLo) closer = true;
      else if (djLo > u) closer = false;
      else {
        // Too close to call from the bounds: the exact distances decide.
        const ua = this.exactDistance(i, a);
        const dj = this.exactDistance(i, j);
        closer = dj < ua || (dj === ua && j < a);
        uLo = ua;
        u = ua;
        djLo = dj;
        djHi = dj;
      }
      lowerRel[lo + j] = djLo + drift[j];
      if (closer) {
        a = j;
        uLo = djLo;
        u = djHi;
      } else {
        const b = djLo > h ? djLo : h;
        if (b < minBound) minBound = b;
      }
    }
    if (tight) upperRel[i] = u - drift[a];
    if (a === a0) {
      if (tight) minBound = this.refreshNearest(i, a);
      slackRel[i] = minBound - u + da + maxDrift;
      return 0;
    }
    labels[i] = a;
    this.refreshSlack(i);
    this.moveRow(i * d, a0, a);
    return 1;
  }

  /**
   * Called when row i's own distance was just tightened and its label `a` kept. Its slack will be the
   * smallest bound over the other centres less u; when that bound is a lower bound (not half a centre
   * gap) it is often stale, computed many updates ago and worn down by every move since, so the row
   * would fail its slack and be tightened again next update, and the one after. Refreshes that one
   * lower bound and returns the smallest bound afterwards (recomputed from the stored bounds either
   * way). On the reference latents this takes 14% fewer distances and a third fewer rows walked.
   */
  private refreshNearest(i: number, a: number): number {
    const { lowerRel, halfCC, drift, k } = this;
    const lo = i * k;
    let nearest = -1;
    let smallest = Infinity;
    let stale = false;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const l = lowerRel[lo + j] - drift[j];
      const h = halfCC[a * k + j];
      const b = l > h ? l : h;
      if (b < smallest) {
        smallest = b;
        nearest = j;
        stale = l > h;
      }
    }
    if (!stale) return smallest;
    this.span(i, nearest);
    lowerRel[lo + nearest] = this.spanLo + drift[nearest];
    return this.smallestBound(i, a);
  }

  /** Moves the row starting at `xo` from cluster `from` to cluster `to` in the sums and counts. */
  private moveRow(xo: number, from: number, to: number): void {
    const { x, sums, counts, d } = this;
    counts[from]--;
    counts[to]++;
    const fo = from * d;
    const to_ = to * d;
    for (let t = 0; t < d; t++) {
      const v = x[xo + t];
      sums[fo + t] -= v;
      sums[to_ + t] += v;
    }
  }

  /**
   * Gives every empty cluster a row. scikit-learn moves an empty cluster's centre onto the rows farthest
   * from their own centres; we do the same, and also move the row's label so that sums, counts and
   * bounds stay consistent (the row is then at distance 0 from its new centre, so the label is right).
   * Only rows from clusters with ≥ 2 members are taken, so no new empty cluster is created; if every
   * remaining row sits exactly on its centre there is nothing to gain and the cluster stays empty,
   * keeping its old centre.
   */
  relocateEmptyClusters(): void {
    const { x, centres, sums, counts, labels, drift, upperRel, lowerRel, n, d, k } = this;
    let empty = 0;
    for (let j = 0; j < k; j++) if (counts[j] === 0) empty++;
    if (empty === 0) return;
    // Exact distances: the upper bounds are only bounds, and this is rare enough to afford a full pass.
    const dist = new Float64Array(n);
    for (let i = 0; i < n; i++) dist[i] = squaredDistance(x, i * d, centres, labels[i] * d, d);
    for (let j = 0; j < k; j++) {
      if (counts[j] !== 0) continue;
      let far = -1;
      let farDist = 0;
      for (let i = 0; i < n; i++) {
        if (dist[i] > farDist && counts[labels[i]] > 1) {
          far = i;
          farDist = dist[i];
        }
      }
      if (far < 0) continue;
      const from = labels[far];
      const xo = far * d;
      for (let t = 0; t < d; t++) {
        sums[from * d + t] -= x[xo + t];
        sums[j * d + t] = x[xo + t];
      }
      counts[from]--;
      counts[j] = 1;
      labels[far] = j;
      dist[far] = 0;
      // The row will be its new centre (distance 0); nothing is known about its distance to the others.
      upperRel[far] = -drift[j];
      for (let l = 0; l < k; l++) lowerRel[far * k + l] = drift[l];
      this.slackRel[far] = -Infinity;
    }
  }

  /**
   * Moves the centres to their clusters' means, adds each move to the centre's drift (which loosens
   * every bound at once), and returns the total squared shift (scikit-learn's `center_shift_tot`).
   */
  updateCentres(): number {
    const { centres, newCentres, sums, counts, drift, d, k } = this;
    let total = 0;
    let largest = 0;
    for (let j = 0; j < k; j++) {
      const o = j * d;
      const c = counts[j];
      if (c === 0) {
        // Still empty after relocation (all rows on their centres): keep the centre where it was.
        for (let t = 0; t < d; t++) newCentres[o + t] = centres[o + t];
      } else {
        const inv = 1 / c;
        for (let t = 0; t < d; t++) newCentres[o + t] = sums[o + t] * inv;
      }
      const s2 = squaredDistance(newCentres, o, centres, o, d);
      const move = Math.sqrt(s2);
      drift[j] += move;
      if (move > largest) largest = move;
      total += s2;
    }
    this.maxDrift += largest;
    centres.set(newCentres);
    this.refreshCentreGeometry();
    return total;
  }

  /** Inertia of the current partition about its means, from the sums alone: Σ‖x‖² − Σ_j ‖S_j‖²/n_j. */
  partitionInertia(totalNorm: number): number {
    const { sums, counts, d, k } = this;
    let s = totalNorm;
    for (let j = 0; j < k; j++) {
      if (counts[j] > 0) s -= dot(sums, j * d, sums, j * d, d) / counts[j];
    }
    return s > 0 ? s : 0;
  }

  /** {@link featureDeviations} of the rows. */
  featureDeviations(): number {
    if (this.simd !== null) return this.simd.featureDeviations();
    return featureDeviations(this.x, this.n, this.d);
  }

  /** Exact inertia against the current centres, in the difference form (no cancellation). */
  exactInertia(): number {
    if (this.simd !== null) return this.simd.exactInertia();
    const { x, centres, labels, n, d } = this;
    let s = 0;
    for (let i = 0; i < n; i++) s += squaredDistance(x, i * d, centres, labels[i] * d, d);
    return s;
  }
}

/** ‖x[xo…xo+d) − y[yo…yo+d)‖² in the difference form: exact where the dot-product form would cancel. */
function squaredDistance(x: RowStore, xo: number, y: RowStore, yo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let t = 0;
  for (; t + 2 <= d; t += 2) {
    const a = x[xo + t] - y[yo + t];
    const b = x[xo + t + 1] - y[yo + t + 1];
    s0 += a * a;
    s1 += b * b;
  }
  if (t < d) {
    const a = x[xo + t] - y[yo + t];
    s0 += a * a;
  }
  return s0 + s1;
}
