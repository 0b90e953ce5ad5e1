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
  weightGradientKernels,
  weightGradientReference,
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

describe('weight gradient kernels', () => {
  // 2·ROW_BLOCK + 3 rows: two full blocks and a partial one; N = 40 leaves a single-vector tail in the column sums.
  const shapes = [
    { rows: 2 * ROW_BLOCK + 3, k: 12, n: 40 },
    { rows: 5, k: 4, n: 8 },
  ];
  for (const { rows, k, n } of shapes) {
    it(`[${rows}, ${k}]ᵀ·[${rows}, ${n}]: the kernel equals the JavaScript reference bit for bit, on any range of dW rows`, () => {
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
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, 4);
      exports.weightGradient(rows, k, n, xAt, dzAt, dwAt, 4, k);
      exports.columnSums(rows, n, dzAt, dbAt);
      const dw = new Float32Array(memory.buffer, dwAt, k * n);
      expect(Array.from(dw)).toEqual(Array.from(weightGradientReference(x, dz, rows, k, n)));
      expect(Array.from(new Float32Array(memory.buffer, dbAt, n))).toEqual(Array.from(columnSumsReference(dz, rows, n)));
      const exact = weightGradient64(x, dz, rows, k, n);
      dw.forEach((v, i) => expect(v).toBeCloseTo(exact[i], 4));
    });
  }
});

describe('weight gradient kernels on a shared memory (as in the browser’s threaded tfjs-wasm)', () => {
  it('instantiate on a shared memory and compute what they compute on a plain one', () => {
    const [rows, k, n] = [ROW_BLOCK + 9, 8, 16];
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 64, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const kernels = weightGradientKernels(memory);
    if (!kernels) throw new Error('no kernels on a shared memory');
    const x = values(rows * k, 11, 0.2);
    const dz = values(rows * n, 12);
    const [xAt, dzAt] = [64, 64 + 4 * rows * k];
    const dwAt = dzAt + 4 * rows * n;
    new Float32Array(memory.buffer, xAt, rows * k).set(x);
    new Float32Array(memory.buffer, dzAt, rows * n).set(dz);
    kernels.weightGradient(rows, k, n, xAt, dzAt, dwAt, 0, k);
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
    const want = weightGradientReference(x.dataSync() as Float32Array, dz.dataSync() as Float32Array, rows, k, n);
    expect(Array.from(dw.dataSync())).toEqual(Array.from(want));
    const viaTfjs = tf.tidy(() => [tf.matMul(x, dz, true, false).dataSync(), tf.sum(dz, 0).dataSync()]);
    dw.dataSync().forEach((v, i) => expect(v).toBeCloseTo(viaTfjs[0][i], 4));
    db.dataSync().forEach((v, i) => expect(v).toBeCloseTo(viaTfjs[1][i], 4));
    const alone = wasmWeightGradient(x, dz);
    expect(Array.from(alone?.dataSync() ?? [])).toEqual(Array.from(want));
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
