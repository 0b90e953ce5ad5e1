/**
 * WebAssembly SIMD kernels for a layer's weight and bias gradients, dW = xᵀ·dz and db = column sums of dz, for
 * x [R, K] and dz [R, N] row-major, computed where the tensors already are — in tfjs-backend-wasm's own memory,
 * which the kernels import (see ../wasm-weight-gradient).
 *
 * Why: through tfjs these products cost more around the arithmetic than in it. XNNPACK wants the reduction
 * over the R rows (12,544–50,176 for the convolutions at batch 256) as a product with a transposed operand,
 * so every call first transposes one operand (several ns per element, one thread) and then packs the other
 * as "weights" (again, since it is a fresh tensor each step). Here xᵀ·dz is a sum of outer products of
 * rows, which reads both operands in the order they are stored: no transpose, no packing.
 *
 * dW goes in 4 × 8 tiles held in eight f32x4 accumulators; each row adds four splatted x values times two
 * loaded vectors of dz. Rows come in blocks of {@link ROW_BLOCK} so a block of dz stays in cache while every
 * tile of dW passes over it. Each dW[k, n] sums its products in row order from +0.
 *
 * The module comes in two variants ({@link WeightGradientVariant}):
 *   - 'fused' adds each product with relaxed SIMD's multiply-add, one rounding where the CPU has FMA (as
 *     x86-64 CPUs since 2013 and ARMv8 do): 1.25× the speed of 'plain' on the CNN's layers (Node, one thread,
 *     18.2 → 14.3 ms per training step's six products; the loop issues half the arithmetic instructions).
 *     Its sums are those of {@link weightGradientFusedReference} (or, on a CPU without FMA, of the plain one).
 *   - 'plain' multiplies and adds, each product and sum rounded to float32, as {@link weightGradientReference}
 *     does, so the two agree bit for bit (the sums are XNNPACK's up to the order of float32 additions). It runs
 *     where relaxed SIMD does not (Node 20 without --experimental-wasm-relaxed-simd, older browsers).
 * Either way dW is xᵀ·dz within float32 rounding; they differ from each other by at most a few units in the
 * last place of the larger terms.
 */

import type { BlockKernel } from '../gradient-split';
import { kernelsOnMemory, standaloneKernels, type FunctionWriter, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from '../../analysis/wasm/encoder';

const { i32, v128 } = ValType;

/** Rows per block: 128 rows of dz are at most 64 KiB for the layers here (N ≤ 128) and 400 KiB at N = 784. */
export const ROW_BLOCK = 128;

/** The kernels need K a multiple of 4 and N a multiple of 8 (whole tiles). */
export function kernelShapeOk(k: number, n: number): boolean {
  return k > 0 && n > 0 && k % 4 === 0 && n % 8 === 0;
}

/** dW = xᵀ·dz in float32, each entry summed in row order from +0: the kernel's arithmetic, for tests. */
export function weightGradientReference(x: Float32Array, dz: Float32Array, rows: number, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < k; a++) {
      const v = x[r * k + a];
      for (let b = 0; b < n; b++) out[a * n + b] = out[a * n + b] + Math.fround(v * dz[r * n + b]);
    }
  }
  return out;
}

/**
 * dW = xᵀ·dz as the fused kernel sums it: each product added to its entry with one rounding. x·dz of two
 * float32 values is exact in float64, so fround(product + sum) is the fused result but where the float64 sum
 * rounds onto a float32 halfway point (double rounding; rare, and deterministic for given data).
 */
export function weightGradientFusedReference(x: Float32Array, dz: Float32Array, rows: number, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < k; a++) {
      const v = x[r * k + a];
      for (let b = 0; b < n; b++) out[a * n + b] = v * dz[r * n + b] + out[a * n + b];
    }
  }
  return out;
}

/** Column sums of dz [rows, n] in float32, row order from +0. */
export function columnSumsReference(dz: Float32Array, rows: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < rows; r++) for (let b = 0; b < n; b++) out[b] = out[b] + dz[r * n + b];
  return out;
}

/** for (counter = from; counter < limit; counter += step) { body }: call `close()` after the body. */
function forRange(w: FunctionWriter, counter: Local, from: Local | number, limit: Local, step: number): { close: () => void } {
  if (typeof from === 'number') w.i32Const(from);
  else w.get(from);
  w.set(counter);
  const loop = whileLess(w, counter, limit);
  return {
    close: () => {
      w.get(counter).i32Const(step).i32Add().set(counter);
      loop.close();
    },
  };
}

