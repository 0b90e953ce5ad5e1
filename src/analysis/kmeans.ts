/**
 * K-means clustering (Lloyd's algorithm) on flat typed arrays, matching scikit-learn's `KMeans` with
 * `algorithm="lloyd"`: greedy k-means++ seeding, `nInit` restarts kept by lowest inertia, the same
 * stopping rules (labels unchanged, or total squared centre shift ≤ tol × mean per-feature variance) and
 * the same final re-assignment when a run stops on the tolerance or the iteration cap.
 *
 * Speed comes from the following, none of which changes which centre a row is assigned to:
 *  - the data are copied once to float64, so the hot loops never convert float32 → float64 per element
 *    (measured ~1.6× faster in V8) and every sum is float64;
 *  - squared distances use ‖x‖² − 2x·c + ‖c‖² with precomputed norms; the seeding's dense passes use a
 *    2-row × 4-candidate kernel;
 *  - Elkan's bounds, kept lazily, plus one "slack" per row, skip every distance that cannot change a
 *    label (see {@link LloydWorkspace}): on the reference latents 94% of the distances plain Lloyd
 *    computes are never computed (97% once the first ~40 iterations of a restart are over);
 *  - the seeding computes every candidate's distance to every row anyway, so it leaves exact labels and
 *    bounds behind and the first Lloyd assignment costs nothing.
 * Subnormals cannot slow anything: float32 subnormals become normal float64 numbers on the copy, and no
 * float64 quantity here gets anywhere near 1e-308.
 *
 * Layout: data are N×D row-major (`data[i * d + t]`), centroids K×D row-major, labels one per row.
 */

import { mulberry32, type Rng } from './rng';

/** Parameters of {@link KMeans}; every field has a default in {@link DEFAULT_KMEANS_OPTIONS}. */
export interface KMeansOptions {
  /** Number of clusters K (integer, 1 ≤ K ≤ N). */
  k: number;
  /** Independent k-means++ restarts; the run with the lowest inertia is kept. */
  nInit: number;
  /** Upper limit on Lloyd iterations per restart. */
  maxIter: number;
  /**
   * Relative tolerance. As in scikit-learn a run stops when the summed squared centre shift of one
   * iteration is ≤ tol × (mean over features of the per-feature variance of the data), which makes the
   * rule independent of the data's scale.
   */
  tol: number;
  /** Seed for the default mulberry32 generator (ignored when an `rng` is passed explicitly). */
  seed: number;
}

/** scikit-learn's defaults (`n_clusters=10`, `n_init=10`, `max_iter=300`, `tol=1e-4`) and seed 42. */
export const DEFAULT_KMEANS_OPTIONS: Readonly<KMeansOptions> = Object.freeze({
  k: 10,
  nInit: 10,
  maxIter: 300,
  tol: 1e-4,
  seed: 42,
});

/** The best of the `nInit` runs. */
export interface KMeansResult {
  /** Int32Array(N): cluster of each row, in 0…K−1. */
  labels: Int32Array;
  /** Float32Array(K×D), row-major: the centroids the labels were last assigned against. */
  centroids: Float32Array;
  /** Sum over rows of the squared Euclidean distance to the row's centroid, accumulated in float64. */
  inertia: number;
  /** Lloyd iterations the kept run took (scikit-learn's `n_iter_`). */
  iterations: number;
  /** Zero-based index of the kept run among the `nInit` restarts. */
  bestInit: number;
}

/** Progress of a {@link KMeans} fit, reported between iterations. */
export interface KMeansProgress {
  /** Zero-based index of the restart in progress (equals `nInit` once all are done). */
  init: number;
  /** Total restarts. */
  nInit: number;
  /** Lloyd iterations completed in the restart in progress (0 right after seeding). */
  iteration: number;
  /**
   * Inertia of the current partition about its own centroids (exact, not a bound; at most the inertia
   * the run will end with). After the last restart: the kept run's inertia.
   */
  inertia: number;
}

