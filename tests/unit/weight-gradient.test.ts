import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { TEST_ONLY, weightAndBiasGradients } from '../../src/models/matmul-gradient';
import { wasmWeightAndBiasGradients, wasmWeightGradient } from '../../src/models/wasm-weight-gradient';
import {
  columnSumsReference,
  ROW_BLOCK,
  standaloneWeightGradientKernels,
  weightGradientFusedReference,
  weightGradientKernels,
  weightGradientReference,
  type WeightGradientExports,
} from '../../src/models/wasm/weight-gradient-simd';

function values(length: number, seed: number, zeros = 0): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length }, () => (rng() < zeros ? 0 : rng() * 2 - 1));
}

/** xᵀ·dz in float64, the plain definition. */
function weightGradient64(x: Float32Array, dz: Float32Array, rows: number, k: number, n: number): Float64Array {
  const out = new Float64Array(k * n);
  for (let r = 0; r < rows; r++) for (let a = 0; a < k; a++) for (let b = 0; b < n; b++) out[a * n + b] += x[r * k + a] * dz[r * n + b];
  return out;
}

/**
 * Whether `kernels` fuse their multiply-adds: they sum two rows, x = [1, 1 + 2⁻²³] and dz = [−1, 1 − 2⁻²³].
 * Fused, −1 + (1 − 2⁻⁴⁶) = −2⁻⁴⁶; rounding the product first gives −1 + 1 = 0.
 */
function fuses(kernels: WeightGradientExports, memory: WebAssembly.Memory): boolean {
  const f = new Float32Array(memory.buffer, 0, 1024);
  // x [2, 4] at byte 0, dz [2, 8] at byte 64, dW [4, 8] at byte 256.
  f.fill(0, 0, 256);
  f.set([1, 1, 1, 1, 1 + 2 ** -23, 1 + 2 ** -23, 1 + 2 ** -23, 1 + 2 ** -23], 0);
  f.fill(-1, 16, 24);
  f.fill(1 - 2 ** -23, 24, 32);
  kernels.weightGradient(2, 4, 8, 0, 64, 256, 0, 4, 0, 8);
  return f[64] !== 0;
}

/** Whether the fused kernel fuses on this CPU (relaxed SIMD lets a multiply-add be fused or not). */
function fusesOnThisCpu(): boolean {
  const found = standaloneWeightGradientKernels(4096, 'fused');
  if (!found) throw new Error('no fused kernels');
  return fuses(found.exports, found.memory);
}

/**
 * The fused kernel's dW equals, bit for bit, the fused sums on a CPU with FMA and the plain ones on a CPU
 * without, and lies within float32 rounding of the exact sums (each entry a sum of R terms: within
 * 1.01·(R + 1)·2⁻²⁴·Σ|terms|).
 */
function expectFusedSums(dw: Float32Array, x: Float32Array, dz: Float32Array, rows: number, k: number, n: number): void {
  const want = (fusesOnThisCpu() ? weightGradientFusedReference : weightGradientReference)(x, dz, rows, k, n);
  expect(Array.from(dw)).toEqual(Array.from(want));
  const exact = weightGradient64(x, dz, rows, k, n);
  const magnitude = weightGradient64(x.map(Math.abs), dz.map(Math.abs), rows, k, n);
  dw.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThanOrEqual(1.01 * (rows + 1) * 2 ** -24 * magnitude[i]));
}

describe('weight gradient kernels', () => {
  // 2·ROW_BLOCK + 3 rows: two full blocks and a partial one; N = 40 leaves a single-vector tail in the column sums.
  const shapes = [
    { rows: 2 * ROW_BLOCK + 3, k: 12, n: 40 },
    { rows: 5, k: 4, n: 8 },
  ];
  for (const { rows, k, n } of shapes) {
    it(`[${rows}, ${k}]ᵀ·[${rows}, ${n}]: the kernel equals the JavaScript reference bit for bit, on any block of dW`, () => {
      const x = values(rows * k, 1, 0.3);
      const dz = values(rows * n, 2);
      const found = standaloneWeightGradientKernels(4 * (rows * k + rows * n + k * n + n) + 4096);
      if (!found) throw new Error('no SIMD kernels');
      const { exports, memory } = found;
      const [xAt, dzAt, dwAt] = [16, 16 + 4 * rows * k, 16 + 4 * (rows * k + rows * n)];
      const dbAt = dwAt + 4 * k * n;
      new Float32Array(memory.buffer, xAt, rows * k).set(x);
      new Float32Array(memory.buffer, dzAt, rows * n).set(dz);
      // Garbage first: the kernel must clear what it writes.
      new Float32Array(memory.buffer, dwAt, k * n).fill(7);
      // Three blocks: the first four rows in two column ranges (the split threads use for narrow dW), the rest whole.
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, 4, 0, 8);
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, 4, 8, n);
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 4, k, 0, n);
      exports.columnSums(rows, n, dzAt, dbAt);
      const dw = new Float32Array(memory.buffer, dwAt, k * n);
      expect(Array.from(dw)).toEqual(Array.from(weightGradientReference(x, dz, rows, k, n)));
      expect(Array.from(new Float32Array(memory.buffer, dbAt, n))).toEqual(Array.from(columnSumsReference(dz, rows, n)));
      const exact = weightGradient64(x, dz, rows, k, n);
      dw.forEach((v, i) => expect(v).toBeCloseTo(exact[i], 4));
    });
  }
});