/**
 * `weightGradient(rows, k, n, x, dz, dw, k0, k1, n0, n1)`: the block k0 ≤ a < k1, n0 ≤ b < n1 of dW (k0, k1
 * multiples of 4; n0, n1 of 8), x, dz and dw byte addresses. Blocks are independent, so threads may share a dW.
 */
function writeWeightGradient(m: ModuleWriter, fused: boolean): void {
  const { writer: w } = m.addFunction('weightGradient', [i32, i32, i32, i32, i32, i32, i32, i32, i32, i32], []);
  const [rows, k, n, x, dz, dw, k0, k1, n0, n1] = w.params;
  const kBytes = w.local(i32);
  const nBytes = w.local(i32);
  const b0Bytes = w.local(i32);
  const b1Bytes = w.local(i32);
  const r0 = w.local(i32);
  const blockRows = w.local(i32);
  const a = w.local(i32);
  const b = w.local(i32);
  const r = w.local(i32);
  const xp = w.local(i32);
  const zp = w.local(i32);
  const d = [w.local(i32), w.local(i32), w.local(i32), w.local(i32)];
  const z0 = w.local(v128);
  const z1 = w.local(v128);
  const s = w.local(v128);
  const zero = w.local(v128);
  const acc = Array.from({ length: 8 }, () => w.local(v128));

  w.get(k).i32Const(2).i32Shl().set(kBytes);
  w.get(n).i32Const(2).i32Shl().set(nBytes);
  w.get(n0).i32Const(2).i32Shl().set(b0Bytes);
  w.get(n1).i32Const(2).i32Shl().set(b1Bytes);
  // The block of dW starts at +0.
  const clearRows = forRange(w, a, k0, k1, 1);
  const clearCols = forRange(w, b, b0Bytes, b1Bytes, 16);
  w.get(dw).get(a).get(nBytes).i32Mul().i32Add().get(b).i32Add().get(zero).v128Store();
  clearCols.close();
  clearRows.close();

  const blocks = forRange(w, r0, 0, rows, ROW_BLOCK);
  // blockRows = min(ROW_BLOCK, rows − r0)
  w.get(rows).get(r0).i32Sub().set(blockRows);
  w.i32Const(ROW_BLOCK).get(blockRows).i32Const(ROW_BLOCK).get(blockRows).i32LtS().select().set(blockRows);
  const tileRows = forRange(w, a, k0, k1, 4);
  const tileCols = forRange(w, b, b0Bytes, b1Bytes, 32);
  // d[i] = &dW[a + i, b/4]; load the tile.
  w.get(dw).get(a).get(nBytes).i32Mul().i32Add().get(b).i32Add().set(d[0]);
  for (let i = 1; i < 4; i++) w.get(d[i - 1]).get(nBytes).i32Add().set(d[i]);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) w.get(d[i]).v128Load(16 * j).set(acc[2 * i + j]);
  // xp = &x[r0, a], zp = &dz[r0, b/4].
  w.get(x).get(r0).get(kBytes).i32Mul().i32Add().get(a).i32Const(2).i32Shl().i32Add().set(xp);
  w.get(dz).get(r0).get(nBytes).i32Mul().i32Add().get(b).i32Add().set(zp);
  const rowLoop = forRange(w, r, 0, blockRows, 1);
  w.get(zp).v128Load(0).set(z0);
  w.get(zp).v128Load(16).set(z1);
  for (let i = 0; i < 4; i++) {
    w.get(xp).v128Load32Splat(4 * i).set(s);
    for (let j = 0; j < 2; j++) {
      const z = j === 0 ? z0 : z1;
      if (fused) w.get(s).get(z).get(acc[2 * i + j]).f32x4RelaxedMadd().set(acc[2 * i + j]);
      else w.get(acc[2 * i + j]).get(s).get(z).f32x4Mul().f32x4Add().set(acc[2 * i + j]);
    }
  }
  w.get(xp).get(kBytes).i32Add().set(xp);
  w.get(zp).get(nBytes).i32Add().set(zp);
  rowLoop.close();
  for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) w.get(d[i]).get(acc[2 * i + j]).v128Store(16 * j);
  tileCols.close();
  tileRows.close();
  blocks.close();
}

