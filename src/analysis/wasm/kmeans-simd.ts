/**
 * WebAssembly SIMD kernels for the hot loops of k-means ({@link ../kmeans-workspace}): the Elkan
 * assignment step, the k-means++ candidates' distances, row norms, slacks, cluster sums, the exact
 * inertia and the check for non-finite values.
 *
 * They compute exactly what the JavaScript loops in kmeans-workspace.ts compute, bit for bit: every sum
 * runs in the same order and precision (a float64 dot product keeps the JavaScript's four partial sums
 * as two f64x2 accumulators; the assignment's float32 dot product, kmeans-float32.ts's `dot32`, as the
 * four lanes of one f32x4; each of the seeding's per-candidate sums runs over the features in order, two
 * candidates per f64x2), and every comparison is the JavaScript's, so every branch goes the same way.
 * The JavaScript is thus both the fallback where WebAssembly SIMD is missing and the reference the
 * kernels are tested against, state array by state array.
 *
 * Where the time goes (machine instructions under cachegrind, one restart on the reference latents,
 * Node's own start left out): 16.4 billion with the JavaScript loops, 3.6 billion with these kernels,
 * which take ~2.3× less wall time (the JavaScript retires more instructions per cycle). V8 spends ~12
 * machine instructions per multiply-add in the JavaScript dot product, where a kernel spends two SIMD
 * instructions per two; the assignment computes all K bounds of a row with a few SIMD instructions,
 * settles most rows from them without a per-centre loop, and lists the rows to look at without a branch
 * per row. Rows are stored as float32 whenever every value is exactly a float32 (always so for
 * Float32Array input) and widened on load, which is exact, so the arithmetic is unchanged and the rows
 * take half the memory.
 *
 * What is left is spread thin (perf, cpu-clock samples, one share of the reference fit, 1.2 s): the
 * assignment takes ~85% of the fit, the seeding ~10%. In a late iteration (~0.9 ms) the listing pass
 * costs ~0.06 ms, the K bounds of the ~40% of rows listed ~0.3 ms, the exact distance to the own centre
 * of the ~30% whose loose bound fails ~0.4–0.7 ms, the rest of the walk ~0.1 ms; the cost per row is
 * nearly the same with 4,000 rows (all in L2) as with 60,000. Measured and not kept, since none changed
 * the fit's time beyond the noise: eight partial sums in the dot product instead of four (a shorter add
 * chain), splitting the walk into three passes without data-dependent branches between rows (bounds;
 * own-centre distance; the walk proper), and loading each listed row's cache lines ahead of its distance.
 *
 * Since 2026-12-05 (later): blocks where at least half the rows are listed take them densely
 * ({@link assignsDensely}): the first iterations of a restart, where a walked row needed ~7 distances
 * and several mispredicted branches, and where the tight bounds a dense row leaves spare work in the
 * iterations after. A dense row's spans go two centres at a time (f64x2 square roots, which were a
 * third of its time), and its smallest upper bound and overlap count come without a branch per centre.
 *
 * Kept since (2026-12-05, one share of the reference fit, Node, same session): the assignment's
 * distances as float32 dot products with an error bound (kmeans-workspace.ts's `span`; 1.27–1.31 →
 * 1.15–1.26 s), and refreshing the nearest stale lower bound of a row whose own distance was tightened
 * (`refreshNearest`; → 1.09–1.21 s). In Chromium, the two shares side by side as the bench runs them:
 * 1.31–1.42 s before, 1.16–1.18 s after; with the seeding's distances as float32 too (the seeding's
 * share of a fit 185 → 128 ms), 1.10–1.13 s; with the potentials summed in the seeding kernels (→ ~100
 * ms), 1.04–1.07 s. Tried and dropped then: a second slack per row against its nearest competitor, using
 * that centre's own drift instead of the largest move (listed rows on the reference latents 6.35 → 4.44
 * million per two restarts), but the gather of the competitor's drift for every row in pass 1 and the
 * two-smallest-bounds scan at every slack store made a share ~30% slower (1.07–1.19 → 1.45–1.65 s in
 * alternating runs). A late iteration's profile afterwards: ~10% of the assignment
 * waits on the first cache line of a listed row (the rows are 15 MB and listed sparsely); touching the
 * listed rows in pass 1 to overlap those misses made it slower (1.17–1.29 s), and was dropped.
 *
 * Measured 2026-12-05 (later still) and not kept; Node, one thread, the bench's ten restarts (1.7–1.9 s) or
 * one assignment call on six saved late-iteration states (5.5–6.1 ms together), same session, alternating:
 *  - none of these moved the fit beyond the noise: `f32x4.relaxed_madd` (fused) in the three float32 dot
 *    products; four f32x4 accumulators in `dot32` (a quarter of the add chain); the first minimum in
 *    `refreshNearest` from a bitmask instead of a branch per centre;
 *  - slower: eight rows a step in the float32 seeding kernel (the seeding 190 → 230–490 ms: V8 spills);
 *    every row the K bounds do not settle taken densely, with no Elkan walk (1.8 → 2.2 s); loading the
 *    lower bounds of listed rows in pass 1 from a dummy address for settled ones, to overlap their cache
 *    misses (the six states 5.5–6.1 → 6.4–6.9 ms);
 *  - doing each part of a late iteration twice on the same decisions (K bounds of listed rows; the span to the
 *    own centre; the span in `refreshNearest`) adds 4–17% each: arithmetic is about a third of a late
 *    iteration, the rest mispredicted branches and waiting, which no change above reached;
 *  - the ceiling of reordering rows: four restarts from the same centres on rows sorted by the final fit's
 *    label, nearest other centre and margin took 818 ms instead of 901 (−9%), an oracle order that a fit
 *    cannot have, and one that changes which rows the seeding draws; not pursued;
 *  - a second slack against the nearest other centre with that centre's own drift would list 20–44% fewer
 *    rows in late iterations (counted in the JavaScript), at 12–17 ns a listed row about 5% of a fit before
 *    its own costs (an earlier try of it was slower).
 * Two shares side by side each run 5–10% slower than alone, and 4–8% beside a plain arithmetic loop; three or
 * four workers claiming restarts on two cores made the fit slower (1.06–1.11 s → 1.21–1.35 s).
 *
 * Measured 2026-12-06 and not kept (Node, one thread; "six early states" replays one assignment call on
 * iterations 1–6 of four restarts, mostly dense rows, 32–36 ms together; alternating runs):
 *  - where a dense row's spans go, each part done twice on the same decisions: the float32 dot products
 *    +3–6 ms, the bounds' float64 arithmetic and stores +6–7 ms, the square roots +3 ms (of ~14 ms for the
 *    whole span); dense rows are ~3 million of a fit's ten restarts (~300,000 in restart 0, against 2
 *    million walked);
 *  - within the noise: four centres per pass over a dense row (each row quad loaded once for four
 *    accumulators, the lanes reduced for four centres at once, bit for bit the same sums); the constants
 *    and the row's norm of the span's bounds kept in f64x2 locals instead of built for every pair;
 *  - a row order from a pre-clustering (one fit on a 1-in-10 subsample; rows sorted by label, nearest other
 *    centre and margin), with the ten restarts started from the same centres: 2.09–2.16 → 2.02–2.07 s
 *    (−4%) before the order's own cost (a dense pass, a sort and a 15 MB copy per worker), so not pursued;
 *    sorted by label alone it was 7% slower;
 *  - how loose the triangle bounds are in late iterations (restart 0, iterations 61–120): a row's distance to
 *    its own centre changes by a median 0.20–0.21 of that centre's move (0.45–0.47 at the 90th
 *    percentile): in 64 dimensions a centre moves mostly across a row's direction. A bound from a 16-
 *    component projection of the rows (80% of the variance) would be 0.41–0.47 of the move, but costs 16
 *    multiply-adds a row and centre against the 64 of the exact distance it would save;
 *  - in Chromium, as the bench runs it (two workers claiming, cold): the bench's KMeans part alone 0.99 s
 *    (1.06, 0.96, 0.99), after the in-app 70,000-point t-SNE 1.04 s, after the WASM training part 1.01 s;
 *    each worker spends 31–50 ms before its first restart (module, memory, rows, norms), and the two end
 *    80–160 ms apart (0.90 / 1.02, 0.90 / 1.06, 0.90 / 0.98 s): the restart a worker takes last decides.
 *
 * Where a cold job's time goes (Chromium, the bench's two fresh workers claiming restarts, instrumented build,
 * 2026-12-06; the job 1.03–1.09 s uninstrumented): before its first restart a worker generates this module
 * (8–27 ms of cold JavaScript, 5–19 ms since the encoder joins its bytes by bulk copies; validating and compiling it
 * take 0.2–0.4 ms, since V8 compiles each function on its first call), copies the rows into fresh memory (8–14 ms), takes the row norms (5–6 ms) and the tolerance's
 * feature deviations (7–11 ms); its first seeding takes 28–38 ms against 16–20 ms for later ones (functions
 * compiled on first use, then optimised). A restart's first ten iterations take ~48 ms (~5 ms each, mostly dense
 * rows), iterations 11–20 ~1.8 ms each, later ones ~0.9 ms; the ten restarts ran 73–195 iterations (1,355 in
 * all). So even halves balanced to the millisecond would end at about the mean of the two workers' times, 0.98–1.01 s
 * in those runs, and generating the module at build time would save about 1% more.
 *
 * Everything a kernel touches lives in one WebAssembly memory per fit; the JavaScript side works on
 * typed-array views of the same memory (see {@link KMeansSimd.buffers}). A small header at address 0
 * holds the shape and the byte address of each array, so the kernels take few parameters.
 *
 * The module is generated from the TypeScript below by a small encoder ({@link ./encoder}: no binary
 * blob, no eval), specialised to the row type, D and K (fixed loop bounds, unrolled where that helps),
 * and compiled once per worker for each such combination.
 */

