/**
 * WebAssembly SIMD versions of the column loops of ../fft.ts's `difRows` and `ditRows`: their butterflies
 * combine whole rows with one twiddle, so two neighbouring columns go through the same operations in
 * one f64x2 each. Every lane computes exactly the JavaScript's expression in the JavaScript's order
 * (no fused operations), so the transforms agree bit for bit and the JavaScript stays the fallback
 * where WebAssembly SIMD is missing and the reference in tests.
 *
 * The JavaScript keeps the outer loops (stages, butterfly groups, twiddles) and calls a kernel per
 * pair of rows or group of four rows, for a run of columns: with 128 or more columns per call the
 * call costs little. A column left over from an odd count goes through the JavaScript loop (the
 * columns are independent transforms).
 */

import { difRows, ditRows, type FftPlan } from '../fft';
import { type FunctionWriter, instantiateKernels, type Local, ModuleCache, ModuleWriter, ValType } from './encoder';

const { i32, f64, v128 } = ValType;

/** Byte offset of a column run: the kernels step 16 bytes (two columns) from `start` to `end`. */
function columnLoop(w: FunctionWriter, offset: Local, end: Local): { close: () => void } {
  const exit = w.block();
  const top = w.loop();
  w.get(offset).get(end).i32GeU().brIf(exit);
  return {
    close: () => {
      w.get(offset).i32Const(16).i32Add().set(offset);
      w.br(top);
      w.end(top);
      w.end(exit);
    },
  };
}

/** Pushes (xr·wr − xi·wi) then stores nothing: the real part of x·w, all f64x2 locals. */
function mulRe(w: FunctionWriter, xr: Local, xi: Local, wr: Local, wi: Local): void {
  w.get(xr).get(wr).f64x2Mul().get(xi).get(wi).f64x2Mul().f64x2Sub();
}

/** Pushes (xr·wi + xi·wr): the imaginary part of x·w. */
function mulIm(w: FunctionWriter, xr: Local, xi: Local, wr: Local, wi: Local): void {
  w.get(xr).get(wi).f64x2Mul().get(xi).get(wr).f64x2Mul().f64x2Add();
}