/** `columnSums(rows, n, dz, db)`: db = column sums of dz [rows, n], n a multiple of 4, 16 columns at a time. */
function writeColumnSums(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('columnSums', [i32, i32, i32, i32], []);
  const [rows, n, dz, db] = w.params;
  const nBytes = w.local(i32);
  const b = w.local(i32);
  const r = w.local(i32);
  const zp = w.local(i32);
  const width = w.local(i32);
  const acc = Array.from({ length: 4 }, () => w.local(v128));
  w.get(n).i32Const(2).i32Shl().set(nBytes);
  // Four vectors at a time while they fit, then one.
  for (const vectors of [4, 1]) {
    w.i32Const(16 * vectors).set(width);
    const exit = w.block();
    const top = w.loop();
    w.get(b).get(width).i32Add().get(nBytes).i32GtS().brIf(exit);
    for (let j = 0; j < vectors; j++) w.f64x2Const(0).set(acc[j]);
    w.get(dz).get(b).i32Add().set(zp);
    const rowLoop = forRange(w, r, 0, rows, 1);
    for (let j = 0; j < vectors; j++) w.get(acc[j]).get(zp).v128Load(16 * j).f32x4Add().set(acc[j]);
    w.get(zp).get(nBytes).i32Add().set(zp);
    rowLoop.close();
    for (let j = 0; j < vectors; j++) w.get(db).get(b).i32Add().get(acc[j]).v128Store(16 * j);
    w.get(b).get(width).i32Add().set(b);
    w.br(top);
    w.end(top);
    w.end(exit);
  }
}

/** Which arithmetic the weight gradient kernel uses (see the module's comment). */
export type WeightGradientVariant = 'fused' | 'plain';

/** The module's bytes, importing a shared memory (threaded tfjs-wasm) or a plain one. */
export function weightGradientModuleBytes(shared: boolean, variant: WeightGradientVariant): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter(shared);
  writeWeightGradient(m, variant === 'fused');
  writeColumnSums(m);
  return m.encode();
}

export interface WeightGradientExports {
  weightGradient(rows: number, k: number, n: number, x: number, dz: number, dw: number, k0: number, k1: number, n0: number, n1: number): void;
  columnSums(rows: number, n: number, dz: number, db: number): void;
}

/** The block kernel of `kernels` (../gradient-split): the same call whichever thread makes it. */
export function blockKernelOf(kernels: WeightGradientExports): BlockKernel {
  return (job, block) => kernels.weightGradient(job.rows, job.k, job.n, job.x, job.dz, job.dw, block.k0, block.k1, block.n0, block.n1);
}

function isWeightGradientExports(e: WebAssembly.Exports): e is WebAssembly.Exports & WeightGradientExports {
  return typeof e.weightGradient === 'function' && typeof e.columnSums === 'function';
}

const modules: Record<WeightGradientVariant, ModuleCache> = { fused: new ModuleCache(), plain: new ModuleCache() };

/** The kernels of `variant` on `memory`, or null where the platform cannot run them. */
function kernelsOf(variant: WeightGradientVariant, memory: WebAssembly.Memory): WeightGradientExports | null {
  return kernelsOnMemory(modules[variant], memory, (shared) => weightGradientModuleBytes(shared, variant), isWeightGradientExports);
}

/**
 * The kernels on `memory` (another module's, shared or not), or null where WebAssembly SIMD is unavailable.
 * By default the fused ones, else the plain ones; a `variant` asked for explicitly gives null where it cannot run.
 */
export function weightGradientKernels(memory: WebAssembly.Memory, variant?: WeightGradientVariant): WeightGradientExports | null {
  if (variant !== undefined) return kernelsOf(variant, memory);
  return defaultWeightGradientKernels(memory)?.kernels ?? null;
}

/** The default kernels on `memory` (the fused ones, else the plain ones) and which they are, or null. */
export function defaultWeightGradientKernels(memory: WebAssembly.Memory): { variant: WeightGradientVariant; kernels: WeightGradientExports } | null {
  for (const variant of ['fused', 'plain'] as const) {
    const kernels = kernelsOf(variant, memory);
    if (kernels !== null) return { variant, kernels };
  }
  return null;
}

/** The kernels of `variant` on a fresh memory of `bytes` bytes (for tests), with the memory, or null. */
export function standaloneWeightGradientKernels(
  bytes: number,
  variant: WeightGradientVariant = 'plain',
): { exports: WeightGradientExports; memory: WebAssembly.Memory } | null {
  return standaloneKernels(modules[variant], bytes, (shared) => weightGradientModuleBytes(shared, variant), isWeightGradientExports);
}