import { spanFactor } from '../kmeans-float32';
import { type FunctionWriter, instantiateKernels, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from './encoder';

/** How rows are stored: float32 when that is exact, float64 otherwise. */
export type RowType = 'f32' | 'f64';

/** Row storage as the JavaScript side sees it. */
export type RowStore = Float32Array | Float64Array;

/** What a module is generated for: the row type, and D and K, which the hot loops are unrolled for. */
export interface KernelSpec {
  readonly rowType: RowType;
  readonly d: number;
  readonly k: number;
}

/** Up to this K the assignment's K bounds are computed by straight-line code, above it by a loop. */
const MAX_UNROLLED_K = 64;

/** Quads (4 features) per step of a dot product's loop. */
const DOT_QUADS_PER_STEP = 4;

/** Features per step of the seeding's distance loop. */
const SEED_FEATURES_PER_STEP = 1;

/** Rows per step of the seeding's distance loop (a power of two ≥ 2). */
const SEED_ROWS_PER_STEP = 4;

/**
 * The assignment and the seeding's distances go over the rows in calls of this many (a multiple of four).
 * V8 first runs a function as quickly compiled baseline code and swaps in optimised code, compiled in
 * the background, for the next call: with one call per pass, the first — and heaviest — passes of a fit
 * ran entirely on baseline code (a tenth of a restart's instructions).
 */
const CALL_ROWS = 4096;

/** Rows per block of the assignment's two passes (the list of rows to walk fits in L1). */
export const ASSIGN_BLOCK = 512;

/** The share of a block's rows listed from which {@link assignsDensely} says yes, as [numerator, denominator]. */
const DENSE_SHARE = [1, 2] as const;

/**
 * Whether the assignment takes the `listed` rows of a block of `rows` densely — every row's distance
 * bounds on all K centres, without Elkan's decisions between them — rather than walking them: when at
 * least half the block failed the quick tests, as in the first iterations of a restart. A dense row
 * costs K distances but no mispredicted branch, and leaves every bound tight, so fewer rows fail later.
 * Measured on the reference latents (Node, one share of 5 restarts each, alternating runs): walking
 * every row 1.14–1.18 s and 0.98–1.07 s for the two shares; dense rows with one span after another
 * (~157 ns a row) from 3/4 of a block 1.04 / 0.92–0.93 s (from 1/2 about the same, from 1/4 slower than
 * walking); dense rows with paired spans and no branch per centre (~102 ns) from 3/4 0.92 / 0.83 s, from
 * 1/2 0.88–0.92 / 0.76–0.78 s, from 3/8 or 1/4 no better.
 */
export function assignsDensely(listed: number, rows: number): boolean {
  return listed * DENSE_SHARE[1] >= rows * DENSE_SHARE[0];
}


/** Header fields: i32 values at address 4 × index. Array fields hold byte addresses. */
const HEADER_FIELDS = [
  'n',
  'd',
  'k',
  /** N×D rows (float32 or float64). */
  'x',
  /** N: ‖x_i‖². */
  'xNorm',
  /** K×D centres. */
  'centres',
  /** K×D centres rounded to float32. */
  'centres32',
  /** K: ‖c_j‖². */
  'cNorm',
  /** K×K: half the centre-to-centre distances. */
  'halfCC',
  /** K: half the distance to the nearest other centre. */
  'halfGap',
  /** K: total distance each centre moved since the restart began. */
  'drift',
  /** N (i32). */
  'labels',
  'upperRel',
  /** N×K. */
  'lowerRel',
  'slackRel',
  /** K×D cluster sums. */
  'sums',
  /** K (i32). */
  'counts',
  /** 4×D: the seeding's candidate rows, float64, one after the other. */
  'candRows',
  /** D×4: the same, transposed (feature t of candidate m at t·4 + m). */
  'candCols',
  /** candRows and candCols as float32, for float32 rows. */
  'candRows32',
  'candCols32',
  /** trials×N: squared distances from every row to each candidate. */
  'candDist',
  /** N: the seeding's D(x)². */
  'dist2',
  /** N: running sums of dist2, which the seeding draws candidates from. */
  'cum',
  /** trials (≥ 4): each candidate's potential, Σ_i min(candDist, dist2). */
  'candPot',
  /** ASSIGN_BLOCK (i32): the rows of a block that the assignment walks. */
  'walk',
  /** K (f64): the assignment's bounds of one row on every centre. */
  'bounds',
  /** K (f64): a densely assigned row's upper bounds on its distance to every centre. */
  'spanHis',
  /** 2×D (f64): per-feature means, then per-feature sums of squared deviations (`featureDeviations`). */
  'moments',
] as const;
type HeaderField = (typeof HEADER_FIELDS)[number];

const HEADER_BYTES = HEADER_FIELDS.length * 4;

function headerOffset(field: HeaderField): number {
  return HEADER_FIELDS.indexOf(field) * 4;
}

const { i32, f64, v128 } = ValType;

/** Byte size of one stored row value. */
function rowBytes(rowType: RowType): number {
  return rowType === 'f32' ? 4 : 8;
}

/** Loads a header field into a fresh local. */
function headerLocal(w: FunctionWriter, field: HeaderField): Local {
  const l = w.local(i32);
  w.i32Const(0).i32Load(headerOffset(field)).set(l);
  return l;
}

/** Pops an address; pushes two consecutive values there as f64x2 (row values widened exactly). */
function loadPair(w: FunctionWriter, type: RowType, offset: number): void {
  if (type === 'f32') w.v128Load64Zero(offset).f64x2PromoteLowF32x4();
  else w.v128Load(offset);
}

/** Pops an address; pushes the value there as f64. */
function loadScalar(w: FunctionWriter, type: RowType, offset: number): void {
  if (type === 'f32') w.f32Load(offset).f64PromoteF32();
  else w.f64Load(offset);
}

/** Scratch locals for {@link emitDot}, declared once per function. */
interface DotScratch {
  p: Local;
  q: Local;
  end: Local;
  acc01: Local;
  acc23: Local;
}

function dotScratch(w: FunctionWriter): DotScratch {
  return { p: w.local(i32), q: w.local(i32), end: w.local(i32), acc01: w.local(v128), acc23: w.local(v128) };
}

/**
 * Pushes a·b over D values (a at byte address `a`, b at `b`, each of its own type), summed exactly as
 * kmeans-workspace.ts's `dot`: four partial sums s0…s3 over the features t ≡ 0…3 (mod 4) — here the lanes of
 * acc01 and acc23 — the leftover D mod 4 terms added to s0, and the result (s0 + s1) + (s2 + s3).
 */
function emitDot(w: FunctionWriter, s: DotScratch, a: Local, aType: RowType, b: Local, bType: RowType, spec: KernelSpec): void {
  const aSize = rowBytes(aType);
  const bSize = rowBytes(bType);
  const quads = spec.d >> 2;
  const blocks = Math.floor(quads / DOT_QUADS_PER_STEP);
  w.get(a).set(s.p);
  w.get(b).set(s.q);
  // Start from +0 as the JavaScript's `let s0 = 0` does (a first product of −0 must still give +0).
  w.f64x2Const(0).set(s.acc01);
  w.f64x2Const(0).set(s.acc23);
  /** acc01 += a[t…t+1]·b[t…t+1]; acc23 += a[t+2…t+3]·b[t+2…t+3] for t = 4·quad, relative to p and q. */
  const emitQuad = (quad: number): void => {
    for (const [acc, half] of [[s.acc01, 0], [s.acc23, 2]] as const) {
      w.get(acc);
      w.get(s.p);
      loadPair(w, aType, (4 * quad + half) * aSize);
      w.get(s.q);
      loadPair(w, bType, (4 * quad + half) * bSize);
      w.f64x2Mul().f64x2Add().set(acc);
    }
  };
  if (blocks > 0) {
    // A loop of DOT_QUADS_PER_STEP quads per step: fully unrolled code was slower, since V8 then keeps
    // one address per constant offset alive and spills them to the stack.
    w.get(a).i32Const(blocks * DOT_QUADS_PER_STEP * 4 * aSize).i32Add().set(s.end);
    const step = w.loop();
    for (let u = 0; u < DOT_QUADS_PER_STEP; u++) emitQuad(u);
    w.get(s.p).i32Const(DOT_QUADS_PER_STEP * 4 * aSize).i32Add().tee(s.p);
    w.get(s.q).i32Const(DOT_QUADS_PER_STEP * 4 * bSize).i32Add().set(s.q);
    w.get(s.end).i32LtU().brIf(step);
    w.end(step);
  }
  for (let u = 0; u < quads - blocks * DOT_QUADS_PER_STEP; u++) emitQuad(u);
  const tailStart = (quads - blocks * DOT_QUADS_PER_STEP) * 4;
  w.get(s.acc01).f64x2ExtractLane(0);
  for (let t = 0; t < (spec.d & 3); t++) {
    w.get(s.p);
    loadScalar(w, aType, (tailStart + t) * aSize);
    w.get(s.q);
    loadScalar(w, bType, (tailStart + t) * bSize);
    w.f64Mul().f64Add();
  }
  w.get(s.acc01).f64x2ExtractLane(1).f64Add();
  w.get(s.acc23).f64x2ExtractLane(0).get(s.acc23).f64x2ExtractLane(1).f64Add();
  w.f64Add();
}

/**
 * Pushes a·b over D float32 values in float32 arithmetic (a float32 row at byte address `a`, float32 b at
 * `b`), summed exactly as kmeans-workspace.ts's `dot32`: the lanes of one f32x4 accumulator are its s0…s3,
 * the leftover D mod 4 terms go to s0, the result is (s0 + s1) + (s2 + s3), widened to f64.
 */
function emitDot32(w: FunctionWriter, s: DotScratch, a: Local, b: Local, spec: KernelSpec): void {
  const quads = spec.d >> 2;
  const blocks = Math.floor(quads / DOT_QUADS_PER_STEP);
  w.get(a).set(s.p);
  w.get(b).set(s.q);
  w.f64x2Const(0).set(s.acc01);
  const emitQuad = (quad: number): void => {
    w.get(s.acc01);
    w.get(s.p).v128Load(16 * quad);
    w.get(s.q).v128Load(16 * quad);
    w.f32x4Mul().f32x4Add().set(s.acc01);
  };
  if (blocks > 0) {
    w.get(a).i32Const(blocks * DOT_QUADS_PER_STEP * 16).i32Add().set(s.end);
    const step = w.loop();
    for (let u = 0; u < DOT_QUADS_PER_STEP; u++) emitQuad(u);
    w.get(s.p).i32Const(DOT_QUADS_PER_STEP * 16).i32Add().tee(s.p);
    w.get(s.q).i32Const(DOT_QUADS_PER_STEP * 16).i32Add().set(s.q);
    w.get(s.end).i32LtU().brIf(step);
    w.end(step);
  }
  for (let u = 0; u < quads - blocks * DOT_QUADS_PER_STEP; u++) emitQuad(u);
  const tailStart = (quads - blocks * DOT_QUADS_PER_STEP) * 4;
  w.get(s.acc01).f32x4ExtractLane(0);
  for (let t = 0; t < (spec.d & 3); t++) {
    w.get(s.p).f32Load((tailStart + t) * 4);
    w.get(s.q).f32Load((tailStart + t) * 4);
    w.f32Mul().f32Add();
  }
  w.get(s.acc01).f32x4ExtractLane(1).f32Add();
  w.get(s.acc01).f32x4ExtractLane(2).get(s.acc01).f32x4ExtractLane(3).f32Add();
  w.f32Add().f64PromoteF32();
}

/** Pops an f64 s; pushes `s > 0 ? sqrt(s) : 0` (kmeans-workspace.ts's distFromParts after its addition). */
function emitSqrtOrZero(w: FunctionWriter, tmp: Local): void {
  w.tee(tmp).f64Sqrt().f64Const(0).get(tmp).f64Const(0).f64Gt().select();
}

/** Pops b, a (f64); pushes `a > b ? a : b` (not f64.max, whose signed zeros differ from the JS). */
function emitGreater(w: FunctionWriter, a: Local, b: Local): void {
  w.set(b).set(a);
  w.get(a).get(b).get(a).get(b).f64Gt().select();
}

/**
 * The end of {@link emitBounds}: out = the smaller lane of pairMin, then, for an odd K, the last
 * centre's bound (the same pmax/pmin on splatted scalars) stored and taken into out.
 */
function emitPairMinAndOddLast(w: FunctionWriter, s: BoundScratch, lo: Local, drift: Local, bounds: Local, out: Local, spec: KernelSpec): void {
  emitSmallerLane(w, s.pairMin, out);
  if (spec.k % 2 === 1) {
    const last = (spec.k - 1) * 8;
    w.get(bounds);
    w.get(s.hrow).f64Load(last).f64x2Splat();
    w.get(lo).f64Load(last).get(drift).f64Load(last).f64Sub().f64x2Splat();
    w.f64x2Pmax().f64x2ExtractLane(0).f64Store(last);
    w.get(out).f64x2Splat();
    w.get(bounds).f64Load(last).f64x2Splat();
    w.f64x2Pmin().f64x2ExtractLane(0).set(out);
  }
}

/** Scratch locals for {@link emitBounds}. */
interface BoundScratch {
  hrow: Local;
  jj: Local;
  pairEnd: Local;
  pair: Local;
  pairMin: Local;
}

function boundScratch(w: FunctionWriter): BoundScratch {
  return { hrow: w.local(i32), jj: w.local(i32), pairEnd: w.local(i32), pair: w.local(v128), pairMin: w.local(v128) };
}

/**
 * Row i's bound on every centre j given that its own centre is `a`:
 *   bounds[j] = max(lowerRel[lo + j] − drift[j], halfCC[a·K + j])
 * — the number the JavaScript walk compares u with — stored at byte address `bounds`, and their minimum
 * into `out`. halfCC's diagonal is +∞, so bounds[a] = +∞ drops out of the minimum and never passes a
 * test, as the JavaScript's `if (j === a) continue` has it. Two centres per f64x2 (pmax and pmin are
 * exactly `l > h ? l : h` and `b < m ? b : m`), an odd last one alone; the minimum of the same numbers
 * is the same in any order. `lo`, `drift`, `halfCC`, `bounds` are byte addresses.
 */
function emitBounds(
  w: FunctionWriter,
  s: BoundScratch,
  lo: Local,
  drift: Local,
  halfCC: Local,
  bounds: Local,
  a: Local,
  out: Local,
  spec: KernelSpec,
): void {
  w.get(halfCC).get(a).i32Const(spec.k * 8).i32Mul().i32Add().set(s.hrow);
  w.f64x2Const(Infinity).set(s.pairMin);
  if (spec.k <= MAX_UNROLLED_K) {
    // Straight-line for the K fixed at generation time: no loop counter, no per-pair branch.
    for (let jj = 0; jj + 2 <= spec.k; jj += 2) {
      w.get(s.hrow).v128Load(jj * 8);
      w.get(lo).v128Load(jj * 8);
      w.get(drift).v128Load(jj * 8);
      w.f64x2Sub().f64x2Pmax().set(s.pair);
      w.get(bounds).get(s.pair).v128Store(jj * 8);
      w.get(s.pairMin).get(s.pair).f64x2Pmin().set(s.pairMin);
    }
    emitPairMinAndOddLast(w, s, lo, drift, bounds, out, spec);
    return;
  }
  // Above MAX_UNROLLED_K, a loop over the pairs.
  w.i32Const(0).set(s.jj);
  w.i32Const((spec.k & ~1) * 8).set(s.pairEnd);
  const pairs = forLoopU(w, s.jj, s.pairEnd);
  // pair = pmax(h, l); bounds[jj…jj+1] = pair; pairMin = pmin(pairMin, pair)
  w.get(s.hrow).get(s.jj).i32Add().v128Load();
  w.get(lo).get(s.jj).i32Add().v128Load();
  w.get(drift).get(s.jj).i32Add().v128Load();
  w.f64x2Sub().f64x2Pmax().set(s.pair);
  w.get(bounds).get(s.jj).i32Add().get(s.pair).v128Store();
  w.get(s.pairMin).get(s.pair).f64x2Pmin().set(s.pairMin);
  bump(w, s.jj, 16);
  pairs.close();
  emitPairMinAndOddLast(w, s, lo, drift, bounds, out, spec);
}

/** out = lane1 < lane0 ? lane1 : lane0, for the f64x2 in `pair`. */
function emitSmallerLane(w: FunctionWriter, pair: Local, out: Local): void {
  w.get(pair).f64x2ExtractLane(1).get(pair).f64x2ExtractLane(0);
  w.get(pair).f64x2ExtractLane(1).get(pair).f64x2ExtractLane(0).f64Lt().select().set(out);
}

/** out = the smallest of the K f64 at byte address `values` (pmin over pairs, an odd last one alone). */
function emitMinimum(w: FunctionWriter, s: BoundScratch, values: Local, out: Local, spec: KernelSpec): void {
  w.f64x2Const(Infinity).set(s.pairMin);
  for (let jj = 0; jj + 2 <= spec.k; jj += 2) w.get(s.pairMin).get(values).v128Load(jj * 8).f64x2Pmin().set(s.pairMin);
  emitSmallerLane(w, s.pairMin, out);
  if (spec.k % 2 === 1) {
    w.get(values).f64Load((spec.k - 1) * 8).get(out);
    w.get(values).f64Load((spec.k - 1) * 8).get(out).f64Lt().select().set(out);
  }
}

/** out = how many of the K f64 at byte address `values` are ≤ `limit` (a compare and a bitmask per pair). */
function emitCountAtMost(w: FunctionWriter, s: BoundScratch, values: Local, limit: Local, out: Local, spec: KernelSpec): void {
  w.get(limit).f64x2Splat().set(s.pair);
  w.i32Const(0).set(out);
  for (let jj = 0; jj + 2 <= spec.k; jj += 2) {
    w.get(out).get(values).v128Load(jj * 8).get(s.pair).f64x2Le().i64x2Bitmask().i32Popcnt().i32Add().set(out);
  }
  if (spec.k % 2 === 1) w.get(out).get(values).f64Load((spec.k - 1) * 8).get(limit).f64Le().i32Add().set(out);
}

/** `counter += step` for an i32 local. */
function bump(w: FunctionWriter, counter: Local, step: number | Local): void {
  w.get(counter);
  if (typeof step === 'number') w.i32Const(step);
  else w.get(step);
  w.i32Add().set(counter);
}

/**
 * `assign(maxDrift, rowStart, rowEnd) → changes`: kmeans-workspace.ts's `LloydWorkspace.assign` over
 * rows [rowStart, rowEnd), including `refreshSlack` and `moveRow` for rows that change cluster; see that
 * class for what the bounds and slacks mean. Every distance it computes, every bound it writes and every
 * label it picks is the JavaScript's.
 *
 * Rows go in blocks of ASSIGN_BLOCK. Pass 1 lists the rows of the block that fail the two quick tests
 * (slack, half-gap), two rows at a time and without branches. Pass 2 takes the listed rows densely when
 * {@link assignsDensely} says so (the JavaScript's `assignDensely`: span to every centre, the smallest
 * upper bound wins unless another lower bound reaches it, then exact distances decide). Otherwise it
 * walks them: it computes all K bounds of the row at once (SIMD,
 * into a scratch array), which settles most rows without the per-centre loop — when u is below every
 * bound, or when the exact distance to the own centre is — and otherwise runs the JavaScript's loop over
 * the centres on the precomputed bounds, recomputing them after the row's centre changes. Pass 2 only
 * changes the walked row's own bounds and label, which pass 1 of later rows never reads, and the sums,
 * which no test reads, so the decisions are those of the single JavaScript loop.
 */
function writeAssign(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('assign', [f64, i32, i32], [i32]);
  const [maxDrift, rowStart, rowEnd] = w.params;
  const d = headerLocal(w, 'd');
  const k = headerLocal(w, 'k');
  const x = headerLocal(w, 'x');
  const xNorm = headerLocal(w, 'xNorm');
  const centres = headerLocal(w, 'centres');
  const centres32 = headerLocal(w, 'centres32');
  const cNorm = headerLocal(w, 'cNorm');
  const halfCC = headerLocal(w, 'halfCC');
  const halfGap = headerLocal(w, 'halfGap');
  const drift = headerLocal(w, 'drift');
  const labels = headerLocal(w, 'labels');
  const upperRel = headerLocal(w, 'upperRel');
  const lowerRel = headerLocal(w, 'lowerRel');
  const slackRel = headerLocal(w, 'slackRel');
  const sums = headerLocal(w, 'sums');
  const counts = headerLocal(w, 'counts');
  const walk = headerLocal(w, 'walk');
  const bounds = headerLocal(w, 'bounds');
  const spanHis = headerLocal(w, 'spanHis');
  const dot = dotScratch(w);
  const bs = boundScratch(w);

  const blockStart = w.local(i32);
  const blockEnd = w.local(i32);
  const count = w.local(i32); // rows listed for pass 2
  const q = w.local(i32); // position in the list
  const i = w.local(i32);
  const changes = w.local(i32);
  const a0 = w.local(i32); // label before the walk
  const a1 = w.local(i32); // pass 1: label of the second row of a pair
  const a = w.local(i32); // label during the walk
  const pairsEnd = w.local(i32); // pass 1: end of the rows taken in pairs
  const settled = w.local(i32); // pass 1: bit r set when row i + r is settled
  const daPair = w.local(v128);
  const maxDriftPair = w.local(v128);
  const j = w.local(i32);
  const tight = w.local(i32);
  const row = w.local(i32); // byte address of row i
  const lo = w.local(i32); // byte address of row i's K lower bounds
  const centre = w.local(i32); // byte address of the centre a dot product is taken with
  const stride = w.local(i32); // bytes per row
  const centreStride = w.local(i32); // bytes per centre (and per row of sums)
  const da = w.local(f64);
  const u = w.local(f64); // upper bound on the distance to centre a
  const uLo = w.local(f64); // lower bound on it, once tight
  const uTightLo = w.local(f64); // bounds on the distance to the own centre
  const uTightHi = w.local(f64);
  const spanLo = w.local(f64); // span's result
  const spanHi = w.local(f64);
  const djLo = w.local(f64);
  const spanS = w.local(f64); // span's approximate squared distance and its error bound
  const spanErr = w.local(f64);
  const nearest = w.local(i32); // refreshNearest: centre with the smallest bound, and that bound
  const smallest = w.local(f64);
  const closer = w.local(i32);
  const xn = w.local(f64);
  const minAll = w.local(f64); // smallest bound over the other centres
  const minBound = w.local(f64);
  const bound = w.local(f64);
  const tmp = w.local(f64);
  const tmp2 = w.local(f64);
  const from = w.local(i32);
  const to = w.local(i32);
  const end = w.local(i32);
  const p = w.local(i32);

  w.get(d).i32Const(rowBytes(rowType)).i32Mul().set(stride);
  w.get(d).i32Const(3).i32Shl().set(centreStride);
  w.get(maxDrift).f64x2Splat().set(maxDriftPair);

  /** Pushes the f64 at base + index·8. */
  const loadF64At = (base: Local, index: Local): void => {
    w.get(base).get(index).i32Const(3).i32Shl().i32Add().f64Load();
  };
  /** Pushes the address base + index·8. */
  const addressF64 = (base: Local, index: Local): void => {
    w.get(base).get(index).i32Const(3).i32Shl().i32Add();
  };
  /** `if (b < minBound) minBound = b` for the f64 in local `b`. */
  const lowerMinBound = (b: Local): void => {
    w.get(b).get(minBound).get(b).get(minBound).f64Lt().select().set(minBound);
  };
  /** Pushes distFromParts(xn, cNorm[c] − 2·(x_i · c_c)) for the centre index in local `c`. */
  const distanceTo = (c: Local): void => {
    w.get(centres).get(c).get(centreStride).i32Mul().i32Add().set(centre);
    w.get(xn);
    loadF64At(cNorm, c);
    w.f64Const(2);
    emitDot(w, dot, row, rowType, centre, 'f64', spec);
    w.f64Mul().f64Sub().f64Add();
    emitSqrtOrZero(w, tmp);
  };
  /**
   * spanLo, spanHi = kmeans-workspace.ts's `span(i, c)`: for float32 rows bounds from the float32 dot
   * product, s = xn + (cNorm[c] − 2·dot32), E = spanFactor(D)·(xn + cNorm[c]), distFromParts(s, ∓E);
   * for float64 rows the exact distance, twice.
   */
  const span = (c: Local): void => {
    if (rowType === 'f64') {
      distanceTo(c);
      w.tee(spanLo).set(spanHi);
      return;
    }
    w.get(centres32).get(c).get(d).i32Const(2).i32Shl().i32Mul().i32Add().set(centre);
    w.get(xn);
    loadF64At(cNorm, c);
    w.f64Const(2);
    emitDot32(w, dot, row, centre, spec);
    w.f64Mul().f64Sub().f64Add().set(spanS);
    w.f64Const(spanFactor(spec.d)).get(xn);
    loadF64At(cNorm, c);
    w.f64Add().f64Mul().set(spanErr);
    w.get(spanS).get(spanErr).f64Sub();
    emitSqrtOrZero(w, tmp);
    w.set(spanLo);
    w.get(spanS).get(spanErr).f64Add();
    emitSqrtOrZero(w, tmp);
    w.set(spanHi);
  };
  /**
   * kmeans-workspace.ts's `refreshNearest` for own centre `own`, with `bounds` and `minOut` holding the
   * row's fresh bounds and their minimum: the first centre with the smallest bound; when its bound is
   * its lower bound (l > h), that lower bound is recomputed, and the bounds and minOut with it.
   */
  const refreshNearest = (own: Local, minOut: Local): void => {
    w.i32Const(-1).set(nearest);
    w.f64Const(Infinity).set(smallest);
    w.i32Const(0).set(j);
    const scanBounds = whileLess(w, j, k);
    loadF64At(bounds, j);
    w.tee(bound).get(smallest).f64Lt();
    const smaller = w.if_();
    w.get(bound).set(smallest);
    w.get(j).set(nearest);
    w.end(smaller);
    bump(w, j, 1);
    scanBounds.close();
    w.get(nearest).i32Const(0).i32GeS();
    const found = w.if_();
    {
      // stale: lowerRel[lo + nearest] − drift[nearest] > halfCC[own·K + nearest]
      loadF64At(lo, nearest);
      loadF64At(drift, nearest);
      w.f64Sub();
      w.get(halfCC).get(own).get(k).i32Mul().get(nearest).i32Add().i32Const(3).i32Shl().i32Add().f64Load();
      w.f64Gt();
      const stale = w.if_();
      span(nearest);
      addressF64(lo, nearest);
      w.get(spanLo);
      loadF64At(drift, nearest);
      w.f64Add().f64Store();
      emitBounds(w, bs, lo, drift, halfCC, bounds, own, minOut, spec);
      w.end(stale);
    }
    w.end(found);
  };
  /** slackRel[i] = value − uValue + da + maxDrift, as `minBound − u + da + maxDrift` in JavaScript. */
  const storeSlack = (value: Local, uValue: Local): void => {
    addressF64(slackRel, i);
    w.get(value).get(uValue).f64Sub().get(da).f64Add().get(maxDrift).f64Add();
    w.f64Store();
  };

  // The paired spans need float32 rows, and D a multiple of 4 (no leftover features to add to s0).
  const pairedSpans = rowType === 'f32' && spec.d % 4 === 0;
  const pairEnd = w.local(i32);
  const accB = w.local(v128);
  const pairS = w.local(v128);
  const pairErr = w.local(v128);
  /**
   * span(i, j) and span(i, j + 1) into bounds[j…j+1] and spanHis[j…j+1]: the two float32 dot products as
   * `dot32` sums them (the lanes of one f32x4 accumulator each, then (s0 + s1) + (s2 + s3), shuffled so
   * that both pairs add at once), then s, E and the two square roots per lane, with f64x2 operations that
   * round as the scalar ones do (half the square-root instructions, which dominated a dense row).
   */
  const spanPair = (): void => {
    const quads = spec.d >> 2;
    const centreBytes = spec.d * 4;
    w.get(centres32).get(j).i32Const(centreBytes).i32Mul().i32Add().set(centre);
    w.get(row).set(dot.p);
    w.get(centre).set(dot.q);
    w.f64x2Const(0).set(dot.acc01);
    w.f64x2Const(0).set(accB);
    const emitQuad = (quad: number): void => {
      w.get(dot.p).v128Load(16 * quad).set(dot.acc23);
      w.get(dot.acc01).get(dot.acc23).get(dot.q).v128Load(16 * quad).f32x4Mul().f32x4Add().set(dot.acc01);
      w.get(accB).get(dot.acc23).get(dot.q).v128Load(centreBytes + 16 * quad).f32x4Mul().f32x4Add().set(accB);
    };
    const blocks = Math.floor(quads / DOT_QUADS_PER_STEP);
    if (blocks > 0) {
      w.get(row).i32Const(blocks * DOT_QUADS_PER_STEP * 16).i32Add().set(dot.end);
      const step = w.loop();
      for (let u = 0; u < DOT_QUADS_PER_STEP; u++) emitQuad(u);
      w.get(dot.p).i32Const(DOT_QUADS_PER_STEP * 16).i32Add().tee(dot.p);
      w.get(dot.q).i32Const(DOT_QUADS_PER_STEP * 16).i32Add().set(dot.q);
      w.get(dot.end).i32LtU().brIf(step);
      w.end(step);
    }
    for (let u = 0; u < quads - blocks * DOT_QUADS_PER_STEP; u++) emitQuad(u);
    // [A0 + A1, A2 + A3, B0 + B1, B2 + B3], then [(A0 + A1) + (A2 + A3), (B0 + B1) + (B2 + B3), …].
    const lanes = (picks: number[]): number[] => picks.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]);
    w.get(dot.acc01).get(accB).i8x16Shuffle(lanes([0, 2, 4, 6]));
    w.get(dot.acc01).get(accB).i8x16Shuffle(lanes([1, 3, 5, 7]));
    w.f32x4Add().set(dot.acc01);
    w.get(dot.acc01).get(dot.acc01).i8x16Shuffle(lanes([0, 2, 0, 2]));
    w.get(dot.acc01).get(dot.acc01).i8x16Shuffle(lanes([1, 3, 1, 3]));
    w.f32x4Add().f64x2PromoteLowF32x4().set(dot.acc23);
    // s = xn + (cNorm − 2·dot); E = spanFactor·(xn + cNorm)
    w.get(xn).f64x2Splat();
    w.get(cNorm).get(j).i32Const(3).i32Shl().i32Add().v128Load();
    w.f64x2Const(2).get(dot.acc23).f64x2Mul();
    w.f64x2Sub().f64x2Add().set(pairS);
    w.f64x2Const(spanFactor(spec.d));
    w.get(xn).f64x2Splat();
    w.get(cNorm).get(j).i32Const(3).i32Shl().i32Add().v128Load();
    w.f64x2Add().f64x2Mul().set(pairErr);
    // bounds = distFromParts(s, −E) = sqrt(s − E > 0 ? s − E : 0); spanHis likewise with s + E.
    w.get(bounds).get(j).i32Const(3).i32Shl().i32Add();
    w.f64x2Const(0).get(pairS).get(pairErr).f64x2Sub().f64x2Pmax().f64x2Sqrt();
    w.v128Store();
    w.get(spanHis).get(j).i32Const(3).i32Shl().i32Add();
    w.f64x2Const(0).get(pairS).get(pairErr).f64x2Add().f64x2Pmax().f64x2Sqrt();
    w.v128Store();
  };

  /**
   * refreshSlack(i): slackRel[i] = min over j ≠ a of the bounds against a, − upperRel[i] + maxDrift,
   * the bounds recomputed from lowerRel (upperRel[i] must be stored already).
   */
  const refreshSlack = (): void => {
    emitBounds(w, bs, lo, drift, halfCC, bounds, a, minBound, spec);
    addressF64(slackRel, i);
    w.get(minBound);
    loadF64At(upperRel, i);
    w.f64Sub().get(maxDrift).f64Add();
    w.f64Store();
  };
  /** labels[i] = a, changes++, and moveRow: counts[a0]−−, counts[a]++, sums[a0] −= x_i, sums[a] += x_i. */
  const relabel = (): void => {
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().get(a).i32Store();
    bump(w, changes, 1);
    w.get(counts).get(a0).i32Const(2).i32Shl().i32Add().tee(p);
    w.get(p).i32Load().i32Const(1).i32Sub().i32Store();
    w.get(counts).get(a).i32Const(2).i32Shl().i32Add().tee(p);
    w.get(p).i32Load().i32Const(1).i32Add().i32Store();
    w.get(sums).get(a0).get(centreStride).i32Mul().i32Add().set(from);
    w.get(sums).get(a).get(centreStride).i32Mul().i32Add().set(to);
    emitMoveRow(w, rowType, row, from, to, d, p, end);
  };

  w.get(rowStart).set(blockStart);
  const blocks = whileLess(w, blockStart, rowEnd);
  // blockEnd = min(blockStart + ASSIGN_BLOCK, rowEnd)
  w.get(blockStart).i32Const(ASSIGN_BLOCK).i32Add().tee(blockEnd);
  w.get(rowEnd).get(blockEnd).get(rowEnd).i32LtS().select().set(blockEnd);

  // Pass 1, without branches (about half the rows are listed, in no pattern a predictor could learn):
  // a row is written at the end of the list, which grows by one unless a test settles the row. The
  // tests are the JavaScript's, slack not yet used up or closer than half the gap to the nearest other
  // centre, done for two rows at a time.
  w.i32Const(0).set(count);
  w.get(blockStart).set(i);
  w.get(blockStart).get(blockEnd).get(blockStart).i32Sub().i32Const(-2).i32And().i32Add().set(pairsEnd);
  /** Pushes an f64x2 of table[a0], table[a1] (f64 tables indexed by the two rows' labels). */
  const gather = (table: Local): void => {
    loadF64At(table, a0);
    w.f64x2Splat();
    loadF64At(table, a1);
    w.f64x2ReplaceLane(1);
  };
  /** walk[count] = row; count += 1 − bit. */
  const append = (rowIndex: () => void, settledBit: () => void): void => {
    w.get(walk).get(count).i32Const(2).i32Shl().i32Add();
    rowIndex();
    w.i32Store();
    w.get(count).i32Const(1).i32Add();
    settledBit();
    w.i32Sub().set(count);
  };
  const scan = whileLess(w, i, pairsEnd);
  {
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().tee(p).i32Load().set(a0);
    w.get(p).i32Load(4).set(a1);
    gather(drift);
    w.set(daPair);
    // settled = (slackRel − da ≥ maxDrift) | (upperRel + da ≤ halfGap[a]), per lane
    addressF64(slackRel, i);
    w.v128Load().get(daPair).f64x2Sub().get(maxDriftPair).f64x2Ge();
    addressF64(upperRel, i);
    w.v128Load().get(daPair).f64x2Add();
    gather(halfGap);
    w.f64x2Le().v128Or().i64x2Bitmask().set(settled);
    append(() => w.get(i), () => w.get(settled).i32Const(1).i32And());
    append(() => w.get(i).i32Const(1).i32Add(), () => w.get(settled).i32Const(1).i32ShrU());
    bump(w, i, 2);
  }
  scan.close();
  // An odd last row of the block, alone.
  w.get(i).get(blockEnd).i32LtS();
  const lastRow = w.if_();
  {
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().set(a0);
    loadF64At(drift, a0);
    w.set(da);
    append(
      () => w.get(i),
      () => {
        loadF64At(slackRel, i);
        w.get(da).f64Sub().get(maxDrift).f64Ge();
        loadF64At(upperRel, i);
        w.get(da).f64Add();
        loadF64At(halfGap, a0);
        w.f64Le();
        w.i32Or();
      },
    );
  }
  w.end(lastRow);

  // Pass 2, dense: when at least half the block is listed (the first iterations of a restart), every
  // listed row gets its bounds on all K centres, one after the other without a decision between them.
  // assignsDensely(count, blockEnd − blockStart)
  w.get(count).i32Const(DENSE_SHARE[1]).i32Mul().get(blockEnd).get(blockStart).i32Sub().i32Const(DENSE_SHARE[0]).i32Mul().i32GeS();
  const dense = w.if_();
  w.i32Const(0).set(q);
  const denseRows = whileLess(w, q, count);
  {
    w.get(walk).get(q).i32Const(2).i32Shl().i32Add().i32Load().set(i);
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().set(a0);
    w.get(x).get(i).get(stride).i32Mul().i32Add().set(row);
    loadF64At(xNorm, i);
    w.set(xn);
    w.get(lowerRel).get(i).i32Const(spec.k * 8).i32Mul().i32Add().set(lo);
    // bounds[j], spanHis[j] = span(i, j); a = the first centre with the smallest upper bound, u that bound.
    w.i32Const(0).set(j);
    if (pairedSpans) {
      w.i32Const(spec.k & ~1).set(pairEnd);
      const pairs = whileLess(w, j, pairEnd);
      spanPair();
      bump(w, j, 2);
      pairs.close();
    }
    const spans = whileLess(w, j, k);
    span(j);
    addressF64(bounds, j);
    w.get(spanLo).f64Store();
    addressF64(spanHis, j);
    w.get(spanHi).f64Store();
    bump(w, j, 1);
    spans.close();
    // u = the smallest upper bound, taken without a branch per centre (the minimum of the same numbers
    // in any order); a = the first centre that has it, as the JavaScript's strict `<` scan finds.
    emitMinimum(w, bs, spanHis, u, spec);
    w.i32Const(0).set(a);
    const seek = w.block();
    const next = w.loop();
    loadF64At(spanHis, a);
    w.get(u).f64Eq().brIf(seek);
    bump(w, a, 1);
    w.br(next);
    w.end(next);
    w.end(seek);
    // Another centre whose lower bound is not above u may be as near (a's own lower bound always is, as
    // lo ≤ hi): the exact distances of all such centres and of a decide, the lower index winning ties.
    emitCountAtMost(w, bs, bounds, u, closer, spec);
    w.get(closer).i32Const(1).i32GtS();
    const ambiguous = w.if_();
    {
      w.get(a).set(nearest);
      w.f64Const(Infinity).set(smallest);
      w.i32Const(0).set(j);
      const exact = whileLess(w, j, k);
      loadF64At(bounds, j);
      w.get(u).f64Le().get(j).get(nearest).i32Eq().i32Or();
      const inPlay = w.if_();
      distanceTo(j);
      w.set(djLo);
      addressF64(bounds, j);
      w.get(djLo).f64Store();
      addressF64(spanHis, j);
      w.get(djLo).f64Store();
      w.get(djLo).get(smallest).f64Lt();
      const nearer = w.if_();
      w.get(djLo).set(smallest);
      w.get(j).set(a);
      w.end(nearer);
      w.end(inPlay);
      bump(w, j, 1);
      exact.close();
    }
    w.end(ambiguous);
    // lowerRel[lo + j] = bounds[j] + drift[j]; upperRel[i] = spanHis[a] − drift[a]
    w.i32Const(0).set(j);
    const store = whileLess(w, j, k);
    addressF64(lo, j);
    loadF64At(bounds, j);
    loadF64At(drift, j);
    w.f64Add().f64Store();
    bump(w, j, 1);
    store.close();
    addressF64(upperRel, i);
    loadF64At(spanHis, a);
    loadF64At(drift, a);
    w.f64Sub().f64Store();
    refreshSlack();
    w.get(a).get(a0).i32Ne();
    const moved = w.if_();
    relabel();
    w.end(moved);
    bump(w, q, 1);
  }
  denseRows.close();
  w.else_(dense);

  // Pass 2.
  w.i32Const(0).set(q);
  const rows = whileLess(w, q, count);
  const walked = w.block();
  {
    w.get(walk).get(q).i32Const(2).i32Shl().i32Add().i32Load().set(i);
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().set(a0);
    loadF64At(drift, a0);
    w.set(da);
    w.get(a0).set(a);
    loadF64At(upperRel, i);
    w.get(da).f64Add().set(u);
    w.get(lowerRel).get(i).i32Const(spec.k * 8).i32Mul().i32Add().set(lo);
    emitBounds(w, bs, lo, drift, halfCC, bounds, a0, minAll, spec);

    // u below every bound: the JavaScript walk rules every centre out and computes no distance.
    w.get(u).get(minAll).f64Le();
    const looseHolds = w.if_();
    storeSlack(minAll, u);
    w.br(walked);
    w.end(looseHolds);

    // Otherwise the walk tightens u at the first centre it cannot rule out; do that now.
    w.get(x).get(i).get(stride).i32Mul().i32Add().set(row);
    loadF64At(xNorm, i);
    w.set(xn);
    span(a0);
    w.get(spanLo).set(uTightLo);
    w.get(spanHi).set(uTightHi);
    // lowerRel[lo + a0] = uTightLo + drift[a0]
    addressF64(lo, a0);
    w.get(uTightLo).get(da).f64Add().f64Store();
    // The tightened upper bound below every bound: no other distance, and the label stays.
    w.get(uTightHi).get(minAll).f64Le();
    const tightHolds = w.if_();
    addressF64(upperRel, i);
    w.get(uTightHi).get(da).f64Sub().f64Store();
    refreshNearest(a0, minAll);
    storeSlack(minAll, uTightHi);
    w.br(walked);
    w.end(tightHolds);

    // The JavaScript walk itself, on the precomputed bounds.
    w.i32Const(0).set(tight);
    w.f64Const(Infinity).set(minBound);
    w.i32Const(0).set(j);
    const centresLoop = whileLess(w, j, k);
    const nextCentre = w.block();
    {
      loadF64At(bounds, j);
      w.set(bound);
      /** `if (u <= bound) { minBound = min(minBound, bound); continue }` */
      const ruledOut = (): void => {
        w.get(u).get(bound).f64Le();
        const yes = w.if_();
        lowerMinBound(bound);
        w.br(nextCentre);
        w.end(yes);
      };
      ruledOut();
      // The upper bound may just be loose: tighten it once (computed and stored above), then retest.
      w.get(tight).i32Eqz();
      const loose = w.if_();
      w.get(uTightHi).set(u);
      w.get(uTightLo).set(uLo);
      w.i32Const(1).set(tight);
      ruledOut();
      w.end(loose);
      span(j);
      w.get(spanLo).set(djLo);
      // closer: centre j's upper bound below centre a's lower bound; not: its lower bound above a's
      // upper one; overlapping: the exact distances, ties to the lower index as in scikit-learn.
      w.get(spanHi).get(uLo).f64Lt();
      const surelyCloser = w.if_();
      w.i32Const(1).set(closer);
      w.else_(surelyCloser);
      {
        w.get(djLo).get(u).f64Gt();
        const surelyFarther = w.if_();
        w.i32Const(0).set(closer);
        w.else_(surelyFarther);
        {
          distanceTo(a);
          w.tee(u).set(uLo);
          distanceTo(j);
          w.tee(djLo).set(spanHi);
          // dj < ua || (dj === ua && j < a)
          w.get(djLo).get(u).f64Lt();
          w.get(djLo).get(u).f64Eq().get(j).get(a).i32LtS().i32And();
          w.i32Or().set(closer);
        }
        w.end(surelyFarther);
      }
      w.end(surelyCloser);
      addressF64(lo, j);
      w.get(djLo);
      loadF64At(drift, j);
      w.f64Add().f64Store();
      w.get(closer);
      const becameCloser = w.if_();
      {
        w.get(j).set(a);
        w.get(djLo).set(uLo);
        w.get(spanHi).set(u);
        // The bounds of the centres still to visit, against the new own centre.
        emitBounds(w, bs, lo, drift, halfCC, bounds, a, tmp, spec);
      }
      w.else_(becameCloser);
      {
        // minBound = min(minBound, max(djLo, halfCC[a·K + j]))
        w.get(djLo);
        w.get(halfCC).get(a).get(k).i32Mul().get(j).i32Add().i32Const(3).i32Shl().i32Add().f64Load();
        emitGreater(w, tmp, tmp2);
        w.set(bound);
        lowerMinBound(bound);
      }
      w.end(becameCloser);
    }
    w.end(nextCentre);
    bump(w, j, 1);
    centresLoop.close();

    // The walk always tightened u: upperRel[i] = u − drift[a]
    addressF64(upperRel, i);
    w.get(u);
    loadF64At(drift, a);
    w.f64Sub().f64Store();

    w.get(a).get(a0).i32Eq();
    const kept = w.if_();
    // The walk changed lower bounds since the bounds were computed: recompute them first.
    emitBounds(w, bs, lo, drift, halfCC, bounds, a, minBound, spec);
    refreshNearest(a, minBound);
    storeSlack(minBound, u);
    w.else_(kept);
    {
      // The bounds were recomputed when a last changed, and only lowerRel entries of centres visited
      // after that have changed since: refreshSlack recomputes them.
      refreshSlack();
      relabel();
    }
    w.end(kept);
  }
  w.end(walked);
  bump(w, q, 1);
  rows.close();
  w.end(dense);

  w.get(blockEnd).set(blockStart);
  blocks.close();
  w.get(changes);
}

