/**
 * A WebAssembly SIMD kernel for t-SNE's attractive pass (`attractivePairForces` in ../tsneGradient.ts):
 * one f64x2 holds a point's (x, y), so the difference, the force and the scatter into the neighbour's
 * row are one instruction each instead of two scalar paths, and the JavaScript's typed-array bounds
 * checks go away. Every value is computed exactly as the JavaScript computes it, in the same order
 * (1 + dx² first, then + dy²; the sums over a row run in entry order; no fused operations), so the
 * two agree bit for bit and the JavaScript is both the fallback where WebAssembly SIMD is missing and
 * the reference in tests.
 *
 * The pairs live in the kernel's own memory (copied once); each pass copies the map in and the
 * forces out (2n numbers each way, a few percent of the pass).
 */

import type { AffinityPairs } from '../tsneGradient';
import { type FunctionWriter, instantiateKernels, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from './encoder';

const { i32, f64, v128 } = ValType;

/** `attract(rowStart, rowEnd, y, out, rowPtr, columns, values)`, byte addresses; see the module comment. */
function writeAttract(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('attract', [i32, i32, i32, i32, i32, i32, i32], []);
  const [i, rowEnd, y, out, rowPtr, columns, values] = w.params;
  const e = w.local(i32);
  const end = w.local(i32);
  const point = w.local(v128);
  const acc = w.local(v128);
  const d = w.local(v128);
  const g = w.local(v128);
  const dd = w.local(v128);
  const at = w.local(i32);
  const rows = whileLess(w, i, rowEnd);
  // e = rowPtr[i], end = rowPtr[i + 1]; point = y[i]; acc = 0.
  w.get(rowPtr).get(i).i32Const(2).i32Shl().i32Add().tee(at).i32Load().set(e);
  w.get(at).i32Load(4).set(end);
  w.get(y).get(i).i32Const(4).i32Shl().i32Add().v128Load().set(point);
  w.f64x2Const(0).set(acc);
  const entries = whileLess(w, e, end);
  // at = &y[j] (also the offset of out[j]); d = point − y[j].
  w.get(columns).get(e).i32Const(2).i32Shl().i32Add().i32Load().i32Const(4).i32Shl().set(at);
  w.get(point).get(y).get(at).i32Add().v128Load().f64x2Sub().set(d);
  w.get(d).get(d).f64x2Mul().set(dd);
  // g = d · (values[e] / ((1 + dx²) + dy²)); acc += g; out[j] −= g.
  w.get(d);
  w.get(values).get(e).i32Const(3).i32Shl().i32Add().f64Load();
  w.f64Const(1).get(dd).f64x2ExtractLane(0).f64Add().get(dd).f64x2ExtractLane(1).f64Add();
  w.f64Div().f64x2Splat().f64x2Mul().set(g);
  w.get(acc).get(g).f64x2Add().set(acc);
  w.get(out).get(at).i32Add().tee(at);
  w.get(at).v128Load().get(g).f64x2Sub().v128Store();
  w.get(e).i32Const(1).i32Add().set(e);
  entries.close();
  // out[i] += acc.
  w.get(out).get(i).i32Const(4).i32Shl().i32Add().tee(at);
  w.get(at).v128Load().get(acc).f64x2Add().v128Store();
  w.get(i).i32Const(1).i32Add().set(i);
  rows.close();
}

/**
 * `near(cyStart, cyEnd, side, reach, xs, ys, fxs, fys, cellStart, u0, p0, p1, p2, p3, q0, q1, q2, q3)
 * → dz`: ../tsneFft.ts's `nearPairs` (see there), byte addresses for the arrays, the split kernels'
 * R² and Taylor coefficients. Two candidates per f64x2, as `nearPairs`' two lanes; the same
 * operations in the same order, so the same bits. Branch-free within a pair of candidates: a far
 * candidate's terms are masked to +0, which leaves every sum unchanged, as skipping it does (no sum
 * is ever −0: each starts at +0, and a sum or difference is −0 only from a −0).
 */
function writeNear(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('near', [i32, i32, i32, i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64, f64], [f64]);
  const [cy, cyEnd, side, reach, xs, ys, fxs, fys, cellStart, u0, ...coefficients] = w.params;
  const cx = w.local(i32);
  const lastRow = w.local(i32);
  const a = w.local(i32);
  const aEnd = w.local(i32);
  const ownRowEnd = w.local(i32);
  const lo = w.local(i32);
  const hi = w.local(i32);
  const row = w.local(i32);
  const b = w.local(i32);
  const bEnd = w.local(i32);
  const bPair = w.local(i32);
  const at = w.local(i32);
  const sideLast = w.local(i32);
  const [U0, P0, P1, P2, P3, Q0, Q1, Q2, Q3] = splats(w, [u0, ...coefficients]);
  const one = w.local(v128);
  w.f64x2Const(1).set(one);
  const [AX, AY, dx, dy, u, v, wt, g, gx, gy, zt, far, accX, accY, accZ] = Array.from({ length: 15 }, () => w.local(v128));
  const dz = w.local(f64);
  const loadCell = (): void => {
    w.i32Const(2).i32Shl().get(cellStart).i32Add().i32Load();
  };
  const min = (x: Local, y: Local): void => {
    w.get(x).get(y).get(x).get(y).i32LtS().select();
  };
  const max = (x: Local, y: Local): void => {
    w.get(x).get(y).get(x).get(y).i32GtS().select();
  };
  const horner = (c0: Local, c1: Local, c2: Local, c3: Local): void => {
    w.get(c0).get(v).get(c1).get(v).get(c2).get(v).get(c3).f64x2Mul().f64x2Add().f64x2Mul().f64x2Add().f64x2Mul().f64x2Add();
  };
  // The terms of the candidates whose x and y lanes are on the stack (pushed by `loadXY`) into
  // dx, dy, gx, gy, zt, masked where far; `tail` keeps lane 0 only in the sums.
  const terms = (loadXY: (base: Local) => void): void => {
    w.get(AX);
    loadXY(xs);
    w.f64x2Sub().set(dx);
    w.get(AY);
    loadXY(ys);
    w.f64x2Sub().set(dy);
    w.get(dx).get(dx).f64x2Mul().get(dy).get(dy).f64x2Mul().f64x2Add().set(u);
    w.get(u).get(U0).f64x2Ge().set(far);
    w.get(one).get(one).get(u).f64x2Add().f64x2Div().set(wt);
    w.get(u).get(U0).f64x2Sub().set(v);
    w.get(wt);
    horner(P0, P1, P2, P3);
    w.f64x2Sub().get(far).v128AndNot().set(zt);
    w.get(wt).get(wt).f64x2Mul();
    horner(Q0, Q1, Q2, Q3);
    w.f64x2Sub().get(far).v128AndNot().set(g);
    w.get(g).get(dx).f64x2Mul().set(gx);
    w.get(g).get(dy).f64x2Mul().set(gy);
  };
  const addr = (base: Local, index: Local): void => {
    w.get(index).i32Const(3).i32Shl().get(base).i32Add();
  };
  w.get(side).i32Const(1).i32Sub().set(sideLast);
  const rows = whileLess(w, cy, cyEnd);
  w.get(cy).get(reach).i32Add().set(at);
  min(sideLast, at);
  w.set(lastRow);
  w.i32Const(0).set(cx);
  const cells = whileLess(w, cx, side);
  const cell = w.block();
  w.get(cy).get(side).i32Mul().get(cx).i32Add().tee(at);
  loadCell();
  w.set(a);
  w.get(at).i32Const(1).i32Add();
  loadCell();
  w.tee(aEnd).get(a).i32Eq().brIf(cell);
  w.get(cx).get(reach).i32Add().set(hi);
  min(sideLast, hi);
  w.set(hi);
  w.get(cy).get(side).i32Mul().get(hi).i32Add().i32Const(1).i32Add();
  loadCell();
  w.set(ownRowEnd);
  w.get(cx).get(reach).i32Sub().set(lo);
  w.i32Const(0).set(at);
  max(at, lo);
  w.set(lo);
  const points = whileLess(w, a, aEnd);
  addr(xs, a);
  w.v128Load64Splat().set(AX);
  addr(ys, a);
  w.v128Load64Splat().set(AY);
  w.f64x2Const(0).set(accX);
  w.f64x2Const(0).set(accY);
  w.f64x2Const(0).set(accZ);
  w.get(cy).set(row);
  const candidateRows = w.block();
  const rowTop = w.loop();
  w.get(row).get(lastRow).i32GtS().brIf(candidateRows);
  w.get(row).get(cy).i32Eq();
  const own = w.if_();
  w.get(a).i32Const(1).i32Add().set(b);
  w.get(ownRowEnd).set(bEnd);
  w.else_(own);
  w.get(row).get(side).i32Mul().get(lo).i32Add();
  loadCell();
  w.set(b);
  w.get(row).get(side).i32Mul().get(hi).i32Add().i32Const(1).i32Add();
  loadCell();
  w.set(bEnd);
  w.end(own);
  // Pairs of candidates while two are left.
  w.get(bEnd).i32Const(1).i32Sub().set(bPair);
  const pairs = whileLess(w, b, bPair);
  terms((base) => {
    addr(base, b);
    w.v128Load();
  });
  w.get(accZ).get(zt).f64x2Add().set(accZ);
  w.get(accX).get(gx).f64x2Add().set(accX);
  w.get(accY).get(gy).f64x2Add().set(accY);
  addr(fxs, b);
  w.tee(at).get(at).v128Load().get(gx).f64x2Sub().v128Store();
  addr(fys, b);
  w.tee(at).get(at).v128Load().get(gy).f64x2Sub().v128Store();
  w.get(b).i32Const(2).i32Add().set(b);
  pairs.close();
  // An odd last candidate: both lanes compute it, lane 0's terms go into lane 0 of the sums.
  w.get(b).get(bEnd).i32LtS();
  const tail = w.if_();
  terms((base) => {
    addr(base, b);
    w.v128Load64Splat();
  });
  w.get(accZ).get(accZ).f64x2ExtractLane(0).get(zt).f64x2ExtractLane(0).f64Add().f64x2ReplaceLane(0).set(accZ);
  w.get(accX).get(accX).f64x2ExtractLane(0).get(gx).f64x2ExtractLane(0).f64Add().f64x2ReplaceLane(0).set(accX);
  w.get(accY).get(accY).f64x2ExtractLane(0).get(gy).f64x2ExtractLane(0).f64Add().f64x2ReplaceLane(0).set(accY);
  addr(fxs, b);
  w.tee(at).get(at).f64Load().get(gx).f64x2ExtractLane(0).f64Sub().f64Store();
  addr(fys, b);
  w.tee(at).get(at).f64Load().get(gy).f64x2ExtractLane(0).f64Sub().f64Store();
  w.end(tail);
  w.get(row).i32Const(1).i32Add().set(row);
  w.br(rowTop);
  w.end(rowTop);
  w.end(candidateRows);
  // fxs[a] += lane 0 + lane 1 (likewise fys); dz += z lanes.
  addr(fxs, a);
  w.tee(at).get(at).f64Load().get(accX).f64x2ExtractLane(0).get(accX).f64x2ExtractLane(1).f64Add().f64Add().f64Store();
  addr(fys, a);
  w.tee(at).get(at).f64Load().get(accY).f64x2ExtractLane(0).get(accY).f64x2ExtractLane(1).f64Add().f64Add().f64Store();
  w.get(dz).get(accZ).f64x2ExtractLane(0).get(accZ).f64x2ExtractLane(1).f64Add().f64Add().set(dz);
  w.get(a).i32Const(1).i32Add().set(a);
  points.close();
  w.end(cell);
  w.get(cx).i32Const(1).i32Add().set(cx);
  cells.close();
  w.get(cy).i32Const(1).i32Add().set(cy);
  rows.close();
  w.get(dz);
}

/** Locals splatted from f64 parameters. */
function splats(w: FunctionWriter, params: readonly Local[]): Local[] {
  return params.map((p) => {
    const l = w.local(v128);
    w.get(p).f64x2Splat().set(l);
    return l;
  });
}

/**
 * `interp3(n, m, baseX, baseY, wx, wy, phi, out)`: ../tsneFft.ts's `interpolate3`, byte addresses;
 * one f64x2 carries a node's two potentials (phi is interleaved), so each stencil row is three
 * multiply-adds. Same operations in the same order as the JavaScript, so the same bits.
 */
function writeInterp3(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('interp3', [i32, i32, i32, i32, i32, i32, i32, i32], []);
  const [n, gridSide, baseX, baseY, wx, wy, phi, out] = w.params;
  const i = w.local(i32);
  const wo = w.local(i32);
  const at = w.local(i32);
  const rowBytes = w.local(i32);
  const [x0, x1, x2, f] = Array.from({ length: 4 }, () => w.local(v128));
  w.get(gridSide).i32Const(4).i32Shl().set(rowBytes);
  const points = whileLess(w, i, n);
  // wo = byte offset of the point's three weights; x0 … x2 splatted.
  w.get(i).i32Const(3).i32Mul().i32Const(3).i32Shl().set(wo);
  w.get(wx).get(wo).i32Add().v128Load64Splat().set(x0);
  w.get(wx).get(wo).i32Add().v128Load64Splat(8).set(x1);
  w.get(wx).get(wo).i32Add().v128Load64Splat(16).set(x2);
  // at = &phi[2·(baseY·m + baseX)]
  w.get(baseY).get(i).i32Const(2).i32Shl().i32Add().i32Load().get(gridSide).i32Mul();
  w.get(baseX).get(i).i32Const(2).i32Shl().i32Add().i32Load().i32Add().i32Const(4).i32Shl().get(phi).i32Add().set(at);
  w.f64x2Const(0).set(f);
  for (let b = 0; b < 3; b++) {
    // f += wy[b] · ((x0·φ0 + x1·φ1) + x2·φ2)
    w.get(f);
    w.get(wy).get(wo).i32Add().v128Load64Splat(8 * b);
    w.get(x0).get(at).v128Load().f64x2Mul();
    w.get(x1).get(at).v128Load(16).f64x2Mul().f64x2Add();
    w.get(x2).get(at).v128Load(32).f64x2Mul().f64x2Add();
    w.f64x2Mul().f64x2Add().set(f);
    if (b < 2) w.get(at).get(rowBytes).i32Add().set(at);
  }
  w.get(out).get(i).i32Const(4).i32Shl().i32Add().get(f).v128Store();
  w.get(i).i32Const(1).i32Add().set(i);
  points.close();
}

/** The module's bytes. */
export function tsneSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter();
  writeAttract(m);
  writeNear(m);
  writeInterp3(m);
  return m.encode();
}

