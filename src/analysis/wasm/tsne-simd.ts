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
import { type FunctionWriter, type Local, ModuleWriter, ValType } from './encoder';

const { i32, v128 } = ValType;

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
  const rows = loopWhileLess(w, i, rowEnd);
  // e = rowPtr[i], end = rowPtr[i + 1]; point = y[i]; acc = 0.
  w.get(rowPtr).get(i).i32Const(2).i32Shl().i32Add().tee(at).i32Load().set(e);
  w.get(at).i32Load(4).set(end);
  w.get(y).get(i).i32Const(4).i32Shl().i32Add().v128Load().set(point);
  w.f64x2Const(0).set(acc);
  const entries = loopWhileLess(w, e, end);
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

/** while (counter < limit) { body }: the caller writes the body and bumps the counter, then `close()`. */
function loopWhileLess(w: FunctionWriter, counter: Local, limit: Local): { close: () => void } {
  const exit = w.block();
  const top = w.loop();
  w.get(counter).get(limit).i32GeS().brIf(exit);
  return {
    close: () => {
      w.br(top);
      w.end(top);
      w.end(exit);
    },
  };
}

/** The module's bytes. */
export function tsneSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter();
  writeAttract(m);
  return m.encode();
}

interface TsneSimdExports {
  attract(rowStart: number, rowEnd: number, y: number, out: number, rowPtr: number, columns: number, values: number): void;
}

function isTsneSimdExports(e: WebAssembly.Exports): e is WebAssembly.Exports & TsneSimdExports {
  return typeof e.attract === 'function';
}

/** Compiled once per worker; null where WebAssembly or its SIMD is missing (or compiling failed). */
let compiled: WebAssembly.Module | null | undefined;

function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = tsneSimdModuleBytes();
      // validate() is false without SIMD; a module this small compiles synchronously in no time.
      if (WebAssembly.validate(bytes)) compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null;
  }
  return compiled;
}

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
    // Addresses are i32 in the kernel.
    if (top >= 2 ** 31) return null;
    try {
      const memory = new WebAssembly.Memory({ initial: Math.ceil(top / 65536) });
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      return isTsneSimdExports(exports) ? new AttractionSimd(exports, memory, pairs, at) : null;
    } catch {
      return null;
    }
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