/**
 * sums at `from` −= row, sums at `to` += row, over D values, two at a time (element-wise, so exactly
 * the scalar result). Advances `from` and `to`; `p`, `end` are scratch.
 */
function emitMoveRow(w: FunctionWriter, rowType: RowType, row: Local, from: Local, to: Local, d: Local, p: Local, end: Local): void {
  const size = rowBytes(rowType);
  w.get(row).set(p);
  w.get(row).get(d).i32Const(-2).i32And().i32Const(size).i32Mul().i32Add().set(end);
  const pairs = w.block();
  const pair = w.loop();
  w.get(p).get(end).i32GeU().brIf(pairs);
  w.get(from).get(from).v128Load();
  w.get(p);
  loadPair(w, rowType, 0);
  w.f64x2Sub().v128Store();
  w.get(to).get(to).v128Load();
  w.get(p);
  loadPair(w, rowType, 0);
  w.f64x2Add().v128Store();
  bump(w, p, 2 * size);
  bump(w, from, 16);
  bump(w, to, 16);
  w.br(pair);
  w.end(pair);
  w.end(pairs);
  // Odd D: the last value.
  w.get(d).i32Const(1).i32And();
  const odd = w.if_();
  w.get(from).get(from).f64Load();
  w.get(p);
  loadScalar(w, rowType, 0);
  w.f64Sub().f64Store();
  w.get(to).get(to).f64Load();
  w.get(p);
  loadScalar(w, rowType, 0);
  w.f64Add().f64Store();
  w.end(odd);
}