interface TsneSimdExports {
  interp3(n: number, m: number, baseX: number, baseY: number, wx: number, wy: number, phi: number, out: number): void;
  attract(rowStart: number, rowEnd: number, y: number, out: number, rowPtr: number, columns: number, values: number): void;
  near(
    cyStart: number,
    cyEnd: number,
    side: number,
    reach: number,
    xs: number,
    ys: number,
    fxs: number,
    fys: number,
    cellStart: number,
    ...radius2AndCoefficients: number[]
  ): number;
}

function isTsneSimdExports(e: WebAssembly.Exports): e is WebAssembly.Exports & TsneSimdExports {
  return typeof e.attract === 'function' && typeof e.near === 'function' && typeof e.interp3 === 'function';
}

/** Compiled once per worker; null where WebAssembly or its SIMD is missing (or compiling failed). */
const modules = new ModuleCache();
const compiledModule = (): WebAssembly.Module | null => modules.get('tsne', tsneSimdModuleBytes);

/** True where the SIMD kernel can run. */
export function tsneSimdSupported(): boolean {
  return compiledModule() !== null;
}

/** `attractivePairForces` for one fixed set of pairs, in WebAssembly SIMD. */
export class AttractionSimd {
  private readonly exports: TsneSimdExports;
  private readonly n: number;
  private readonly yView: Float64Array;
  private readonly outView: Float64Array;
  private readonly at: { y: number; out: number; rowPtr: number; columns: number; values: number };