/** Local ← v128.load(base + offset). */
function load(w: FunctionWriter, base: Local, offset: Local, into: Local): void {
  w.get(base).get(offset).i32Add().v128Load().set(into);
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
 * `dif4(re0, re1, re2, re3, im0, im1, im2, im3, start, end, w1r, w1i, w2r, w2i, w3r, w3i)`: one radix-4
 * step of `difRows` on rows whose byte addresses are re0 … im3, for byte offsets [start, end).
 */
function writeDif4(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('dif4', [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64], []);
  const [re0, re1, re2, re3, im0, im1, im2, im3, o, end, ...tw] = w.params;
  const [w1r, w1i, w2r, w2i, w3r, w3i] = splats(w, tw);
  const [a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, b0r, b0i, b1r, b1i, dr, di, er, ei, xr, xi] = Array.from({ length: 18 }, () => w.local(v128));
  const loop = columnLoop(w, o, end);
  load(w, re0, o, a0r);
  load(w, im0, o, a0i);
  load(w, re1, o, a1r);
  load(w, im1, o, a1i);
  load(w, re2, o, a2r);
  load(w, im2, o, a2i);
  load(w, re3, o, a3r);
  load(w, im3, o, a3i);
  w.get(a0r).get(a2r).f64x2Add().set(b0r);
  w.get(a0i).get(a2i).f64x2Add().set(b0i);
  w.get(a1r).get(a3r).f64x2Add().set(b1r);
  w.get(a1i).get(a3i).f64x2Add().set(b1i);
  w.get(a0r).get(a2r).f64x2Sub().set(dr);
  w.get(a0i).get(a2i).f64x2Sub().set(di);
  w.get(a1i).get(a3i).f64x2Sub().set(er);
  w.get(a3r).get(a1r).f64x2Sub().set(ei);
  w.get(re0).get(o).i32Add().get(b0r).get(b1r).f64x2Add().v128Store();
  w.get(im0).get(o).i32Add().get(b0i).get(b1i).f64x2Add().v128Store();
  // f = b0 − b1 → row 1 times w2; g = d + e → row 2 times w1; h = d − e → row 3 times w3.
  const twiddled = (xrSrc: [Local, Local, 'add' | 'sub'], xiSrc: [Local, Local, 'add' | 'sub'], wr: Local, wi: Local, reDst: Local, imDst: Local): void => {
    w.get(xrSrc[0]).get(xrSrc[1]);
    if (xrSrc[2] === 'add') w.f64x2Add();
    else w.f64x2Sub();
    w.set(xr);
    w.get(xiSrc[0]).get(xiSrc[1]);
    if (xiSrc[2] === 'add') w.f64x2Add();
    else w.f64x2Sub();
    w.set(xi);
    w.get(reDst).get(o).i32Add();
    mulRe(w, xr, xi, wr, wi);
    w.v128Store();
    w.get(imDst).get(o).i32Add();
    mulIm(w, xr, xi, wr, wi);
    w.v128Store();
  };
  twiddled([b0r, b1r, 'sub'], [b0i, b1i, 'sub'], w2r, w2i, re1, im1);
  twiddled([dr, er, 'add'], [di, ei, 'add'], w1r, w1i, re2, im2);
  twiddled([dr, er, 'sub'], [di, ei, 'sub'], w3r, w3i, re3, im3);
  loop.close();
}

/**
 * `dit4(re0 … im3, start, end, w1r, w1i, w2r, w2i, w3r, w3i)`: one radix-4 step of `ditRows` (the
 * twiddles already conjugated by the caller, as `ditRows` does).
 */
function writeDit4(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('dit4', [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64], []);
  const [re0, re1, re2, re3, im0, im1, im2, im3, o, end, ...tw] = w.params;
  const [w1r, w1i, w2r, w2i, w3r, w3i] = splats(w, tw);
  const [a0r, a0i, xr, xi, t1r, t1i, t2r, t2i, t3r, t3i, b0r, b0i, b1r, b1i, pr, pi, sr, si] = Array.from({ length: 18 }, () => w.local(v128));
  const loop = columnLoop(w, o, end);
  load(w, re0, o, a0r);
  load(w, im0, o, a0i);
  const product = (reSrc: Local, imSrc: Local, wr: Local, wi: Local, tr: Local, ti: Local): void => {
    load(w, reSrc, o, xr);
    load(w, imSrc, o, xi);
    mulRe(w, xr, xi, wr, wi);
    w.set(tr);
    mulIm(w, xr, xi, wr, wi);
    w.set(ti);
  };
  product(re1, im1, w2r, w2i, t1r, t1i);
  product(re2, im2, w1r, w1i, t2r, t2i);
  product(re3, im3, w3r, w3i, t3r, t3i);
  w.get(a0r).get(t1r).f64x2Add().set(b0r);
  w.get(a0i).get(t1i).f64x2Add().set(b0i);
  w.get(a0r).get(t1r).f64x2Sub().set(b1r);
  w.get(a0i).get(t1i).f64x2Sub().set(b1i);
  w.get(t2r).get(t3r).f64x2Add().set(pr);
  w.get(t2i).get(t3i).f64x2Add().set(pi);
  w.get(t3i).get(t2i).f64x2Sub().set(sr);
  w.get(t2r).get(t3r).f64x2Sub().set(si);
  const store = (dst: Local, x: Local, y: Local, op: 'add' | 'sub'): void => {
    w.get(dst).get(o).i32Add().get(x).get(y);
    if (op === 'add') w.f64x2Add();
    else w.f64x2Sub();
    w.v128Store();
  };
  store(re0, b0r, pr, 'add');
  store(im0, b0i, pi, 'add');
  store(re2, b0r, pr, 'sub');
  store(im2, b0i, pi, 'sub');
  store(re1, b1r, sr, 'add');
  store(im1, b1i, si, 'add');
  store(re3, b1r, sr, 'sub');
  store(im3, b1i, si, 'sub');
  loop.close();
}

/** `radix2(reA, reB, imA, imB, start, end)`: a' = a + b, b' = a − b (twiddle 1), both transforms' radix-2 stage. */
function writeRadix2(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('radix2', [i32, i32, i32, i32, i32, i32], []);
  const [reA, reB, imA, imB, o, end] = w.params;
  const [ar, ai, br, bi] = Array.from({ length: 4 }, () => w.local(v128));
  const loop = columnLoop(w, o, end);
  load(w, reA, o, ar);
  load(w, imA, o, ai);
  load(w, reB, o, br);
  load(w, imB, o, bi);
  w.get(reA).get(o).i32Add().get(ar).get(br).f64x2Add().v128Store();
  w.get(imA).get(o).i32Add().get(ai).get(bi).f64x2Add().v128Store();
  w.get(reB).get(o).i32Add().get(ar).get(br).f64x2Sub().v128Store();
  w.get(imB).get(o).i32Add().get(ai).get(bi).f64x2Sub().v128Store();
  loop.close();
}

/** `difFirst(reA, reB, imA, imB, start, end, wr, wi)`: `difRows`' first stage on zero upper rows, b' = a·w. */
function writeDifFirst(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('difFirst', [i32, i32, i32, i32, i32, i32, f64, f64], []);
  const [reA, reB, imA, imB, o, end, twr, twi] = w.params;
  const [wr, wi] = splats(w, [twr, twi]);
  const [ar, ai] = Array.from({ length: 2 }, () => w.local(v128));
  const loop = columnLoop(w, o, end);
  load(w, reA, o, ar);
  load(w, imA, o, ai);
  w.get(reB).get(o).i32Add();
  mulRe(w, ar, ai, wr, wi);
  w.v128Store();
  w.get(imB).get(o).i32Add();
  mulIm(w, ar, ai, wr, wi);
  w.v128Store();
  loop.close();
}

/** `ditLast(reA, reB, imA, imB, start, end, wr, wi)`: `ditRows`' pruned last stage, a' = a + b·w. */
function writeDitLast(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('ditLast', [i32, i32, i32, i32, i32, i32, f64, f64], []);
  const [reA, reB, imA, imB, o, end, twr, twi] = w.params;
  const [wr, wi] = splats(w, [twr, twi]);
  const [br, bi, at] = [w.local(v128), w.local(v128), w.local(i32)];
  const loop = columnLoop(w, o, end);
  load(w, reB, o, br);
  load(w, imB, o, bi);
  w.get(reA).get(o).i32Add().tee(at).get(at).v128Load();
  mulRe(w, br, bi, wr, wi);
  w.f64x2Add().v128Store();
  w.get(imA).get(o).i32Add().tee(at).get(at).v128Load();
  mulIm(w, br, bi, wr, wi);
  w.f64x2Add().v128Store();
  loop.close();
}

/**
 * `cmul(sr, si, kr, ki, ar, ai, count)`: a = s·k elementwise over `count` (even) complex values,
 * as `convolvePair`'s first loop: ar = sr·kr − si·ki, ai = sr·ki + si·kr.
 */
function writeCmul(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('cmul', [i32, i32, i32, i32, i32, i32, i32], []);
  const [sr, si, kr, ki, ar, ai, count] = w.params;
  const [a, b, c, d] = Array.from({ length: 4 }, () => w.local(v128));
  const o = w.local(i32);
  const end = w.local(i32);
  w.get(count).i32Const(3).i32Shl().set(end);
  const loop = columnLoop(w, o, end);
  load(w, sr, o, a);
  load(w, si, o, b);
  load(w, kr, o, c);
  load(w, ki, o, d);
  w.get(ar).get(o).i32Add();
  mulRe(w, a, b, c, d);
  w.v128Store();
  w.get(ai).get(o).i32Add();
  mulIm(w, a, b, c, d);
  w.v128Store();
  loop.close();
}

/**
 * `cmulMirror(srEnd, siEnd, kr, ki, ar, ai, count)`: `convolvePair`'s second loop, a = conj(s
 * read backwards)·k: element t takes s at srEnd − 8·t (bytes), negated imaginary part.
 */
function writeCmulMirror(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('cmulMirror', [i32, i32, i32, i32, i32, i32, i32], []);
  const [srEnd, siEnd, kr, ki, ar, ai, count] = w.params;
  const [a, b, c, d] = Array.from({ length: 4 }, () => w.local(v128));
  const o = w.local(i32);
  const end = w.local(i32);
  w.get(count).i32Const(3).i32Shl().set(end);
  const loop = columnLoop(w, o, end);
  // Elements t, t + 1 of the mirror are at srEnd − 8t and srEnd − 8t − 8: one load from the lower, lanes swapped.
  w.get(srEnd).get(o).i32Sub().i32Const(8).i32Sub().v128Load().tee(a).get(a).f64x2SwapLanes().set(a);
  w.get(siEnd).get(o).i32Sub().i32Const(8).i32Sub().v128Load().tee(b).get(b).f64x2SwapLanes().f64x2Neg().set(b);
  load(w, kr, o, c);
  load(w, ki, o, d);
  w.get(ar).get(o).i32Add();
  mulRe(w, a, b, c, d);
  w.v128Store();
  w.get(ai).get(o).i32Add();
  mulIm(w, a, b, c, d);
  w.v128Store();
  loop.close();
}

/** The module's bytes. */
export function fftSimdModuleBytes(): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter();
  writeDif4(m);
  writeDit4(m);
  writeRadix2(m);
  writeDifFirst(m);
  writeDitLast(m);
  writeCmul(m);
  writeCmulMirror(m);
  return m.encode();
}