/** Pops an address; pushes the row value there in both f64 lanes. */
function loadSplat(w: FunctionWriter, type: RowType, offset: number): void {
  if (type === 'f32') w.v128Load32Splat(offset).f64x2PromoteLowF32x4();
  else w.v128Load64Splat(offset);
}

/**
 * The start of both seedDistances4 kernels: outStride = N·8, out = &candDist[slot][rowStart], i =
 * rowStart, and the candidates' norms as two f64x2, (n0, n1) and (n2, n3).
 */
function seedPrologue(
  w: FunctionWriter,
  from: { n: Local; candDist: Local; slot: Local; rowStart: Local; norms: readonly [Local, Local, Local, Local] },
): SeedState {
  const to: SeedState = {
    out: w.local(i32),
    outStride: w.local(i32),
    i: w.local(i32),
    norms01: w.local(v128),
    norms23: w.local(v128),
    dist2: headerLocal(w, 'dist2'),
    potAt: w.local(i32),
    pot01: w.local(v128),
    pot23: w.local(v128),
  };
  // The potentials so far (the caller zeroes them before the first call of a pass).
  w.i32Const(0).i32Load(headerOffset('candPot')).get(from.slot).i32Const(3).i32Shl().i32Add().tee(to.potAt);
  w.v128Load().set(to.pot01);
  w.get(to.potAt).v128Load(16).set(to.pot23);
  const [n0, n1, n2, n3] = from.norms;
  w.get(from.n).i32Const(3).i32Shl().set(to.outStride);
  w.get(from.candDist).get(from.slot).get(to.outStride).i32Mul().i32Add().get(from.rowStart).i32Const(3).i32Shl().i32Add().set(to.out);
  w.get(from.rowStart).set(to.i);
  w.get(n0).f64x2Splat().get(n1).f64x2ReplaceLane(1).set(to.norms01);
  w.get(n2).f64x2Splat().get(n3).f64x2ReplaceLane(1).set(to.norms23);
  return to;
}