  private constructor(exports: TsneSimdExports, memory: WebAssembly.Memory, pairs: AffinityPairs, at: AttractionSimd['at']) {
    this.exports = exports;
    this.n = pairs.n;
    this.at = at;
    const buffer = memory.buffer;
    const n = pairs.n;
    const count = pairs.rowPtr[n];
    this.yView = new Float64Array(buffer, at.y, 2 * n);
    this.outView = new Float64Array(buffer, at.out, 2 * n);
    new Int32Array(buffer, at.rowPtr, n + 1).set(pairs.rowPtr.subarray(0, n + 1));
    new Int32Array(buffer, at.columns, count).set(pairs.columns.subarray(0, count));
    new Float64Array(buffer, at.values, count).set(pairs.values.subarray(0, count));
  }

  /** A kernel for `pairs`, or null where SIMD is unavailable or the memory cannot be had. */
  static create(pairs: AffinityPairs): AttractionSimd | null {
    const module = compiledModule();
    if (!module) return null;
    const n = pairs.n;
    const count = pairs.rowPtr[n];
    let top = 16;
    const reserve = (bytes: number): number => {
      const address = top;
      top += Math.ceil(bytes / 16) * 16;
      return address;
    };
    const at = { y: reserve(16 * n), out: reserve(16 * n), values: reserve(8 * count), rowPtr: reserve(4 * (n + 1)), columns: reserve(4 * count) };
    const kernels = instantiateKernels(module, top, isTsneSimdExports);
    return kernels ? new AttractionSimd(kernels.exports, kernels.memory, pairs, at) : null;
  }

