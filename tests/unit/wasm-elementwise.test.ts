/**
 * The fused Adam update (src/models/wasm/elementwise-simd, src/models/wasm-adam): the kernel equals its float32
 * reference bit for bit, and KerasAdam on wasm (the kernel) equals KerasAdam on cpu (tfjs ops) bit for bit,
 * step after step, with moments and weights read back.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { DEFAULT_ADAM_OPTIONS, KerasAdam } from '../../src/models/keras-adam';
import { adamReference, NEGLIGIBLE_GRADIENT, reluGradientReference, sigmoidGradientReference, standaloneElementwiseKernels, type AdamScalars } from '../../src/models/wasm/elementwise-simd';
import { ADAM_KERNEL, wasmReluGradient, wasmSigmoidGradient } from '../../src/models/wasm-elementwise';

/** Values of mixed sign over many magnitudes, a share of exact zeros and a few subnormals. */
function values(length: number, seed: number, scale: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length }, () => {
    const u = rng();
    if (u < 0.05) return 0;
    if (u < 0.08) return (rng() - 0.5) * 1e-39;
    return (rng() * 2 - 1) * scale * 10 ** (-6 * rng());
  });
}

const SCALARS: AdamScalars = { beta1: 0.9, oneMinusBeta1: 1 - 0.9, beta2: 0.999, oneMinusBeta2: 1 - 0.999, negAlpha: -3.16e-5, epsilon: 1e-7 };

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('Adam kernel', () => {
  // 4n + 3 elements: whole vectors and a tail of three; 1: the tail alone.
  it.each([1, 4 * 37 + 3, 1024])('equals the float32 reference bit for bit (%i elements)', (size) => {
    const kernels = standaloneElementwiseKernels(7 * size * 4 + 64);
    if (kernels === null) throw new Error('no WebAssembly SIMD');
    const heap = new Float32Array(kernels.memory.buffer);
    const p = values(size, 1, 0.5);
    const m = values(size, 2, 1e-4);
    const v = Float32Array.from(values(size, 3, 1e-8), Math.abs);
    const g = values(size, 4, 1e-3);
    [p, m, v, g].forEach((a, i) => heap.set(a, i * size));
    const at = (i: number) => i * size * 4;
    kernels.exports.adam(size, at(0), at(1), at(2), at(3), at(4), at(5), at(6), ...Object.values(SCALARS) as [number, number, number, number, number, number]);
    const want = adamReference(p, m, v, g, SCALARS);
    expect(Array.from(heap.subarray(4 * size, 5 * size))).toEqual(Array.from(want.p));
    expect(Array.from(heap.subarray(5 * size, 6 * size))).toEqual(Array.from(want.m));
    expect(Array.from(heap.subarray(6 * size, 7 * size))).toEqual(Array.from(want.v));
    // The inputs are left as they were.
    expect(Array.from(heap.subarray(0, size))).toEqual(Array.from(p));
  });

  it('lists its scalars in the order the kernel takes them', () => {
    expect(Object.keys(SCALARS)).toEqual(['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'negAlpha', 'epsilon']);
  });
});

describe('KerasAdam on wasm', () => {
  /** Five steps on variables of several shapes; the weights and moments after each step. */
  async function steps(backend: 'cpu' | 'wasm') {
    await tf.setBackend(backend);
    const kernelRuns: string[] = [];
    const shapes = [[7, 5], [5], [1], [3, 4, 2]];
    const variables = shapes.map((shape, i) => tf.variable(tf.tensor(values(tf.util.sizeFromShape(shape), 10 + i, 0.3), shape)));
    const adam = new KerasAdam({ ...DEFAULT_ADAM_OPTIONS, learningRate: 0.003 });
    const tensorsBefore = tf.memory().numTensors;
    const trace: number[][] = [];
    const profile = await tf.profile(async () => {
      for (let step = 0; step < 5; step++) {
        tf.tidy(() => {
          const gradients = variables.map((variable, i) => tf.tensor(values(variable.size, 100 * step + i, 10 ** -(step + 1)), variable.shape));
          adam.applyGradients(variables, gradients);
        });
        trace.push(...variables.map((variable) => Array.from(variable.dataSync())));
      }
    });
    kernelRuns.push(...profile.kernelNames);
    const state = await adam.readState(variables);
    // Moments are created on first use; everything else made per step is gone.
    expect(tf.memory().numTensors).toBe(tensorsBefore + 2 * variables.length);
    adam.dispose();
    variables.forEach((variable) => variable.dispose());
    return { trace, m: state.m.map((a) => Array.from(a)), v: state.v.map((a) => Array.from(a)), kernelRuns };
  }

  it('runs the fused kernel and gives the tfjs ops’ weights and moments bit for bit', async () => {
    const onCpu = await steps('cpu');
    const onWasm = await steps('wasm');
    expect(onWasm.kernelRuns).toContain(ADAM_KERNEL);
    expect(onCpu.kernelRuns).not.toContain(ADAM_KERNEL);
    expect(onWasm.trace).toEqual(onCpu.trace);
    expect(onWasm.m).toEqual(onCpu.m);
    expect(onWasm.v).toEqual(onCpu.v);
  });
});

/** Bit patterns, so that −0 and +0 count as different; every NaN as one (WebAssembly leaves NaN payloads open). */
function bitsOf(a: ArrayLike<number>): (number | 'NaN')[] {
  return Array.from(a, (x) => (Number.isNaN(x) ? 'NaN' : new Uint32Array(Float32Array.of(x).buffer)[0]));
}

/** The standalone kernel `name` on dy and y: its dz. */
function runActivationGradient(name: 'reluGradient' | 'sigmoidGradient', dy: Float32Array, y: Float32Array): Float32Array {
  const size = dy.length;
  const kernels = standaloneElementwiseKernels(3 * size * 4);
  if (kernels === null) throw new Error('no WebAssembly SIMD');
  const heap = new Float32Array(kernels.memory.buffer);
  heap.set(dy, 0);
  heap.set(y, size);
  kernels.exports[name](size, 0, 4 * size, 8 * size);
  return heap.slice(2 * size, 3 * size);
}

describe('ReLU gradient kernel', () => {
  /** y with positives, negatives, both zeros, subnormals and a NaN; dy of both signs with zeros and subnormals. */
  function operands(size: number): { dy: Float32Array; y: Float32Array } {
    const y = values(size, 21, 1);
    y[0] = -0;
    y[1] = 0;
    y[2] = Number.NaN;
    y[3] = 1e-40;
    y[4] = -1e-40;
    const dy = values(size, 22, 1e-3);
    dy[5] = -0;
    return { dy, y };
  }

  it('equals its reference bit for bit', () => {
    const { dy, y } = operands(4 * 61);
    expect(bitsOf(runActivationGradient('reluGradient', dy, y))).toEqual(bitsOf(reluGradientReference(dy, y)));
  });

  it('gives on wasm exactly what tfjs-wasm’s Step and Multiply give, and declines sizes it does not take', async () => {
    await tf.setBackend('wasm');
    const { dy, y } = operands(4 * 50);
    tf.tidy(() => {
      const dyT = tf.tensor2d(dy, [50, 4]);
      const yT = tf.tensor2d(y, [50, 4]);
      const fused = wasmReluGradient(dyT, yT);
      if (fused === null) throw new Error('the kernel did not run on wasm');
      const ops = tf.mul(dyT, tf.step(yT));
      expect(bitsOf(fused.dataSync())).toEqual(bitsOf(ops.dataSync()));
      expect(wasmReluGradient(tf.ones([3, 3]), tf.ones([3, 3]))).toBeNull();
    });
    await tf.setBackend('cpu');
    tf.tidy(() => {
      expect(wasmReluGradient(tf.ones([4]), tf.ones([4]))).toBeNull();
    });
  });
});

describe('sigmoid gradient kernel', () => {
  /** Outputs from 0.5 down to ~1e-30 (a background pixel the decoder is sure of) and up to 1, dy of both signs down to ~1e-35. */
  function operands(size: number): { dy: Float32Array; y: Float32Array } {
    const rng = mulberry32(31);
    const y = Float32Array.from({ length: size }, () => (rng() < 0.8 ? 10 ** (-30 * rng()) : 1 - 10 ** (-8 * rng())));
    const dy = Float32Array.from({ length: size }, () => (rng() < 0.5 ? -1 : 1) * 10 ** (-5 - 30 * rng()));
    y[0] = 0;
    dy[1] = -0;
    y[2] = Number.NaN;
    return { dy, y };
  }

  it('equals its reference bit for bit, with a share of results flushed', () => {
    const size = 4 * 250;
    const { dy, y } = operands(size);
    const want = sigmoidGradientReference(dy, y);
    expect(bitsOf(runActivationGradient('sigmoidGradient', dy, y))).toEqual(bitsOf(want));
    // The operands reach both sides of the threshold.
    const flushed = Array.from(want).filter((v, i) => v === 0 && dy[i] !== 0 && y[i] !== 0).length;
    expect(flushed).toBeGreaterThan(size / 10);
    expect(Array.from(want).filter((v) => Math.abs(v) >= NEGLIGIBLE_GRADIENT).length).toBeGreaterThan(size / 10);
  });

  it('gives on wasm what tfjs-wasm’s ops give, but for results below the threshold, which become zeros of their sign', async () => {
    await tf.setBackend('wasm');
    const { dy, y } = operands(4 * 250);
    tf.tidy(() => {
      const dyT = tf.tensor2d(dy, [250, 4]);
      const yT = tf.tensor2d(y, [250, 4]);
      const fused = wasmSigmoidGradient(dyT, yT);
      if (fused === null) throw new Error('the kernel did not run on wasm');
      const ops = tf.mul(dyT, tf.mul(yT, tf.sub(tf.scalar(1), yT))).dataSync();
      const flushedOps = ops.map((v) => (Math.abs(v) < NEGLIGIBLE_GRADIENT ? (v < 0 || Object.is(v, -0) ? -0 : 0) : v));
      expect(bitsOf(fused.dataSync())).toEqual(bitsOf(flushedOps));
    });
    await tf.setBackend('cpu');
  });
});