/** What both seedDistances4 kernels keep while they walk the rows. */
interface SeedState {
  /** Byte address of out_0[i], the first candidate's distance of row i; outStride bytes to the next. */
  out: Local;
  outStride: Local;
  i: Local;
  norms01: Local;
  norms23: Local;
  dist2: Local;
  /** Byte address of candPot[slot]; the four potentials, two per f64x2. */
  potAt: Local;
  pot01: Local;
  pot23: Local;
}

/** pot += pmin(dist2[i + row], v) lane by lane: potentialWith's `pot += v < own ? v : own`, row by row. */
function emitAddPotential(w: FunctionWriter, s: SeedState, pot: Local, v: Local, row: number): void {
  w.get(pot);
  w.get(s.dist2).get(s.i).i32Const(3).i32Shl().i32Add().v128Load64Splat(row * 8);
  w.get(v).f64x2Pmin().f64x2Add().set(pot);
}

/** Stores the four potentials back to candPot[slot…] (the next call goes on from them). */
function emitStorePotentials(w: FunctionWriter, s: SeedState): void {
  w.get(s.potAt).get(s.pot01).v128Store();
  w.get(s.potAt).get(s.pot23).v128Store(16);
}

/**
 * Runs `emitRows(size)` (which advances i by size) while whole groups of `size` rows are left, counting
 * from rowStart: groupEnd = rowStart + ⌊(rowEnd − rowStart) / size⌋·size, size a power of two.
 */
function emitRowGroups(
  w: FunctionWriter,
  at: { i: Local; rowStart: Local; rowEnd: Local; groupEnd: Local },
  size: number,
  emitRows: (rows: number) => void,
): void {
  w.get(at.rowEnd).get(at.rowStart).i32Sub().i32Const(-size).i32And().get(at.rowStart).i32Add().set(at.groupEnd);
  const groups = whileLess(w, at.i, at.groupEnd);
  emitRows(size);
  groups.close();
}

/** acc = pmax(0, (‖x‖² − 2·acc) + norms), as `clampZero(xa − 2 * a0 + n0)` for two candidates. */
function emitFinishSeed(w: FunctionWriter, acc: Local, rowNorm: Local, norms: Local): void {
  w.f64x2Const(0);
  w.get(rowNorm).f64x2Splat().f64x2Const(2).get(acc).f64x2Mul().f64x2Sub().get(norms).f64x2Add();
  w.f64x2Pmax().set(acc);
}

/** Stores the lanes of `v` as out_m[i + row], m = firstCandidate + lane (out = &out_0[i]). */
function emitStoreSeedLanes(w: FunctionWriter, out: Local, outStride: Local, v: Local, firstCandidate: 0 | 2, row: number): void {
  for (const lane of [0, 1] as const) {
    w.get(out).get(outStride).i32Const(firstCandidate + lane).i32Mul().i32Add();
    w.get(v).f64x2ExtractLane(lane);
    w.f64Store(row * 8);
  }
}

/**
 * `seedDistances4(slot, n0, n1, n2, n3)`: kmeans-workspace.ts's `squaredDistances4` against the four candidates
 * in candRows/candCols (norms n0…n3), into candDist[slot…slot+3]. Each (row, candidate) sum runs over
 * the features in order, as in the JavaScript's two-row kernel, with candidates (0, 1) and (2, 3)
 * sharing an f64x2; rows go four at a time (each candidate load then serves four rows), then a pair if
 * two are left. An odd last row uses the four-partial-sum dot product, as the JavaScript does.
 */