  /** out = Σ over the pairs, as `attractivePairForces` into a zeroed `out` (overwrites out[0 … 2n)). */
  compute(y: Float64Array, out: Float64Array): void {
    const n = this.n;
    this.yView.set(y.subarray(0, 2 * n));
    this.outView.fill(0);
    const { at } = this;
    this.exports.attract(0, n, at.y, at.out, at.rowPtr, at.columns, at.values);
    out.set(this.outView);
  }
}

/** The near-field point arrays: cell-ordered coordinates and the forces on them. */
export interface NearFieldArrays {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  readonly fxs: Float64Array;
  readonly fys: Float64Array;
}

/** Every buffer of one `FftRepulsion` pass, as views of `RepulsionSimd`'s memory. */
export interface RepulsionViews extends NearFieldArrays {
  readonly cellStart: Int32Array;
  readonly cellOf: Int32Array;
  readonly sortedIndex: Int32Array;
  /** Stencil origins and Lagrange weights (`nodes` per point and axis) of the cell-ordered points. */
  readonly baseX: Int32Array;
  readonly baseY: Int32Array;
  readonly wx: Float64Array;
  readonly wy: Float64Array;
  /** Interpolated forces of the cell-ordered points, (x, y) interleaved. */
  readonly interp: Float64Array;
  /** Potentials on the grid, (x, y) interleaved. */
  readonly phi: Float64Array;
}