describe('the fused weight gradient kernel (relaxed SIMD multiply-add)', () => {
  it('is what a memory gets by default, here as in the page (the unit tests run Node with relaxed SIMD)', () => {
    expect(standaloneWeightGradientKernels(4096, 'fused')).not.toBeNull();
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const kernels = weightGradientKernels(memory);
    if (!kernels) throw new Error('no kernels');
    const plain = weightGradientKernels(memory, 'plain');
    if (!plain) throw new Error('no plain kernels');
    // On a CPU with FMA the default kernels fuse and the plain ones do not.
    expect(fuses(kernels, memory)).toBe(fusesOnThisCpu());
    expect(fuses(plain, memory)).toBe(false);
  });

  it('fuses exactly where the CPU has FMA (read from /proc/cpuinfo on Linux x86-64), so the tests below check the fused sums there', () => {
    const cpuinfo = process.platform === 'linux' && process.arch === 'x64' ? readFileSync('/proc/cpuinfo', 'utf8') : null;
    const hasFma = cpuinfo === null ? null : /^flags\s*:.*\bfma\b/m.test(cpuinfo);
    expect(fusesOnThisCpu()).toBe(hasFma ?? fusesOnThisCpu());
  });

  const shapes = [
    { rows: 2 * ROW_BLOCK + 3, k: 12, n: 40 },
    { rows: 700, k: 8, n: 16 },
  ];
  for (const { rows, k, n } of shapes) {
    it(`[${rows}, ${k}]ᵀ·[${rows}, ${n}]: the fused (or, without FMA, the plain) sums, within float32 rounding of xᵀ·dz`, () => {
      const x = values(rows * k, 21, 0.3);
      const dz = values(rows * n, 22);
      const found = standaloneWeightGradientKernels(4 * (rows * k + rows * n + k * n) + 4096, 'fused');
      if (!found) throw new Error('no fused kernels');
      const { exports, memory } = found;
      const [xAt, dzAt, dwAt] = [16, 16 + 4 * rows * k, 16 + 4 * (rows * k + rows * n)];
      new Float32Array(memory.buffer, xAt, rows * k).set(x);
      new Float32Array(memory.buffer, dzAt, rows * n).set(dz);
      new Float32Array(memory.buffer, dwAt, k * n).fill(7);
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, 4, 0, n);
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 4, k, 0, n);
      const dw = new Float32Array(memory.buffer, dwAt, k * n).slice();
      expectFusedSums(dw, x, dz, rows, k, n);
      // The two arithmetics differ on this data, so the test tells them apart.
      expect(Array.from(weightGradientFusedReference(x, dz, rows, k, n))).not.toEqual(Array.from(weightGradientReference(x, dz, rows, k, n)));
    });
  }
});

describe('weight gradient kernels on a shared memory (as in the browser’s threaded tfjs-wasm)', () => {
  it('instantiate on a shared memory and compute what they compute on a plain one', () => {
    const [rows, k, n] = [ROW_BLOCK + 9, 8, 16];
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 64, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const kernels = weightGradientKernels(memory, 'plain');
    if (!kernels) throw new Error('no kernels on a shared memory');
    const x = values(rows * k, 11, 0.2);
    const dz = values(rows * n, 12);
    const [xAt, dzAt] = [64, 64 + 4 * rows * k];
    const dwAt = dzAt + 4 * rows * n;
    new Float32Array(memory.buffer, xAt, rows * k).set(x);
    new Float32Array(memory.buffer, dzAt, rows * n).set(dz);
    kernels.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, k, 0, n);
    expect(Array.from(new Float32Array(memory.buffer, dwAt, k * n))).toEqual(Array.from(weightGradientReference(x, dz, rows, k, n)));
  });
});