type Rows4 = [number, number, number, number, number, number, number, number];

interface FftSimdExports {
  dif4(...args: [...Rows4, number, number, number, number, number, number, number, number]): void;
  dit4(...args: [...Rows4, number, number, number, number, number, number, number, number]): void;
  radix2(reA: number, reB: number, imA: number, imB: number, start: number, end: number): void;
  difFirst(reA: number, reB: number, imA: number, imB: number, start: number, end: number, wr: number, wi: number): void;
  ditLast(reA: number, reB: number, imA: number, imB: number, start: number, end: number, wr: number, wi: number): void;
  cmul(sr: number, si: number, kr: number, ki: number, ar: number, ai: number, count: number): void;
  cmulMirror(srEnd: number, siEnd: number, kr: number, ki: number, ar: number, ai: number, count: number): void;
}

function isFftSimdExports(e: WebAssembly.Exports): e is WebAssembly.Exports & FftSimdExports {
  return ['dif4', 'dit4', 'radix2', 'difFirst', 'ditLast', 'cmul', 'cmulMirror'].every((name) => typeof e[name] === 'function');
}

/** Compiled once per worker; null where WebAssembly or its SIMD is missing (or compiling failed). */
const modules = new ModuleCache();
const compiledModule = (): WebAssembly.Module | null => modules.get('fft', fftSimdModuleBytes);