/** Hooks for {@link runKMeans}. */
export interface KMeansRunCallbacks {
  /** Called at most once per yield to the event loop, and once at the end. */
  onProgress?(p: KMeansProgress): void;
  /** Polled before every step; returning true ends the fit with a `cancelled` outcome. */
  shouldStop?(): boolean;
  /**
   * Minimum milliseconds of work between yields (default {@link DEFAULT_YIELD_INTERVAL_MS}); 0 yields
   * after every iteration.
   */
  yieldIntervalMs?: number;
}

/**
 * Yielding costs a `setTimeout(0)`: ≥ 1 ms in Node and 4 ms in browsers once timers nest. The reference
 * fit takes ~1,200 iterations, most of a few milliseconds, so yielding after each one would add seconds;
 * yielding every 15 ms keeps the overhead to a few percent and cancellation still answers within a frame.
 */
export const DEFAULT_YIELD_INTERVAL_MS = 15;

/** What {@link runKMeans} resolves to. */
export type KMeansOutcome =
  | { status: 'completed'; result: KMeansResult }
  | {
      status: 'cancelled';
      /** Best of the restarts that finished before the stop, or null when none had. */
      bestSoFar: KMeansResult | null;
      /** Restarts that finished before the stop. */
      completedInits: number;
    };

/**
 * The absolute stopping threshold scikit-learn derives from `tol`: tol × mean over the D features of
 * each feature's (population) variance. `data` is N×D row-major.
 */
export function kmeansTolerance(data: ArrayLike<number>, n: number, d: number, tol: number): number {
  if (n === 0 || d === 0) return 0;
  // Two passes (means, then squared deviations): the one-pass formula loses digits when a mean is
  // large. Both walk the rows in memory order.
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] += data[i * d + t];
  for (let t = 0; t < d; t++) mean[t] /= n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < d; t++) {
      const delta = data[i * d + t] - mean[t];
      total += delta * delta;
    }
  }
  return (total / n / d) * tol;
}

/** Merges partial options over the defaults and checks them against the data size. */
function resolveOptions(options: Partial<KMeansOptions>, n: number): KMeansOptions {
  const o: KMeansOptions = { ...DEFAULT_KMEANS_OPTIONS, ...options };
  if (!Number.isInteger(o.k) || o.k < 1) throw new RangeError(`kmeans: k must be a positive integer, got ${o.k}`);
  if (o.k > n) throw new RangeError(`kmeans: k = ${o.k} exceeds the number of rows (${n})`);
  if (!Number.isInteger(o.nInit) || o.nInit < 1) throw new RangeError(`kmeans: nInit must be a positive integer, got ${o.nInit}`);
  if (!Number.isInteger(o.maxIter) || o.maxIter < 1) throw new RangeError(`kmeans: maxIter must be a positive integer, got ${o.maxIter}`);
  if (!(o.tol >= 0)) throw new RangeError(`kmeans: tol must be ≥ 0, got ${o.tol}`);
  return o;
}

/** Rejects non-integer or empty shapes and data shorter than N×D. */
function checkShape(data: ArrayLike<number>, n: number, d: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) {
    throw new RangeError(`kmeans: n and d must be positive integers, got n=${n}, d=${d}`);
  }
  if (data.length < n * d) throw new RangeError(`kmeans: data has ${data.length} values, fewer than n×d = ${n * d}`);
}

/** Copies N×D values to float64, rejecting NaN/±Infinity (they would poison every centroid they touch). */
function toFloat64(data: ArrayLike<number>, n: number, d: number): Float64Array {
  const size = n * d;
  const out = new Float64Array(size);
  if (data instanceof Float32Array || data instanceof Float64Array) {
    // Typed arrays convert in bulk, far faster than element by element through a generic ArrayLike.
    out.set(data.length === size ? data : data.subarray(0, size));
  } else {
    for (let i = 0; i < size; i++) out[i] = data[i];
  }
  for (let i = 0; i < size; i++) {
    // v − v is NaN exactly when v is NaN or ±Infinity.
    if (out[i] - out[i] !== 0) {
      throw new RangeError(`kmeans: non-finite value ${out[i]} at row ${Math.floor(i / d)}, column ${i % d}`);
    }
  }
  return out;
}

/** ‖x_i‖² for each of the N rows. */
function rowNorms(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = dot(x, i * d, x, i * d, d);
  return out;
}