function writeSeedDistances4(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  if (rowType === 'f32') {
    writeSeedDistances4F32(m, spec);
    return;
  }
  const { writer: w } = m.addFunction('seedDistances4', [i32, f64, f64, f64, f64, i32, i32], []);
  const [slot, n0, n1, n2, n3, rowStart, rowEnd] = w.params;
  const n = headerLocal(w, 'n');
  const x = headerLocal(w, 'x');
  const xNorm = headerLocal(w, 'xNorm');
  const candRows = headerLocal(w, 'candRows');
  const candCols = headerLocal(w, 'candCols');
  const candDist = headerLocal(w, 'candDist');
  const dot = dotScratch(w);
  const size = rowBytes(rowType);
  const stride = spec.d * size;
  const groupEnd = w.local(i32);
  const featureEnd = w.local(i32);
  const cand = w.local(i32);
  const c01 = w.local(v128);
  const c23 = w.local(v128);
  const xa = w.local(f64);
  const tmp = w.local(f64);
  const norm = w.local(f64);
  const c = w.local(i32);
  const mIndex = w.local(i32);
  const four = w.local(i32);
  const value64 = w.local(f64);
  const own = w.local(f64);
  const p = w.local(i32);
  const MAX_ROWS = SEED_ROWS_PER_STEP;
  const ptr = w.local(i32);
  const value = Array.from({ length: MAX_ROWS }, () => w.local(v128));
  const acc01 = Array.from({ length: MAX_ROWS }, () => w.local(v128));
  const acc23 = Array.from({ length: MAX_ROWS }, () => w.local(v128));

  const seed = seedPrologue(w, { n, candDist, slot, rowStart, norms: [n0, n1, n2, n3] });
  const { out, outStride, i, norms01, norms23 } = seed;
  const storeLanes = (v: Local, firstCandidate: 0 | 2, row: number): void => emitStoreSeedLanes(w, out, outStride, v, firstCandidate, row);
  const finish = (acc: Local, rowNorm: Local, norms: Local): void => emitFinishSeed(w, acc, rowNorm, norms);
  /**
   * Rows i … i + rows − 1 against the four candidates; advances i and out. One pointer walks the
   * features of row i; row r's value sits r·stride further on, a constant address offset.
   */
  const emitRows = (rows: number): void => {
    w.get(x).get(i).i32Const(stride).i32Mul().i32Add().set(ptr);
    w.get(candCols).set(cand);
    for (let r = 0; r < rows; r++) {
      w.f64x2Const(0).set(acc01[r]);
      w.f64x2Const(0).set(acc23[r]);
    }
    /** Feature `t` (relative to the pointers) of every row into the accumulators. */
    const feature = (t: number): void => {
      w.get(cand).v128Load(t * 32).set(c01);
      w.get(cand).v128Load(t * 32 + 16).set(c23);
      for (let r = 0; r < rows; r++) {
        w.get(ptr);
        loadSplat(w, rowType, r * stride + t * size);
        w.set(value[r]);
        w.get(acc01[r]).get(value[r]).get(c01).f64x2Mul().f64x2Add().set(acc01[r]);
        w.get(acc23[r]).get(value[r]).get(c23).f64x2Mul().f64x2Add().set(acc23[r]);
      }
    };
    const steps = Math.floor(spec.d / SEED_FEATURES_PER_STEP);
    if (steps > 0) {
      // ptr reaches the end of the stepped features.
      w.get(ptr).i32Const(steps * SEED_FEATURES_PER_STEP * size).i32Add().set(featureEnd);
      const step = w.loop();
      for (let t = 0; t < SEED_FEATURES_PER_STEP; t++) feature(t);
      bump(w, ptr, SEED_FEATURES_PER_STEP * size);
      bump(w, cand, SEED_FEATURES_PER_STEP * 32);
      w.get(ptr).get(featureEnd).i32LtU().brIf(step);
      w.end(step);
    }
    for (let t = 0; t < spec.d - steps * SEED_FEATURES_PER_STEP; t++) feature(t);
    for (let r = 0; r < rows; r++) {
      w.get(xNorm).get(i).i32Const(3).i32Shl().i32Add().f64Load(r * 8).set(xa);
      finish(acc01[r], xa, norms01);
      finish(acc23[r], xa, norms23);
      storeLanes(acc01[r], 0, r);
      storeLanes(acc23[r], 2, r);
      emitAddPotential(w, seed, seed.pot01, acc01[r], r);
      emitAddPotential(w, seed, seed.pot23, acc23[r], r);
    }
    bump(w, i, rows);
    bump(w, out, rows * 8);
  };

  emitRowGroups(w, { i, rowStart, rowEnd, groupEnd }, MAX_ROWS, emitRows);
  // Rows left over in pairs.
  emitRowGroups(w, { i, rowStart, rowEnd, groupEnd }, 2, emitRows);

  emitStorePotentials(w, seed);
  // An odd last row (only the last chunk can have one: the caller's chunks are multiples of four
  // rows): four dot products, like the JavaScript's tail; its potentials go straight to memory.
  w.get(i).get(rowEnd).i32LtS();
  const odd = w.if_();
  {
    w.get(x).get(i).i32Const(stride).i32Mul().i32Add().set(ptr);
    w.get(xNorm).get(i).i32Const(3).i32Shl().i32Add().f64Load().set(xa);
    w.i32Const(0).set(mIndex);
    w.i32Const(4).set(four);
    const cands = whileLess(w, mIndex, four);
    w.get(candRows).get(mIndex).i32Const(spec.d * 8).i32Mul().i32Add().set(c);
    // The norm of candidate m.
    w.get(n0).set(norm);
    w.get(n1).get(norm).get(mIndex).i32Const(1).i32Eq().select().set(norm);
    w.get(n2).get(norm).get(mIndex).i32Const(2).i32Eq().select().set(norm);
    w.get(n3).get(norm).get(mIndex).i32Const(3).i32Eq().select().set(norm);
    w.get(out).get(outStride).get(mIndex).i32Mul().i32Add();
    w.get(xa).f64Const(2);
    emitDot(w, dot, ptr, rowType, c, 'f64', spec);
    w.f64Mul().f64Sub().get(norm).f64Add();
    w.tee(tmp).f64Const(0).get(tmp).f64Const(0).f64Gt().select().tee(value64);
    w.f64Store();
    // candPot[slot + m] += value < own ? value : own
    w.get(seed.potAt).get(mIndex).i32Const(3).i32Shl().i32Add().tee(p);
    w.get(p).f64Load();
    w.get(seed.dist2).get(i).i32Const(3).i32Shl().i32Add().f64Load().set(own);
    w.get(value64).get(own).get(value64).get(own).f64Lt().select();
    w.f64Add().f64Store();
    bump(w, mIndex, 1);
    cands.close();
  }
  w.end(odd);
}

/** Rows per step of the float32 seeding kernel. */
const SEED_ROWS_PER_STEP_F32 = 4;

/**
 * `seedDistances4` for float32 rows: kmeans-workspace.ts's `squaredDistances4F32` against the four
 * candidates in candCols32, into candDist[slot…slot+3]. Lane m of one f32x4 accumulator per row sums
 * row·candidate m over the features in order; SEED_ROWS_PER_STEP_F32 rows share each load of the
 * candidates' feature, then single rows. ‖x_i‖² − 2·sum + ‖c_m‖² is formed in float64 as in the f64 kernel.
 */
function writeSeedDistances4F32(m: ModuleWriter, spec: KernelSpec): void {
  const { writer: w } = m.addFunction('seedDistances4', [i32, f64, f64, f64, f64, i32, i32], []);
  const [slot, n0, n1, n2, n3, rowStart, rowEnd] = w.params;
  const n = headerLocal(w, 'n');
  const x = headerLocal(w, 'x');
  const xNorm = headerLocal(w, 'xNorm');
  const candCols32 = headerLocal(w, 'candCols32');
  const candDist = headerLocal(w, 'candDist');
  const stride = spec.d * 4;
  const groupEnd = w.local(i32);
  const featureEnd = w.local(i32);
  const cand = w.local(i32);
  const ptr = w.local(i32);
  const c = w.local(v128);
  const wide = w.local(v128);
  const xa = w.local(f64);
  const MAX_ROWS = SEED_ROWS_PER_STEP_F32;
  const acc = Array.from({ length: MAX_ROWS }, () => w.local(v128));

  const seed = seedPrologue(w, { n, candDist, slot, rowStart, norms: [n0, n1, n2, n3] });
  const { out, outStride, i, norms01, norms23 } = seed;
  /** out_m[i + row] for m = first, first + 1 from the f64x2 sums in `wide`, and their potentials. */
  const finishPair = (norms: Local, first: 0 | 2, row: number): void => {
    emitFinishSeed(w, wide, xa, norms);
    emitStoreSeedLanes(w, out, outStride, wide, first, row);
    emitAddPotential(w, seed, first === 0 ? seed.pot01 : seed.pot23, wide, row);
  };
  /** Rows i … i + rows − 1 against the four candidates; advances i and out. */
  const emitRows = (rows: number): void => {
    w.get(x).get(i).i32Const(stride).i32Mul().i32Add().set(ptr);
    w.get(candCols32).set(cand);
    for (let r = 0; r < rows; r++) w.f64x2Const(0).set(acc[r]);
    w.get(ptr).i32Const(stride).i32Add().set(featureEnd);
    const step = w.loop();
    w.get(cand).v128Load().set(c);
    for (let r = 0; r < rows; r++) {
      w.get(acc[r]);
      w.get(ptr).v128Load32Splat(r * stride);
      w.get(c).f32x4Mul().f32x4Add().set(acc[r]);
    }
    bump(w, ptr, 4);
    bump(w, cand, 16);
    w.get(ptr).get(featureEnd).i32LtU().brIf(step);
    w.end(step);
    for (let r = 0; r < rows; r++) {
      w.get(xNorm).get(i).i32Const(3).i32Shl().i32Add().f64Load(r * 8).set(xa);
      w.get(acc[r]).f64x2PromoteLowF32x4().set(wide);
      finishPair(norms01, 0, r);
      w.get(acc[r]).get(acc[r]).f64x2SwapLanes().f64x2PromoteLowF32x4().set(wide);
      finishPair(norms23, 2, r);
    }
    bump(w, i, rows);
    bump(w, out, rows * 8);
  };

  emitRowGroups(w, { i, rowStart, rowEnd, groupEnd }, MAX_ROWS, emitRows);
  const singles = whileLess(w, i, rowEnd);
  emitRows(1);
  singles.close();
  emitStorePotentials(w, seed);
}

/**
 * `seedDistances1(slot, norm)`: kmeans-workspace.ts's `squaredDistances1` against candidate 0 of candRows (norm
 * `norm`), into candDist[slot]: clampZero(‖x_i‖² − 2 x_i·c + ‖c‖²) with the four-partial-sum dot.
 */
function writeSeedDistances1(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('seedDistances1', [i32, f64], []);
  const [slot, norm] = w.params;
  const n = headerLocal(w, 'n');
  const d = headerLocal(w, 'd');
  const x = headerLocal(w, 'x');
  const xNorm = headerLocal(w, 'xNorm');
  const candRows = headerLocal(w, 'candRows');
  const candRows32 = headerLocal(w, 'candRows32');
  const candDist = headerLocal(w, 'candDist');
  const dot = dotScratch(w);
  const i = w.local(i32);
  const row = w.local(i32);
  const out = w.local(i32);
  const tmp = w.local(f64);
  w.get(candDist).get(slot).get(n).i32Mul().i32Const(3).i32Shl().i32Add().set(out);
  w.get(x).set(row);
  const rows = whileLess(w, i, n);
  w.get(out);
  w.get(xNorm).get(i).i32Const(3).i32Shl().i32Add().f64Load();
  w.f64Const(2);
  if (rowType === 'f32') emitDot32(w, dot, row, candRows32, spec);
  else emitDot(w, dot, row, rowType, candRows, 'f64', spec);
  w.f64Mul().f64Sub().get(norm).f64Add();
  w.tee(tmp).f64Const(0).get(tmp).f64Const(0).f64Gt().select();
  w.f64Store();
  w.get(row).get(d).i32Const(rowBytes(rowType)).i32Mul().i32Add().set(row);
  bump(w, out, 8);
  bump(w, i, 1);
  rows.close();
}

/**
 * `refreshSlacks(maxDrift)`: kmeans-workspace.ts's `refreshSlack` for every row — slackRel[i] = (min over
 * j ≠ labels[i] of max(lowerRel[i·K + j] − drift[j], halfCC[labels[i]·K + j])) − upperRel[i] + maxDrift.
 */
function writeRefreshSlacks(m: ModuleWriter, spec: KernelSpec): void {
  const { writer: w } = m.addFunction('refreshSlacks', [f64], []);
  const [maxDrift] = w.params;
  const n = headerLocal(w, 'n');
  const halfCC = headerLocal(w, 'halfCC');
  const drift = headerLocal(w, 'drift');
  const labels = headerLocal(w, 'labels');
  const upperRel = headerLocal(w, 'upperRel');
  const lowerRel = headerLocal(w, 'lowerRel');
  const slackRel = headerLocal(w, 'slackRel');
  const bounds = headerLocal(w, 'bounds');
  const bs = boundScratch(w);
  const i = w.local(i32);
  const a = w.local(i32);
  const lo = w.local(i32);
  const minBound = w.local(f64);
  const rows = whileLess(w, i, n);
  w.get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().set(a);
  w.get(lowerRel).get(i).i32Const(spec.k * 8).i32Mul().i32Add().set(lo);
  emitBounds(w, bs, lo, drift, halfCC, bounds, a, minBound, spec);
  w.get(slackRel).get(i).i32Const(3).i32Shl().i32Add();
  w.get(minBound);
  w.get(upperRel).get(i).i32Const(3).i32Shl().i32Add().f64Load();
  w.f64Sub().get(maxDrift).f64Add();
  w.f64Store();
  bump(w, i, 1);
  rows.close();
}

