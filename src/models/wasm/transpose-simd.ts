/**
 * A WebAssembly SIMD kernel for the transposes training runs: every one of them, once size-1 axes are dropped
 * and axes that stay neighbours are merged, swaps two middle blocks of axes, [A, B, C, D] → [A, C, B, D].
 *   - The convolutions' space-to-depth and depth-to-space ([b·h, 2, w, 2·c] ↔ [b·h, w, 2, 2·c], see
 *     ../conv-layers) and their gradients: D = 2·c float32 values (2 to 128) copied as a whole.
 *   - 2-D transposes ([K, N] → [N, K]) of weights and the dense layers' operands: A = D = 1.
 * tfjs-backend-wasm 4.22 moves such tensors one element at a time through a general index loop; this kernel
 * copies each D-value run with 16-byte loads and stores. Measured in a CNN training step (Node, one thread): the
 * [1792, 2, 7, 64] transposes 1.2 → 1.0 ms a call (6.4 MB in and out: bound by memory), [3584, 2, 14, 2] 0.4 →
 * 0.2 ms, all 17 of a step 6.2 → 4.9 ms. A transpose only moves values, so the result is tfjs's bit for bit.
 */

import { kernelsOnMemory, standaloneKernels, ModuleCache, ModuleWriter, ValType, whileLess } from '../../analysis/wasm/encoder';

const { i32 } = ValType;

/** A transpose as a swap of two blocks of axes: [a, b, c, d] → [a, c, b, d] (d counts elements). */
export interface BlockSwap {
  a: number;
  b: number;
  c: number;
  d: number;
}

/**
 * The transpose of a tensor of `shape` by `perm` as one block swap, or null when it is not one (for example
 * [2, 0, 1] on three axes of size > 1). Size-1 axes are dropped first, then axes that are neighbours both
 * before and after merge into one; what is left must be one axis (a copy), [1, 0], [0, 2, 1], [1, 0, 2] or
 * [0, 2, 1, 3].
 */
export function blockSwapOf(shape: readonly number[], perm: readonly number[]): BlockSwap | null {
  if (perm.length !== shape.length) return null;
  // The output's axes in order, as input axes numbered without those of size 1 (so that axes with only
  // size-1 axes between them are neighbours).
  const reducedIndex = shape.map((_, axis) => shape.slice(0, axis).filter((size) => size !== 1).length);
  const kept = perm.filter((axis) => shape[axis] !== 1).map((axis) => reducedIndex[axis]);
  const reducedShape = shape.filter((size) => size !== 1);
  // Runs of consecutive input axes in output order merge into one group each.
  const groups: { first: number; last: number; size: number }[] = [];
  for (const axis of kept) {
    const group = groups.at(-1);
    if (group !== undefined && axis === group.last + 1) {
      group.last = axis;
      group.size *= reducedShape[axis];
    } else {
      groups.push({ first: axis, last: axis, size: reducedShape[axis] });
    }
  }
  // The groups in input order; p[i]: the input position of the output's group i.
  const inputOrder = [...groups].sort((g, h) => g.first - h.first);
  const p = groups.map((g) => inputOrder.indexOf(g));
  const s = inputOrder.map((g) => g.size);
  const is = (...want: number[]) => p.length === want.length && p.every((v, i) => v === want[i]);
  if (p.length === 0) return { a: 1, b: 1, c: 1, d: 1 };
  if (p.length === 1) return { a: 1, b: 1, c: 1, d: s[0] };
  if (is(1, 0)) return { a: 1, b: s[0], c: s[1], d: 1 };
  if (is(0, 2, 1)) return { a: s[0], b: s[1], c: s[2], d: 1 };
  if (is(1, 0, 2)) return { a: 1, b: s[0], c: s[1], d: s[2] };
  if (is(0, 2, 1, 3)) return { a: s[0], b: s[1], c: s[2], d: s[3] };
  return null;
}

/**
 * [a, b, c, d] → [a, c, b, d] in JavaScript: the kernel's result, for tests (on the bits as Uint32Array, or on
 * values: a NaN read from a Float32Array may come back with another payload).
 */