/**
 * x[xo…xo+d) · y[yo…yo+d). Four partial sums keep four independent add chains in flight, and running
 * pointers instead of `xo + t` indices spare V8 an overflow-checked add per load: 12 instead of 16
 * machine instructions per multiply-add (counted under cachegrind).
 */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, d: number): number {
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
  x: Float64Array,
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

/** Squared distances from every row to one row c of `x` (the tail of {@link squaredDistances4}). */
function squaredDistances1(x: Float64Array, xNorm: Float64Array, n: number, d: number, c: number, out: Float64Array): void {
  const o = c * d;
  const nc = xNorm[c];
  for (let i = 0; i < n; i++) out[i] = clampZero(xNorm[i] - 2 * dot(x, i * d, x, o, d) + nc);
}

/** Rounding in the dot-product form can push a zero squared distance slightly negative. */
function clampZero(v: number): number {
  return v > 0 ? v : 0;
}

/** Euclidean distance from the dot-product form; rounding can push a zero distance slightly negative. */
function distFromParts(xNorm: number, partial: number): number {
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
 * multi-centre "full scan" for rows with several centres still in play (slower); float32 rows (faster
 * on cache-missing rows, slower on streamed ones, no net gain). What remains is V8's code for a 64-term
 * dot product: ~12 machine instructions per multiply-add, bounds checks included.
 */
class LloydWorkspace {
  readonly centres: Float64Array;
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

  constructor(
    readonly x: Float64Array,
    readonly xNorm: Float64Array,
    readonly n: number,
    readonly d: number,
    readonly k: number,
  ) {
    this.centres = new Float64Array(k * d);
    this.newCentres = new Float64Array(k * d);
    this.cNorm = new Float64Array(k);
    this.halfCC = new Float64Array(k * k);
    this.halfGap = new Float64Array(k);
    this.drift = new Float64Array(k);
    this.sums = new Float64Array(k * d);
    this.counts = new Int32Array(k);
    this.labels = new Int32Array(n);
    this.upperRel = new Float64Array(n);
    this.lowerRel = new Float64Array(n * k);
    this.slackRel = new Float64Array(n);
  }

  /** Resets the drifts; the caller then sets every bound relative to zero drift. */
  resetDrift(): void {
    this.drift.fill(0);
    this.maxDrift = 0;
  }

  /** Recomputes row i's slack from its current bounds (see the class comment). */
  refreshSlack(i: number): void {
    const { lowerRel, halfCC, drift, labels, upperRel, k } = this;
    const a = labels[i];
    const lo = i * k;
    let m = Infinity;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const l = lowerRel[lo + j] - drift[j];
      const h = halfCC[a * k + j];
      const b = l > h ? l : h;
      if (b < m) m = b;
    }
    // S + drift[a] + maxDrift with u = upperRel + drift[a]: the drift of the own centre cancels.
    this.slackRel[i] = m - upperRel[i] + this.maxDrift;
  }

  /** Recomputes centre norms and centre-to-centre half distances after the centres changed. */
  refreshCentreGeometry(): void {
    const { centres, cNorm, halfCC, halfGap, k, d } = this;
    for (let j = 0; j < k; j++) cNorm[j] = dot(centres, j * d, centres, j * d, d);
    halfGap.fill(Infinity);
    for (let j = 0; j < k; j++) {
      halfCC[j * k + j] = 0;
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

  /**
   * Elkan's assignment step against the current centres: a distance is computed only when the bounds
   * cannot rule the centre out. Returns how many labels changed and keeps `sums`/`counts` in step with
   * the labels by moving only the rows that changed.
   */
  assign(): number {
    const { x, xNorm, centres, cNorm, halfCC, halfGap, drift, labels, upperRel, lowerRel, slackRel } = this;
    const { n, d, k, maxDrift } = this;
    let changes = 0;
    for (let i = 0; i < n; i++) {
      const a0 = labels[i];
      const da = drift[a0];
      // Slack not yet used up, or closer than half the gap to the nearest other centre: nothing to do.
      if (slackRel[i] - da >= maxDrift) continue;
      let a = a0;
      let u = upperRel[i] + da;
      if (u <= halfGap[a]) continue;
      const xo = i * d;
      const xn = xNorm[i];
      const lo = i * k;
      let tight = false;
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
          // The upper bound may just be loose: make it exact once, then retest.
          u = distFromParts(xn, cNorm[a] - 2 * dot(x, xo, centres, a * d, d));
          lowerRel[lo + a] = u + drift[a];
          tight = true;
          if (u <= bound) {
            if (bound < minBound) minBound = bound;
            continue;
          }
        }
        const dj = distFromParts(xn, cNorm[j] - 2 * dot(x, xo, centres, j * d, d));
        lowerRel[lo + j] = dj + drift[j];
        // On an exact tie the lower index wins, as in scikit-learn's argmin.
        if (dj < u || (dj === u && j < a)) {
          a = j;
          u = dj;
        } else {
          const b = dj > h ? dj : h;
          if (b < minBound) minBound = b;
        }
      }
      if (tight) upperRel[i] = u - drift[a];
      if (a === a0) {
        slackRel[i] = minBound - u + da + maxDrift;
      } else {
        labels[i] = a;
        this.refreshSlack(i);
        changes++;
        this.moveRow(xo, a0, a);
      }
    }
    return changes;
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

  /** Exact inertia against the current centres, in the difference form (no cancellation). */
  exactInertia(): number {
    const { x, centres, labels, n, d } = this;
    let s = 0;
    for (let i = 0; i < n; i++) s += squaredDistance(x, i * d, centres, labels[i] * d, d);
    return s;
  }
}

/** ‖x[xo…xo+d) − y[yo…yo+d)‖² in the difference form: exact where the dot-product form would cancel. */
function squaredDistance(x: Float64Array, xo: number, y: Float64Array, yo: number, d: number): number {
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

/** 2 + ⌊ln K⌋ candidates per centre: scikit-learn's choice (from Arthur & Vassilvitskii's experiments). */
export function kmeansPlusPlusTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/** First index i with cum[i] > r (cum non-decreasing), clipped to the last index. */
function searchCumulative(cum: Float64Array, r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid] > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Scratch buffers for {@link seedPlusPlus}, allocated once per fit. */
class SeedBuffers {
  /** Running sums of D² over the rows, searched to draw candidates. */
  readonly cum: Float64Array;
  /** D(x)²: squared distance from each row to its nearest chosen centre. */
  readonly dist2: Float64Array;
  /** Per candidate: squared distance from each row. */
  readonly candDist: Float64Array[] = [];
  readonly candidates: Int32Array;
  readonly candPot: Float64Array;

  constructor(n: number, k: number) {
    const trials = kmeansPlusPlusTrials(k);
    this.cum = new Float64Array(n);
    this.dist2 = new Float64Array(n);
    for (let t = 0; t < trials; t++) this.candDist.push(new Float64Array(n));
    this.candidates = new Int32Array(trials);
    this.candPot = new Float64Array(trials);
  }
}

/**
 * Greedy k-means++ into `ws.centres`, as scikit-learn does it: the first centre is a uniformly drawn
 * row; each next one is the best of `2 + ⌊ln K⌋` rows drawn with probability ∝ D(x)² (D = distance to
 * the nearest chosen centre), "best" meaning the one that leaves the smallest Σ D².
 *
 * The candidates' distances to every row are needed anyway, so they are kept: the seeding leaves exact
 * labels (nearest centre), exact upper bounds and exact Elkan lower bounds behind, and the first Lloyd
 * assignment costs nothing. (Skipping candidate distances by the triangle inequality was measured: it
 * rules out only ~10% of them, since candidates are drawn from rows far from every centre.)
 * Returns the chosen row indices.
 */
function seedPlusPlus(ws: LloydWorkspace, rng: Rng, buffers: SeedBuffers): Int32Array {
  const { x, xNorm, centres, n, d, k } = ws;
  const { cum, dist2, candDist, candidates, candPot } = buffers;
  const trials = candidates.length;
  const chosen = new Int32Array(k);
  ws.resetDrift();
  const first = Math.min(n - 1, Math.floor(rng() * n));
  chosen[0] = first;
  centres.set(x.subarray(first * d, first * d + d), 0);
  squaredDistances1(x, xNorm, n, d, first, dist2);
  ws.labels.fill(0);
  acceptCentre(ws, 0, dist2, dist2);
  // Each hot loop lives in its own small function: V8 then optimises each one with complete type
  // feedback instead of deoptimising one long function loop by loop (seen with --trace-deopt).
  for (let c = 1; c < k; c++) {
    const pot = cumulativeSums(dist2, cum, n);
    for (let t = 0; t < trials; t++) {
      // Strictly-greater search never picks a row already at distance 0 (scikit-learn's `searchsorted`
      // can, on an exact tie); if every row is at distance 0 the last row is as good as any.
      candidates[t] = searchCumulative(cum, rng() * pot);
    }
    let t = 0;
    for (; t + 4 <= trials; t += 4) {
      squaredDistances4(x, xNorm, n, d, candidates[t], candidates[t + 1], candidates[t + 2], candidates[t + 3],
        candDist[t], candDist[t + 1], candDist[t + 2], candDist[t + 3]);
    }
    for (; t < trials; t++) squaredDistances1(x, xNorm, n, d, candidates[t], candDist[t]);
    for (let t = 0; t < trials; t++) candPot[t] = potentialWith(candDist[t], dist2, n);
    // np.argmin semantics: the first candidate wins ties.
    let best = 0;
    for (let t = 1; t < trials; t++) if (candPot[t] < candPot[best]) best = t;
    const b = candidates[best];
    chosen[c] = b;
    centres.set(x.subarray(b * d, b * d + d), c * d);
    acceptCentre(ws, c, candDist[best], dist2);
  }
  ws.refreshCentreGeometry();
  for (let i = 0; i < n; i++) ws.refreshSlack(i);
  ws.recomputeSums();
  return chosen;
}

/** cum[i] = Σ_{r ≤ i} w[r]; returns the total. */
function cumulativeSums(w: Float64Array, cum: Float64Array, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += w[i];
    cum[i] = acc;
  }
  return acc;
}

/** Σ D² if a centre at squared distances `cand` joined: Σ_i min(cand[i], dist2[i]). */
function potentialWith(cand: Float64Array, dist2: Float64Array, n: number): number {
  let pot = 0;
  for (let i = 0; i < n; i++) {
    const v = cand[i];
    const own = dist2[i];
    pot += v < own ? v : own;
  }
  return pot;
}

/**
 * Makes chosen centre c (squared distances `cand` to every row) part of the seeding: exact lower bound
 * to it, and label, upper bound and D² for the rows it is now nearest to.
 */
function acceptCentre(ws: LloydWorkspace, c: number, cand: Float64Array, dist2: Float64Array): void {
  const { labels, upperRel, lowerRel, n, k } = ws;
  for (let i = 0; i < n; i++) {
    const v = cand[i];
    const dist = Math.sqrt(v);
    lowerRel[i * k + c] = dist;
    if (c === 0 || v < dist2[i]) {
      dist2[i] = v;
      upperRel[i] = dist;
      labels[i] = c;
    }
  }
}

/** Phase of the {@link KMeans} state machine. */
type Phase = 'uninitialised' | 'seed' | 'iterate' | 'done';

/**
 * K-means as an explicit state machine, so a caller can interleave it with other work:
 * `new KMeans(options)`, `initialize(data, n, d)`, then call `step()` until it returns true and read
 * `getResult()`. One step is either the k-means++ seeding of a restart or one Lloyd iteration (the last
 * iteration of a restart also does its final assignment and inertia).
 */
export class KMeans {
  /** Resolved options (defaults filled in). */
  readonly options: KMeansOptions;
  private readonly rng: Rng;
  private phase: Phase = 'uninitialised';
  private ws: LloydWorkspace | null = null;
  private tolAbs = 0;
  private totalNorm = 0;
  private seedBuffers: SeedBuffers | null = null;
  private init = 0;
  private iteration = 0;
  private inertia = Infinity;
  private best: KMeansResult | null = null;

  /**
   * @param options overrides of {@link DEFAULT_KMEANS_OPTIONS}
   * @param rng uniform [0, 1) generator; defaults to `mulberry32(options.seed)`
   */
  constructor(options: Partial<KMeansOptions> = {}, rng?: Rng) {
    this.options = { ...DEFAULT_KMEANS_OPTIONS, ...options };
    this.rng = rng ?? mulberry32(this.options.seed);
  }

  /**
   * Takes the data (N×D row-major; copied, so the caller may reuse its buffer) and resets the fit.
   * @throws RangeError on bad shapes or options, or non-finite values.
   */
  initialize(data: ArrayLike<number>, n: number, d: number): void {
    checkShape(data, n, d);
    resolveOptions(this.options, n);
    const x = toFloat64(data, n, d);
    const xNorm = rowNorms(x, n, d);
    const k = this.options.k;
    this.ws = new LloydWorkspace(x, xNorm, n, d, k);
    this.tolAbs = kmeansTolerance(x, n, d, this.options.tol);
    let total = 0;
    for (let i = 0; i < n; i++) total += xNorm[i];
    this.totalNorm = total;
    this.seedBuffers = new SeedBuffers(n, k);
    this.init = 0;
    this.iteration = 0;
    this.inertia = Infinity;
    this.best = null;
    this.phase = 'seed';
  }

  /**
   * Does one unit of work. Returns true once all restarts are done (and keeps returning true).
   * @throws Error if called before {@link initialize}.
   */
  step(): boolean {
    const ws = this.ws;
    const buffers = this.seedBuffers;
    if (ws === null || buffers === null) throw new Error('KMeans.step() called before initialize()');
    const phase = this.phase;
    switch (phase) {
      case 'uninitialised':
        throw new Error('KMeans.step() called before initialize()');
      case 'done':
        return true;
      case 'seed':
        seedPlusPlus(ws, this.rng, buffers);
        this.iteration = 0;
        this.inertia = ws.partitionInertia(this.totalNorm);
        this.phase = 'iterate';
        return false;
      case 'iterate':
        this.iterate(ws);
        return this.phase === 'done';
      default: {
        const unreachable: never = phase;
        throw new Error(`KMeans: unknown phase ${String(unreachable)}`);
      }
    }
  }

  private iterate(ws: LloydWorkspace): void {
    // The first assignment of a restart was done by the seeding; every label "changed" (from none).
    const changes = this.iteration === 0 ? ws.n : ws.assign();
    ws.relocateEmptyClusters();
    const shift = ws.updateCentres();
    this.iteration++;
    this.inertia = ws.partitionInertia(this.totalNorm);
    const strict = changes === 0;
    if (!strict && shift > this.tolAbs && this.iteration < this.options.maxIter) return;
    // Stopped on tolerance or the iteration cap: the labels predate the last centre update, so assign
    // once more, as scikit-learn does, before measuring inertia.
    if (!strict) ws.assign();
    const inertia = ws.exactInertia();
    if (this.best === null || inertia < this.best.inertia) {
      this.best = {
        labels: ws.labels.slice(),
        centroids: Float32Array.from(ws.centres),
        inertia,
        iterations: this.iteration,
        bestInit: this.init,
      };
    }
    this.init++;
    this.iteration = 0;
    if (this.init >= this.options.nInit) {
      this.phase = 'done';
      this.inertia = this.best.inertia;
    } else {
      this.phase = 'seed';
    }
  }

  /** Where the fit stands; see {@link KMeansProgress}. */
  progress(): KMeansProgress {
    return { init: this.init, nInit: this.options.nInit, iteration: this.iteration, inertia: this.inertia };
  }

  /** Restarts finished so far. */
  get completedInits(): number {
    return this.init;
  }

  /** The best finished restart so far (the final answer once `step()` has returned true), or null. */
  getResult(): KMeansResult | null {
    return this.best;
  }
}

/**
 * Synchronous fit: all `nInit` restarts, best kept.
 * @param data N×D row-major values (float32 or float64)
 * @param rng uniform [0, 1) generator; defaults to `mulberry32(options.seed)`
 */
export function kmeans(
  data: ArrayLike<number>,
  n: number,
  d: number,
  options: Partial<KMeansOptions> = {},
  rng?: Rng,
): KMeansResult {
  const km = new KMeans(options, rng);
  km.initialize(data, n, d);
  while (!km.step()) {
    // all work happens in step()
  }
  const result = km.getResult();
  if (result === null) throw new Error('kmeans: finished without a result');
  return result;
}

/**
 * Asynchronous fit for the UI/worker: yields to the event loop (setTimeout 0) between iterations at most
 * every `yieldIntervalMs`, reports progress at each yield, and stops at the next step boundary once
 * `shouldStop()` returns true — resolving `{ status: 'cancelled', bestSoFar }` rather than throwing, so
 * restarts already finished are not lost.
 * @param data N×D row-major values
 */
export async function runKMeans(
  data: ArrayLike<number>,
  n: number,
  d: number,
  options: Partial<KMeansOptions> = {},
  callbacks: KMeansRunCallbacks = {},
): Promise<KMeansOutcome> {
  const interval = callbacks.yieldIntervalMs ?? DEFAULT_YIELD_INTERVAL_MS;
  const km = new KMeans(options);
  km.initialize(data, n, d);
  let lastYield = performance.now();
  for (;;) {
    if (callbacks.shouldStop?.()) {
      return { status: 'cancelled', bestSoFar: km.getResult(), completedInits: km.completedInits };
    }
    if (km.step()) break;
    if (performance.now() - lastYield >= interval) {
      callbacks.onProgress?.(km.progress());
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      lastYield = performance.now();
    }
  }
  callbacks.onProgress?.(km.progress());
  const result = km.getResult();
  if (result === null) throw new Error('kmeans: finished without a result');
  return { status: 'completed', result };
}

/**
 * One Lloyd run from given starting centroids (scikit-learn's `init=array, n_init=1`), with the same
 * stopping rules as {@link kmeans}. Useful for warm starts and as a deterministic test hook.
 * @param data N×D row-major values
 * @param initialCentroids K×D row-major
 */
export function kmeansFromCentroids(
  data: ArrayLike<number>,
  n: number,
  d: number,
  initialCentroids: ArrayLike<number>,
  options: Partial<Pick<KMeansOptions, 'maxIter' | 'tol'>> = {},
): KMeansResult {
  checkShape(data, n, d);
  const k = Math.floor(initialCentroids.length / d);
  if (k * d !== initialCentroids.length) {
    throw new RangeError(`kmeans: ${initialCentroids.length} centroid values is not a multiple of d = ${d}`);
  }
  const o = resolveOptions({ ...options, k, nInit: 1 }, n);
  const x = toFloat64(data, n, d);
  const ws = new LloydWorkspace(x, rowNorms(x, n, d), n, d, k);
  ws.centres.set(toFloat64(initialCentroids, k, d));
  ws.refreshCentreGeometry();
  // Infinite upper / zero lower bounds force a full scan for every row on the first assignment.
  ws.resetDrift();
  ws.upperRel.fill(Infinity);
  ws.lowerRel.fill(0);
  ws.slackRel.fill(-Infinity);
  ws.labels.fill(0);
  ws.recomputeSums();
  const tolAbs = kmeansTolerance(x, n, d, o.tol);
  let iteration = 0;
  for (;;) {
    const changes = ws.assign();
    // Sums were built by moving every row out of cluster 0; rebuild them once to shed that rounding.
    if (iteration === 0) ws.recomputeSums();
    ws.relocateEmptyClusters();
    const shift = ws.updateCentres();
    iteration++;
    // The first assignment starts from no labels, so it can never count as "unchanged".
    if (changes === 0 && iteration > 1) break;
    if (shift <= tolAbs || iteration >= o.maxIter) {
      ws.assign();
      break;
    }
  }
  return {
    labels: ws.labels.slice(),
    centroids: Float32Array.from(ws.centres),
    inertia: ws.exactInertia(),
    iterations: iteration,
    bestInit: 0,
  };
}

/**
 * The k-means++ seeding alone: row indices of the K starting centres that the first restart of
 * {@link kmeans} with the same `rng` state would use. Exposed for tests and for callers that want to
 * inspect or reuse a seeding.
 * @param data N×D row-major values
 */
export function kmeansPlusPlus(data: ArrayLike<number>, n: number, d: number, k: number, rng: Rng): Int32Array {
  checkShape(data, n, d);
  resolveOptions({ k }, n);
  const x = toFloat64(data, n, d);
  const ws = new LloydWorkspace(x, rowNorms(x, n, d), n, d, k);
  return seedPlusPlus(ws, rng, new SeedBuffers(n, k));
}