/**
 * `count` arrays of `length` float64 each in one WebAssembly memory, and `difRows` / `ditRows` on
 * pairs of them (real, imaginary) with the column loops in SIMD.
 */
export class FftSimd {
  /** The arrays, as views of the memory (which never grows). */
  readonly arrays: Float64Array[];
  private readonly exports: FftSimdExports;

  private constructor(exports: FftSimdExports, arrays: Float64Array[]) {
    this.exports = exports;
    this.arrays = arrays;
  }

  /** The arrays and kernels, or null where WebAssembly SIMD (or the memory) is missing. */
  static create(count: number, length: number): FftSimd | null {
    const module = compiledModule();
    if (!module) return null;
    const kernels = instantiateKernels(module, 16 + count * length * 8, isFftSimdExports);
    if (!kernels) return null;
    const { exports, memory } = kernels;
    const arrays = Array.from({ length: count }, (_, a) => new Float64Array(memory.buffer, 16 + a * length * 8, length));
    return new FftSimd(exports, arrays);
  }

  /**
   * ar[o + t] + i·ai[o + t] = (sr + i·si)[o + t] · (kr + i·ki)[o + t] for t < count, all of `arrays`
   * (count even).
   */
  cmul(sr: Float64Array, si: Float64Array, kr: Float64Array, ki: Float64Array, ar: Float64Array, ai: Float64Array, o: number, count: number): void {
    const b = 8 * o;
    this.exports.cmul(sr.byteOffset + b, si.byteOffset + b, kr.byteOffset + b, ki.byteOffset + b, ar.byteOffset + b, ai.byteOffset + b, count);
  }

  /**
   * ar[o + t] + i·ai[o + t] = conj((sr + i·si)[mirror − t]) · (kr + i·ki)[o + t] for t < count, all
   * of `arrays` (count even).
   */
  cmulMirror(sr: Float64Array, si: Float64Array, mirror: number, kr: Float64Array, ki: Float64Array, ar: Float64Array, ai: Float64Array, o: number, count: number): void {
    const b = 8 * o;
    this.exports.cmulMirror(sr.byteOffset + 8 * mirror, si.byteOffset + 8 * mirror, kr.byteOffset + b, ki.byteOffset + b, ar.byteOffset + b, ai.byteOffset + b, count);
  }

  /** `difRows(re, im, …)` for two of `arrays`, bit for bit. */
  difRows(re: Float64Array, im: Float64Array, stride: number, colStart: number, colEnd: number, plan: FftPlan, upperHalfZero: boolean): void {
    const even = colEnd - ((colEnd - colStart) & 1);
    if (even > colStart) this.dif(re, im, stride, colStart, even, plan, upperHalfZero);
    if (even < colEnd) difRows(re, im, stride, even, colEnd, plan, upperHalfZero);
  }