export function swapBlocksReference<T extends Float32Array | Uint32Array>(x: T, { a, b, c, d }: BlockSwap): T {
  const out = new (x.constructor as new (length: number) => T)(a * b * c * d);
  let o = 0;
  for (let ia = 0; ia < a; ia++) {
    for (let ic = 0; ic < c; ic++) {
      for (let ib = 0; ib < b; ib++) {
        const from = ((ia * b + ib) * c + ic) * d;
        for (let t = 0; t < d; t++) out[o++] = x[from + t];
      }
    }
  }
  return out;
}

/**
 * `swapBlocks(a, b, c, runBytes, src, dst)`: byte addresses; runBytes = 4·d. The output is written in order;
 * each run is copied 16 bytes at a time, then 8 and 4 for the rest (plain loads and stores: bits move as they are).
 */
function writeSwapBlocks(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('swapBlocks', [i32, i32, i32, i32, i32, i32], []);
  const [a, b, c, runBytes, src, dst] = w.params;
  const lineBytes = w.local(i32); // one [c, d] line of the input
  const ia = w.local(i32);
  const ib = w.local(i32);
  const ic = w.local(i32);
  const p = w.local(i32);
  const q = w.local(i32);
  const base = w.local(i32);
  const offset = w.local(i32);
  const vectorEnd = w.local(i32);

  w.get(c).get(runBytes).i32Mul().set(lineBytes);
  w.get(runBytes).i32Const(~15).i32And().set(vectorEnd);
  w.get(dst).set(q);
  w.get(src).set(base);
  w.i32Const(0).set(ia);
  const overA = whileLess(w, ia, a);
  w.i32Const(0).set(ic);
  const overC = whileLess(w, ic, c);
  // p = base + ic·runBytes: run (ia, 0, ic) of the input.
  w.get(base).get(ic).get(runBytes).i32Mul().i32Add().set(p);
  w.i32Const(0).set(ib);
  const overB = whileLess(w, ib, b);
  w.i32Const(0).set(offset);
  const vectors = whileLess(w, offset, vectorEnd);
  w.get(q).get(offset).i32Add().get(p).get(offset).i32Add().v128Load(0).v128Store(0);
  w.get(offset).i32Const(16).i32Add().set(offset);
  vectors.close();
  // The last 8 and 4 bytes of the run, where runBytes mod 16 leaves them.
  const no8 = w.block();
  w.get(runBytes).i32Const(8).i32And().i32Eqz().brIf(no8);
  w.get(q).get(offset).i32Add().get(p).get(offset).i32Add().f64Load(0).f64Store(0);
  w.get(offset).i32Const(8).i32Add().set(offset);
  w.end(no8);
  const no4 = w.block();
  w.get(runBytes).i32Const(4).i32And().i32Eqz().brIf(no4);
  w.get(q).get(offset).i32Add().get(p).get(offset).i32Add().i32Load(0).i32Store(0);
  w.end(no4);
  w.get(q).get(runBytes).i32Add().set(q);
  w.get(p).get(lineBytes).i32Add().set(p);
  w.get(ib).i32Const(1).i32Add().set(ib);
  overB.close();
  w.get(ic).i32Const(1).i32Add().set(ic);
  overC.close();
  w.get(base).get(b).get(lineBytes).i32Mul().i32Add().set(base);
  w.get(ia).i32Const(1).i32Add().set(ia);
  overA.close();
}

/** The module's bytes, importing a shared memory (threaded tfjs-wasm) or a plain one. */
export function transposeModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter(shared);
  writeSwapBlocks(m);
  return m.encode();
}

export interface TransposeExports {
  swapBlocks(a: number, b: number, c: number, runBytes: number, src: number, dst: number): void;
}

function isTransposeExports(e: WebAssembly.Exports): e is WebAssembly.Exports & TransposeExports {
  return typeof e.swapBlocks === 'function';
}

const modules = new ModuleCache();

/** The kernel on `memory` (another module's, shared or not), or null where WebAssembly SIMD is unavailable. */
export function transposeKernels(memory: WebAssembly.Memory): TransposeExports | null {
  return kernelsOnMemory(modules, memory, transposeModuleBytes, isTransposeExports);
}

/** The kernel on a fresh memory of `bytes` bytes (for tests), with the memory, or null. */
export function standaloneTransposeKernels(bytes: number): { exports: TransposeExports; memory: WebAssembly.Memory } | null {
  return standaloneKernels(modules, bytes, transposeModuleBytes, isTransposeExports);
}