/**
 * `firstNonFinite() → index or −1`: the first of the N×D row values that is NaN or ±Infinity, found
 * from the bits (all exponent bits set), which needs no floating-point compare.
 */
function writeFirstNonFinite(m: ModuleWriter, spec: KernelSpec): void {
  const { writer: w } = m.addFunction('firstNonFinite', [], [i32]);
  const n = headerLocal(w, 'n');
  const x = headerLocal(w, 'x');
  const size = rowBytes(spec.rowType);
  // The word that holds the exponent: the whole float32, or the high half of a float64.
  const exponentMask = spec.rowType === 'f32' ? 0x7f800000 : 0x7ff00000;
  const wordOffset = spec.rowType === 'f32' ? 0 : 4;
  const p = w.local(i32);
  const end = w.local(i32);
  w.get(x).set(p);
  w.get(x).get(n).i32Const(spec.d * size).i32Mul().i32Add().set(end);
  const found = w.block();
  const values = forLoopU(w, p, end);
  w.get(p).i32Load(wordOffset).i32Const(exponentMask).i32And().i32Const(exponentMask).i32Eq().brIf(found);
  bump(w, p, size);
  values.close();
  w.i32Const(-1).return_();
  w.end(found);
  // (p − x) / size, as a shift.
  w.get(p).get(x).i32Sub().i32Const(size === 4 ? 2 : 3).i32ShrU();
}

/** `rowNorms()`: xNorm[i] = x_i · x_i with the four-partial-sum dot. */
function writeRowNorms(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('rowNorms', [], []);
  const n = headerLocal(w, 'n');
  const d = headerLocal(w, 'd');
  const x = headerLocal(w, 'x');
  const xNorm = headerLocal(w, 'xNorm');
  const dot = dotScratch(w);
  const i = w.local(i32);
  const row = w.local(i32);
  const out = w.local(i32);
  w.get(x).set(row);
  w.get(xNorm).set(out);
  const rows = whileLess(w, i, n);
  w.get(out);
  emitDot(w, dot, row, rowType, row, rowType, spec);
  w.f64Store();
  w.get(row).get(d).i32Const(rowBytes(rowType)).i32Mul().i32Add().set(row);
  bump(w, out, 8);
  bump(w, i, 1);
  rows.close();
}

/** `recomputeSums()`: counts and sums from scratch (kmeans-workspace.ts's `recomputeSums`, rows in order). */
function writeRecomputeSums(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('recomputeSums', [], []);
  const n = headerLocal(w, 'n');
  const d = headerLocal(w, 'd');
  const k = headerLocal(w, 'k');
  const x = headerLocal(w, 'x');
  const labels = headerLocal(w, 'labels');
  const sums = headerLocal(w, 'sums');
  const counts = headerLocal(w, 'counts');
  const i = w.local(i32);
  const a = w.local(i32);
  const p = w.local(i32);
  const end = w.local(i32);
  const row = w.local(i32);
  const target = w.local(i32);
  // Zero counts (K i32) and sums (K×D f64).
  w.get(counts).set(p);
  w.get(counts).get(k).i32Const(2).i32Shl().i32Add().set(end);
  const zc = forLoopU(w, p, end);
  w.get(p).i32Const(0).i32Store();
  bump(w, p, 4);
  zc.close();
  w.get(sums).set(p);
  w.get(sums).get(k).get(d).i32Mul().i32Const(3).i32Shl().i32Add().set(end);
  const zs = forLoopU(w, p, end);
  w.get(p).f64Const(0).f64Store();
  bump(w, p, 8);
  zs.close();

  w.get(x).set(row);
  const rows = whileLess(w, i, n);
  {
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().set(a);
    w.get(counts).get(a).i32Const(2).i32Shl().i32Add().tee(p);
    w.get(p).i32Load().i32Const(1).i32Add().i32Store();
    w.get(sums).get(a).get(d).i32Mul().i32Const(3).i32Shl().i32Add().set(target);
    emitRowUpdate(w, rowType, row, target, d, p, end);
    w.get(row).get(d).i32Const(rowBytes(rowType)).i32Mul().i32Add().set(row);
    bump(w, i, 1);
  }
  rows.close();
}

/**
 * The f64 accumulators at `to` updated from the row's D values, element-wise; advances `to`; `p`, `end` are
 * scratch. By default `+=` (moveRow's `to` half); `pair` finds [address, accumulator pair, row pair] on the
 * stack (`to` at the pair) and leaves the new pair, `single` the same with f64 scalars for an odd last value.
 */
function emitRowUpdate(
  w: FunctionWriter,
  rowType: RowType,
  row: Local,
  to: Local,
  d: Local,
  p: Local,
  end: Local,
  pair: () => void = () => w.f64x2Add(),
  single: () => void = () => w.f64Add(),
): void {
  const size = rowBytes(rowType);
  w.get(row).set(p);
  w.get(row).get(d).i32Const(-2).i32And().i32Const(size).i32Mul().i32Add().set(end);
  const pairs = forLoopU(w, p, end);
  w.get(to).get(to).v128Load();
  w.get(p);
  loadPair(w, rowType, 0);
  pair();
  w.v128Store();
  bump(w, p, 2 * size);
  bump(w, to, 16);
  pairs.close();
  w.get(d).i32Const(1).i32And();
  const odd = w.if_();
  w.get(to).get(to).f64Load();
  w.get(p);
  loadScalar(w, rowType, 0);
  single();
  w.f64Store();
  w.end(odd);
}

/** Unsigned `for (; p < end;)`, closed by the returned function. */
function forLoopU(w: FunctionWriter, p: Local, end: Local): { close: () => void } {
  const exit = w.block();
  const top = w.loop();
  w.get(p).get(end).i32GeU().brIf(exit);
  return {
    close: () => {
      w.br(top);
      w.end(top);
      w.end(exit);
    },
  };
}

/**
 * `exactInertia() → f64`: Σ_i ‖x_i − c_labels[i]‖² in kmeans-workspace.ts's difference form — per row, s0 over
 * even features and s1 over odd ones (the two lanes), an odd last feature into s0, then s0 + s1.
 */
function writeExactInertia(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('exactInertia', [], [f64]);
  const n = headerLocal(w, 'n');
  const d = headerLocal(w, 'd');
  const x = headerLocal(w, 'x');
  const centres = headerLocal(w, 'centres');
  const labels = headerLocal(w, 'labels');
  const size = rowBytes(rowType);
  const i = w.local(i32);
  const p = w.local(i32);
  const q = w.local(i32);
  const end = w.local(i32);
  const row = w.local(i32);
  const acc = w.local(v128);
  const diff = w.local(v128);
  const s0 = w.local(f64);
  const t = w.local(f64);
  const total = w.local(f64);
  w.get(x).set(row);
  const rows = whileLess(w, i, n);
  {
    w.get(row).set(p);
    w.get(centres).get(labels).get(i).i32Const(2).i32Shl().i32Add().i32Load().get(d).i32Mul().i32Const(3).i32Shl().i32Add().set(q);
    w.get(row).get(d).i32Const(-2).i32And().i32Const(size).i32Mul().i32Add().set(end);
    w.f64x2Const(0).set(acc);
    const pairs = forLoopU(w, p, end);
    w.get(p);
    loadPair(w, rowType, 0);
    w.get(q).v128Load().f64x2Sub().set(diff);
    w.get(acc).get(diff).get(diff).f64x2Mul().f64x2Add().set(acc);
    bump(w, p, 2 * size);
    bump(w, q, 16);
    pairs.close();
    w.get(acc).f64x2ExtractLane(0).set(s0);
    w.get(d).i32Const(1).i32And();
    const odd = w.if_();
    w.get(p);
    loadScalar(w, rowType, 0);
    w.get(q).f64Load().f64Sub().set(t);
    w.get(s0).get(t).get(t).f64Mul().f64Add().set(s0);
    w.end(odd);
    w.get(total).get(s0).get(acc).f64x2ExtractLane(1).f64Add().f64Add().set(total);
    w.get(row).get(d).i32Const(size).i32Mul().i32Add().set(row);
    bump(w, i, 1);
  }
  rows.close();
  w.get(total);
}

/**
 * `featureDeviations() → f64`: kmeans-workspace.ts's `featureDeviations`, the sum over features of each
 * feature's squared deviations from its mean (scikit-learn's tolerance is tol × that / N / D). Each
 * feature's sums run over the rows in order, as in the JavaScript, with two features per f64x2 and the
 * accumulators in `moments` (2·D values, in L1); the features' totals are then added in feature order.
 * One pass for the means, one for the deviations: 13 ms in JavaScript, 2.6 ms here for the reference latents
 * (60,000 × 64; 8.7 ms on the first call of a worker, which runs baseline-compiled code).
 */
function writeFeatureDeviations(m: ModuleWriter, spec: KernelSpec): void {
  const { rowType } = spec;
  const { writer: w } = m.addFunction('featureDeviations', [], [f64]);
  const n = headerLocal(w, 'n');
  const d = headerLocal(w, 'd');
  const x = headerLocal(w, 'x');
  const moments = headerLocal(w, 'moments');
  const size = rowBytes(rowType);
  const i = w.local(i32);
  const p = w.local(i32);
  const q = w.local(i32);
  const end = w.local(i32);
  const row = w.local(i32);
  const deviations = w.local(i32); // byte address of the D deviation sums, after the D means
  const diff = w.local(v128);
  const t = w.local(f64);
  const total = w.local(f64);
  const nF = w.local(f64);
  w.get(n).f64ConvertI32S().set(nF);
  w.get(moments).get(d).i32Const(3).i32Shl().i32Add().set(deviations);
  // Zero all 2·D accumulators.
  w.get(moments).set(p);
  w.get(moments).get(d).i32Const(4).i32Shl().i32Add().set(end);
  const zero = forLoopU(w, p, end);
  w.get(p).f64Const(0).f64Store();
  bump(w, p, 8);
  zero.close();
  /** For every row, emitRowUpdate on the D accumulators at `target` with `pair` and `single`. */
  const overRows = (target: Local, pair: () => void, single: () => void): void => {
    w.get(x).set(row);
    w.i32Const(0).set(i);
    const rows = whileLess(w, i, n);
    w.get(target).set(q);
    emitRowUpdate(w, rowType, row, q, d, p, end, pair, single);
    w.get(row).get(d).i32Const(size).i32Mul().i32Add().set(row);
    bump(w, i, 1);
    rows.close();
  };
  // Pass 1: sums per feature, then means (sum / N).
  overRows(moments, () => w.f64x2Add(), () => w.f64Add());
  w.get(moments).set(p);
  w.get(deviations).set(end);
  const divide = forLoopU(w, p, end);
  w.get(p).get(p).f64Load().get(nF).f64Div().f64Store();
  bump(w, p, 8);
  divide.close();
  // Pass 2: squared deviations per feature. The means sit D values before each accumulator.
  const meanOffset = (): void => {
    w.get(q).get(d).i32Const(3).i32Shl().i32Sub();
  };
  overRows(
    deviations,
    () => {
      meanOffset();
      w.v128Load().f64x2Sub().tee(diff).get(diff).f64x2Mul().f64x2Add();
    },
    () => {
      meanOffset();
      w.f64Load().f64Sub().tee(t).get(t).f64Mul().f64Add();
    },
  );
  // Σ over features, in feature order.
  w.f64Const(0).set(total);
  w.get(deviations).set(p);
  w.get(deviations).get(d).i32Const(3).i32Shl().i32Add().set(end);
  const sum = forLoopU(w, p, end);
  w.get(total).get(p).f64Load().f64Add().set(total);
  bump(w, p, 8);
  sum.close();
  w.get(total);
}

/**
 * `acceptCentre(c, slot, rowNorm, scale) → Σ D²`: kmeans-workspace.ts's `acceptCentre`, row by row in the
 * same order and arithmetic: the lower bound on centre c from candDist[slot], and label, upper bound and
 * D² where centre c is nearer (every row when c = 0), then the running sums of D² into `cum`.
 */