  /** `ditRows(re, im, …)` for two of `arrays`, bit for bit. */
  ditRows(re: Float64Array, im: Float64Array, stride: number, colStart: number, colEnd: number, plan: FftPlan, lowerHalfOnly: boolean): void {
    const even = colEnd - ((colEnd - colStart) & 1);
    if (even > colStart) this.dit(re, im, stride, colStart, even, plan, lowerHalfOnly);
    if (even < colEnd) ditRows(re, im, stride, even, colEnd, plan, lowerHalfOnly);
  }

  /** `difRows`' loops (see there) for an even number of columns. */
  private dif(re: Float64Array, im: Float64Array, stride: number, colStart: number, colEnd: number, plan: FftPlan, upperHalfZero: boolean): void {
    const k = this.exports;
    const size = plan.size;
    const cosT = plan.cos;
    const sinT = plan.sin;
    const reBase = re.byteOffset;
    const imBase = im.byteOffset;
    const rowBytes = stride * 8;
    const start = colStart * 8;
    const end = colEnd * 8;
    let half = size >> 1;
    if (upperHalfZero && half >= 1) {
      for (let j = 0; j < half; j++) {
        const a = j * rowBytes;
        const b = (j + half) * rowBytes;
        k.difFirst(reBase + a, reBase + b, imBase + a, imBase + b, start, end, cosT[j], sinT[j]);
      }
      half >>= 1;
    }
    for (; half >= 2; half >>= 2) {
      const q = half >> 1;
      const twStep = size / (4 * q);
      for (let group = 0; group < size; group += 4 * q) {
        for (let j = 0; j < q; j++) {
          const t1 = j * twStep;
          const r0 = (group + j) * rowBytes;
          const r1 = r0 + q * rowBytes;
          const r2 = r1 + q * rowBytes;
          const r3 = r2 + q * rowBytes;
          k.dif4(
            reBase + r0, reBase + r1, reBase + r2, reBase + r3, imBase + r0, imBase + r1, imBase + r2, imBase + r3, // prettier-ignore
            start, end, cosT[t1], sinT[t1], cosT[2 * t1], sinT[2 * t1], cosT[3 * t1], sinT[3 * t1], // prettier-ignore
          );
        }
      }
    }
    if (half === 1) {
      for (let group = 0; group < size; group += 2) {
        const a = group * rowBytes;
        const b = a + rowBytes;
        k.radix2(reBase + a, reBase + b, imBase + a, imBase + b, start, end);
      }
    }
  }

  /** `ditRows`' loops (see there) for an even number of columns. */
  private dit(re: Float64Array, im: Float64Array, stride: number, colStart: number, colEnd: number, plan: FftPlan, lowerHalfOnly: boolean): void {
    const k = this.exports;
    const size = plan.size;
    const cosT = plan.cos;
    const sinT = plan.sin;
    const reBase = re.byteOffset;
    const imBase = im.byteOffset;
    const rowBytes = stride * 8;
    const start = colStart * 8;
    const end = colEnd * 8;
    const lastHalf = size >> 1;
    const limit = lowerHalfOnly ? lastHalf >> 1 : lastHalf;
    let half = 1;
    if (limit >= 1 && (Math.log2(limit) + 1) % 2 === 1) {
      for (let group = 0; group < size; group += 2) {
        const a = group * rowBytes;
        const b = a + rowBytes;
        k.radix2(reBase + a, reBase + b, imBase + a, imBase + b, start, end);
      }
      half = 2;
    }
    for (let q = half; 2 * q <= limit; q <<= 2) {
      const twStep = size / (4 * q);
      for (let group = 0; group < size; group += 4 * q) {
        for (let j = 0; j < q; j++) {
          const t1 = j * twStep;
          const r0 = (group + j) * rowBytes;
          const r1 = r0 + q * rowBytes;
          const r2 = r1 + q * rowBytes;
          const r3 = r2 + q * rowBytes;
          k.dit4(
            reBase + r0, reBase + r1, reBase + r2, reBase + r3, imBase + r0, imBase + r1, imBase + r2, imBase + r3, // prettier-ignore
            start, end, cosT[t1], -sinT[t1], cosT[2 * t1], -sinT[2 * t1], cosT[3 * t1], -sinT[3 * t1], // prettier-ignore
          );
        }
      }
    }
    if (lowerHalfOnly && lastHalf >= 1) {
      for (let j = 0; j < lastHalf; j++) {
        const a = j * rowBytes;
        const b = (j + lastHalf) * rowBytes;
        k.ditLast(reBase + a, reBase + b, imBase + a, imBase + b, start, end, cosT[j], -sinT[j]);
      }
    }
  }
}