/**
 * The SIMD kernels of ../tsneFft.ts's `FftRepulsion`: `nearPairs` and `interpolate3` on buffers in
 * the kernels' memory. The caller fills them through `reserve`'s views (valid until the next
 * `reserve`), then calls the kernels.
 */
export class RepulsionSimd {
  private exports: TsneSimdExports;
  private readonly memory: WebAssembly.Memory;
  private capacity = { points: 0, cells: 0, gridCells: 0, nodes: 0 };
  private views: RepulsionViews | null = null;
  private at: Record<keyof RepulsionViews, number> | null = null;

  private constructor(exports: TsneSimdExports, memory: WebAssembly.Memory) {
    this.exports = exports;
    this.memory = memory;
  }

  /** The kernels, or null where SIMD is unavailable. */
  static create(): RepulsionSimd | null {
    const module = compiledModule();
    if (!module) return null;
    const kernels = instantiateKernels(module, 65536, isTsneSimdExports);
    return kernels ? new RepulsionSimd(kernels.exports, kernels.memory) : null;
  }

  /**
   * Views for at least `points` points with `nodes` interpolation nodes per axis, `cells` cell
   * offsets and a grid of `gridCells` nodes (contents undefined; earlier views may be detached).
   */
  reserve(points: number, cells: number, gridCells: number, nodes: number): RepulsionViews {
    const c = this.capacity;
    if (this.views && points <= c.points && cells <= c.cells && gridCells <= c.gridCells && nodes <= c.nodes) return this.views;
    // Some slack, so a slowly growing cell list does not re-lay the memory every iteration.
    this.capacity = {
      points: Math.max(points, c.points),
      cells: Math.max(Math.ceil(cells * 1.25), c.cells),
      gridCells: Math.max(gridCells, c.gridCells),
      nodes: Math.max(nodes, c.nodes),
    };
    const { points: n, cells: cellCount, gridCells: g, nodes: p } = this.capacity;
    const sizes: Record<keyof RepulsionViews, number> = {
      xs: 8 * n, ys: 8 * n, fxs: 8 * n, fys: 8 * n, wx: 8 * p * n, wy: 8 * p * n, interp: 16 * n, phi: 16 * g, // prettier-ignore
      baseX: 4 * n, baseY: 4 * n, sortedIndex: 4 * n, cellOf: 4 * n, cellStart: 4 * cellCount, // prettier-ignore
    };
    let top = 16;
    const at = {} as Record<keyof RepulsionViews, number>;
    for (const key of Object.keys(sizes) as (keyof RepulsionViews)[]) {
      at[key] = top;
      top += Math.ceil(sizes[key] / 16) * 16 + 16;
    }
    if (top >= 2 ** 31) throw new Error('FFT repulsion buffers exceed the 2 GiB the kernels can address');
    const pages = Math.ceil(top / 65536) - this.memory.buffer.byteLength / 65536;
    if (pages > 0) this.memory.grow(pages);
    const buffer = this.memory.buffer;
    const f64 = (key: keyof RepulsionViews): Float64Array => new Float64Array(buffer, at[key], sizes[key] / 8);
    const i32s = (key: keyof RepulsionViews): Int32Array => new Int32Array(buffer, at[key], sizes[key] / 4);
    this.at = at;
    this.views = {
      xs: f64('xs'), ys: f64('ys'), fxs: f64('fxs'), fys: f64('fys'), wx: f64('wx'), wy: f64('wy'), interp: f64('interp'), phi: f64('phi'), // prettier-ignore
      baseX: i32s('baseX'), baseY: i32s('baseY'), sortedIndex: i32s('sortedIndex'), cellOf: i32s('cellOf'), cellStart: i32s('cellStart'), // prettier-ignore
    };
    return this.views;
  }

  private addresses(): Record<keyof RepulsionViews, number> {
    if (!this.at) throw new Error('RepulsionSimd: reserve() before the kernels');
    return this.at;
  }

  /** `nearPairs(cyStart, cyEnd, side, reach, cellStart, xs, ys, fxs, fys, split)` on the reserved arrays. */
  nearPairs(cyStart: number, cyEnd: number, side: number, reach: number, split: { radius2: number; c1: Float64Array; c2: Float64Array }): number {
    const { c1, c2 } = split;
    const at = this.addresses();
    return this.exports.near(cyStart, cyEnd, side, reach, at.xs, at.ys, at.fxs, at.fys, at.cellStart, split.radius2, c1[0], c1[1], c1[2], c1[3], c2[0], c2[1], c2[2], c2[3]);
  }

  /** `interpolate3(phi, m, n, baseX, baseY, wx, wy, interp)` on the reserved arrays (3 nodes per axis). */
  interpolate3(n: number, m: number): void {
    const at = this.addresses();
    this.exports.interp3(n, m, at.baseX, at.baseY, at.wx, at.wy, at.phi, at.interp);
  }
}