function writeAcceptCentre(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('acceptCentre', [i32, i32, f64, f64], [f64]);
  const [c, slot, rowNorm, scale] = w.params;
  const n = headerLocal(w, 'n');
  const k = headerLocal(w, 'k');
  const xNorm = headerLocal(w, 'xNorm');
  const labels = headerLocal(w, 'labels');
  const upperRel = headerLocal(w, 'upperRel');
  const lowerRel = headerLocal(w, 'lowerRel');
  const candDist = headerLocal(w, 'candDist');
  const dist2 = headerLocal(w, 'dist2');
  const cum = headerLocal(w, 'cum');
  const i = w.local(i32);
  const cand = w.local(i32);
  const at = w.local(i32); // i·8, the byte offset of row i in the N-arrays
  const v = w.local(f64);
  const e = w.local(f64);
  const tmp = w.local(f64);
  const total = w.local(f64);
  w.get(candDist).get(slot).get(n).i32Mul().i32Const(3).i32Shl().i32Add().set(cand);
  w.f64Const(0).set(total);
  const rows = whileLess(w, i, n);
  {
    w.get(i).i32Const(3).i32Shl().set(at);
    w.get(cand).get(at).i32Add().f64Load().set(v);
    w.get(scale).get(xNorm).get(at).i32Add().f64Load().get(rowNorm).f64Add().f64Mul().set(e);
    // lowerRel[i·K + c] = distFromParts(v, −e)
    w.get(lowerRel).get(i).get(k).i32Mul().get(c).i32Add().i32Const(3).i32Shl().i32Add();
    w.get(v).get(e).f64Sub();
    emitSqrtOrZero(w, tmp);
    w.f64Store();
    w.get(c).i32Eqz();
    w.get(v).get(dist2).get(at).i32Add().f64Load().f64Lt();
    w.i32Or();
    const nearer = w.if_();
    w.get(dist2).get(at).i32Add().get(v).f64Store();
    w.get(upperRel).get(at).i32Add();
    w.get(v).get(e).f64Add();
    emitSqrtOrZero(w, tmp);
    w.f64Store();
    w.get(labels).get(i).i32Const(2).i32Shl().i32Add().get(c).i32Store();
    w.end(nearer);
    w.get(total).get(dist2).get(at).i32Add().f64Load().f64Add().set(total);
    w.get(cum).get(at).i32Add().get(total).f64Store();
    bump(w, i, 1);
  }
  rows.close();
  w.get(total);
}

/** The whole module for one row type. */
export function kmeansSimdModuleBytes(spec: KernelSpec): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter();
  writeAssign(m, spec);
  writeSeedDistances4(m, spec);
  writeSeedDistances1(m, spec);
  writeRowNorms(m, spec);
  writeFirstNonFinite(m, spec);
  writeRefreshSlacks(m, spec);
  writeRecomputeSums(m, spec);
  writeExactInertia(m, spec);
  writeFeatureDeviations(m, spec);
  writeAcceptCentre(m);
  return m.encode();
}

/** The exports of an instance, as JavaScript sees them. */
interface KMeansSimdExports {
  assign(maxDrift: number, rowStart: number, rowEnd: number): number;
  seedDistances4(slot: number, n0: number, n1: number, n2: number, n3: number, rowStart: number, rowEnd: number): void;
  seedDistances1(slot: number, norm: number): void;
  rowNorms(): void;
  firstNonFinite(): number;
  refreshSlacks(maxDrift: number): void;
  recomputeSums(): void;
  exactInertia(): number;
  featureDeviations(): number;
  acceptCentre(c: number, slot: number, rowNorm: number, scale: number): number;
}

function isKMeansSimdExports(e: WebAssembly.Exports): e is WebAssembly.Exports & KMeansSimdExports {
  return ['assign', 'seedDistances4', 'seedDistances1', 'rowNorms', 'firstNonFinite', 'refreshSlacks', 'recomputeSums', 'exactInertia', 'featureDeviations', 'acceptCentre'].every(
    (name) => typeof e[name] === 'function',
  );
}

/**
 * Compiled modules by row type and D; null once compiling failed (no WebAssembly, or no SIMD). A worker
 * fitting one latent space compiles once.
 */
const modules = new ModuleCache();

function compiledModule(spec: KernelSpec): WebAssembly.Module | null {
  return modules.get(`${spec.rowType}:${spec.d}:${spec.k}`, () => kmeansSimdModuleBytes(spec));
}

/** True where the kernels can run (WebAssembly with SIMD). */
export function kmeansSimdSupported(): boolean {
  return compiledModule({ rowType: 'f32', d: 4, k: 2 }) !== null;
}

/** Every array one fit uses; with the SIMD kernels, views of the WebAssembly memory. */
export interface KMeansBuffers {
  readonly x: RowStore;
  readonly xNorm: Float64Array;
  readonly centres: Float64Array;
  /** K×D centres rounded to float32. */
  readonly centres32: Float32Array;
  readonly cNorm: Float64Array;
  readonly halfCC: Float64Array;
  readonly halfGap: Float64Array;
  readonly drift: Float64Array;
  readonly labels: Int32Array;
  readonly upperRel: Float64Array;
  readonly lowerRel: Float64Array;
  readonly slackRel: Float64Array;
  readonly sums: Float64Array;
  readonly counts: Int32Array;
  /** 4×D candidate rows (float64). */
  readonly candRows: Float64Array;
  /** D×4, the same transposed. */
  readonly candCols: Float64Array;
  /** The same two as float32 (for float32 rows). */
  readonly candRows32: Float32Array;
  readonly candCols32: Float32Array;
  /** One N-array per k-means++ trial. */
  readonly candDist: Float64Array[];
  /** N: the seeding's D(x)². */
  readonly dist2: Float64Array;
  /** N: running sums of dist2. */
  readonly cum: Float64Array;
  /** One potential per k-means++ trial (at least four). */
  readonly candPot: Float64Array;
}

/** Plain JavaScript arrays for the fallback path: rows are always float64 there. */
export function allocateJsBuffers(n: number, d: number, k: number, trials: number): KMeansBuffers & { readonly x: Float64Array } {
  return {
    x: new Float64Array(n * d),
    xNorm: new Float64Array(n),
    centres: new Float64Array(k * d),
    centres32: new Float32Array(k * d),
    cNorm: new Float64Array(k),
    halfCC: new Float64Array(k * k),
    halfGap: new Float64Array(k),
    drift: new Float64Array(k),
    labels: new Int32Array(n),
    upperRel: new Float64Array(n),
    lowerRel: new Float64Array(n * k),
    slackRel: new Float64Array(n),
    sums: new Float64Array(k * d),
    counts: new Int32Array(k),
    candRows: new Float64Array(4 * d),
    candCols: new Float64Array(4 * d),
    candRows32: new Float32Array(4 * d),
    candCols32: new Float32Array(4 * d),
    candDist: Array.from({ length: trials }, () => new Float64Array(n)),
    dist2: new Float64Array(n),
    cum: new Float64Array(n),
    candPot: new Float64Array(Math.max(4, trials)),
  };
}

/**
 * One instance of the kernels with its own memory, sized for one fit. The caller fills `buffers.x`,
 * then calls {@link rowNorms}; the rest of the state is read and written through the views.
 */
export class KMeansSimd {
  readonly buffers: KMeansBuffers;
  private readonly kernels: KMeansSimdExports;

  private constructor(
    buffers: KMeansBuffers,
    kernels: KMeansSimdExports,
    private readonly n: number,
  ) {
    this.buffers = buffers;
    this.kernels = kernels;
  }

  /**
   * Kernels for N×D rows of the given type and K clusters, or null where WebAssembly SIMD is missing
   * or the memory cannot be had (the caller then uses the JavaScript path).
   */
  static create(n: number, d: number, k: number, trials: number, rowType: RowType): KMeansSimd | null {
    const module = compiledModule({ rowType, d, k });
    if (module === null) return null;
    // Lay the arrays out after the header, each on a 16-byte boundary.
    let top = HEADER_BYTES;
    const reserve = (bytes: number): number => {
      const at = Math.ceil(top / 16) * 16;
      top = at + bytes;
      return at;
    };
    const at = {
      x: reserve(n * d * rowBytes(rowType)),
      xNorm: reserve(n * 8),
      centres: reserve(k * d * 8),
      centres32: reserve(k * d * 4),
      cNorm: reserve(k * 8),
      halfCC: reserve(k * k * 8),
      halfGap: reserve(k * 8),
      drift: reserve(k * 8),
      labels: reserve(n * 4),
      upperRel: reserve(n * 8),
      lowerRel: reserve(n * k * 8),
      slackRel: reserve(n * 8),
      sums: reserve(k * d * 8),
      counts: reserve(k * 4),
      candRows: reserve(4 * d * 8),
      candCols: reserve(4 * d * 8),
      candRows32: reserve(4 * d * 4),
      candCols32: reserve(4 * d * 4),
      candDist: reserve(trials * n * 8),
      dist2: reserve(n * 8),
      cum: reserve(n * 8),
      candPot: reserve(Math.max(4, trials) * 8),
      walk: reserve(ASSIGN_BLOCK * 4),
      bounds: reserve(k * 8),
      spanHis: reserve(k * 8),
      moments: reserve(2 * d * 8),
    };
    const instance = instantiateKernels(module, top, isKMeansSimdExports);
    if (!instance) return null;
    const { exports, memory } = instance;
    // The memory never grows, so these views stay attached.
    const buffer = memory.buffer;
    const header = new Int32Array(buffer, 0, HEADER_FIELDS.length);
    const shape: Record<'n' | 'd' | 'k', number> = { n, d, k };
    for (const field of HEADER_FIELDS) {
      header[headerOffset(field) / 4] = field === 'n' || field === 'd' || field === 'k' ? shape[field] : at[field];
    }
    const f64View = (address: number, length: number): Float64Array => new Float64Array(buffer, address, length);
    const buffers: KMeansBuffers = {
      x: rowType === 'f32' ? new Float32Array(buffer, at.x, n * d) : f64View(at.x, n * d),
      xNorm: f64View(at.xNorm, n),
      centres: f64View(at.centres, k * d),
      centres32: new Float32Array(buffer, at.centres32, k * d),
      cNorm: f64View(at.cNorm, k),
      halfCC: f64View(at.halfCC, k * k),
      halfGap: f64View(at.halfGap, k),
      drift: f64View(at.drift, k),
      labels: new Int32Array(buffer, at.labels, n),
      upperRel: f64View(at.upperRel, n),
      lowerRel: f64View(at.lowerRel, n * k),
      slackRel: f64View(at.slackRel, n),
      sums: f64View(at.sums, k * d),
      counts: new Int32Array(buffer, at.counts, k),
      candRows: f64View(at.candRows, 4 * d),
      candCols: f64View(at.candCols, 4 * d),
      candRows32: new Float32Array(buffer, at.candRows32, 4 * d),
      candCols32: new Float32Array(buffer, at.candCols32, 4 * d),
      candDist: Array.from({ length: trials }, (_, t) => f64View(at.candDist + t * n * 8, n)),
      dist2: f64View(at.dist2, n),
      cum: f64View(at.cum, n),
      candPot: f64View(at.candPot, Math.max(4, trials)),
    };
    return new KMeansSimd(buffers, exports, n);
  }

  /** xNorm from x. */
  rowNorms(): void {
    this.kernels.rowNorms();
  }

  /** Index of the first NaN or ±Infinity among the row values, or −1. */
  firstNonFinite(): number {
    return this.kernels.firstNonFinite();
  }

  /** One Elkan assignment step; returns how many labels changed. */
  assign(maxDrift: number): number {
    const { n } = this;
    let changes = 0;
    for (let start = 0; start < n; start += CALL_ROWS) changes += this.kernels.assign(maxDrift, start, Math.min(n, start + CALL_ROWS));
    return changes;
  }

  /**
   * Squared distances to the four candidates in candRows/candCols (norms given) into candDist[slot…],
   * their potentials into candPot[slot…] (summed on from call to call, row by row).
   */
  seedDistances4(slot: number, n0: number, n1: number, n2: number, n3: number): void {
    const { n } = this;
    this.buffers.candPot.fill(0, slot, slot + 4);
    for (let start = 0; start < n; start += CALL_ROWS) this.kernels.seedDistances4(slot, n0, n1, n2, n3, start, Math.min(n, start + CALL_ROWS));
  }

  /** Squared distances to candidate 0 of candRows (norm given) into candDist[slot]. */
  seedDistances1(slot: number, norm: number): void {
    this.kernels.seedDistances1(slot, norm);
  }

  /** Every row's slack from its bounds (see kmeans-workspace.ts's `refreshSlack`). */
  refreshSlacks(maxDrift: number): void {
    this.kernels.refreshSlacks(maxDrift);
  }

  recomputeSums(): void {
    this.kernels.recomputeSums();
  }

  exactInertia(): number {
    return this.kernels.exactInertia();
  }

  /** kmeans-workspace.ts's `acceptCentre` for centre c at squared distances candDist[slot]; returns Σ D². */
  acceptCentre(c: number, slot: number, rowNorm: number, scale: number): number {
    return this.kernels.acceptCentre(c, slot, rowNorm, scale);
  }

  /** Σ over features of Σ_i (x_it − mean_t)², as kmeans-workspace.ts's `featureDeviations`. */
  featureDeviations(): number {
    return this.kernels.featureDeviations();
  }
}