describe('the weight gradient kernel inside tfjs-backend-wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    TEST_ONLY.allowWeightKernel(true);
    await tf.setBackend('cpu');
  });

  it('runs on the backend’s own memory: same dW and db as tfjs’s transposed products, and no tensor leaks', () => {
    const [rows, k, n] = [300, 32, 64];
    const x = tf.tensor2d(values(rows * k, 3, 0.5), [rows, k]);
    const dz = tf.tensor2d(values(rows * n, 4), [rows, n]);
    const before = tf.memory().numTensors;
    const direct = wasmWeightAndBiasGradients(x, dz);
    if (!direct) throw new Error('the kernel did not run on wasm');
    const [dw, db] = direct;
    expect(dw.shape).toEqual([k, n]);
    expect(db.shape).toEqual([n]);
    const [xValues, dzValues] = [x.dataSync() as Float32Array, dz.dataSync() as Float32Array];
    expectFusedSums(dw.dataSync() as Float32Array, xValues, dzValues, rows, k, n);
    const viaTfjs = tf.tidy(() => [tf.matMul(x, dz, true, false).dataSync(), tf.sum(dz, 0).dataSync()]);
    dw.dataSync().forEach((v, i) => expect(v).toBeCloseTo(viaTfjs[0][i], 4));
    db.dataSync().forEach((v, i) => expect(v).toBeCloseTo(viaTfjs[1][i], 4));
    const alone = wasmWeightGradient(x, dz);
    expect(Array.from(alone?.dataSync() ?? [])).toEqual(Array.from(dw.dataSync()));
    tf.dispose([dw, db, alone ?? []]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dz]);
  });

  it('computes x [R, 32]ᵀ·dz [R, 4] (no whole tiles) as (dzᵀ·x)ᵀ, and leaves shapes with no whole tiles either way to tfjs', () => {
    const x = tf.tensor2d(values(50 * 32, 5), [50, 32]);
    const dz = tf.tensor2d(values(50 * 4, 6), [50, 4]);
    const before = tf.memory().numTensors;
    const swapped = wasmWeightAndBiasGradients(x, dz);
    if (!swapped) throw new Error('the swapped arrangement did not run');
    const [dw, db] = swapped;
    expect(dw.shape).toEqual([32, 4]);
    const want = tf.tidy(() => [tf.matMul(x, dz, true, false).dataSync(), tf.sum(dz, 0).dataSync()]);
    dw.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[0][i], 4));
    expect(Array.from(db.dataSync())).toEqual(Array.from(columnSumsReference(dz.dataSync() as Float32Array, 50, 4)));
    db.dataSync().forEach((v, i) => expect(v).toBeCloseTo(want[1][i], 4));
    tf.dispose([dw, db]);
    expect(tf.memory().numTensors).toBe(before);
    const odd = tf.tensor2d(values(50 * 6, 7), [50, 6]);
    expect(wasmWeightAndBiasGradients(odd, dz)).toBeNull();
    const [dwOdd, dbOdd] = weightAndBiasGradients(odd, dz);
    const wantOdd = tf.tidy(() => tf.matMul(odd, dz, true, false).dataSync());
    dwOdd.dataSync().forEach((v, i) => expect(v).toBeCloseTo(wantOdd[i], 4));
    expect(dbOdd.shape).toEqual([4]);
    tf.dispose([x, dz, odd, dwOdd, dbOdd]);
  });

  it('gives the same layer gradients with and without the kernel (weightAndBiasGradients, the matmul gradient)', () => {
    const x = tf.tensor2d(values(260 * 16, 7, 0.4), [260, 16]);
    const dz = tf.tensor2d(values(260 * 24, 8), [260, 24]);
    const w = tf.tensor2d(values(16 * 24, 9), [16, 24]);
    const run = () => {
      const [dw, db] = weightAndBiasGradients(x, dz);
      const dwMatmul = tf.grad((weights: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, weights), dz)))(w);
      const out = [dw.dataSync(), db.dataSync(), dwMatmul.dataSync()];
      tf.dispose([dw, db, dwMatmul]);
      return out;
    };
    TEST_ONLY.allowWeightKernel(true);
    const withKernel = run();
    TEST_ONLY.allowWeightKernel(false);
    const without = run();
    TEST_ONLY.allowWeightKernel(true);
    withKernel.forEach((a, j) => a.forEach((v, i) => expect(v).toBeCloseTo(without[j][i], 4)));
    tf.dispose([x, dz, w]);
  });
});
