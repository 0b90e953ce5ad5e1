import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { ARCH_IDS, buildAutoencoder, inputShapeOf, splitAutoencoder } from '../../src/models/architectures';
import { encoderPlan } from '../../src/models/encoder-plan';
import { SparseEncoder } from '../../src/models/sparse-encoder';
import {
  denseGeometry,
  listFloats,
  patchGeometry,
  ROW_BLOCK,
  type RowGeometry,
  SparseAffineSimd,
  sparseAffineReference,
} from '../../src/models/wasm/sparse-affine-simd';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Values in [−1, 1) of which a fraction `zeros` are exactly 0 (some of them −0). */
function sparseValues(length: number, zeros: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length }, () => (rng() < zeros ? (rng() < 0.5 ? 0 : -0) : rng() * 2 - 1));
}

/** out[r] = act(bias + Σ_t x[r, t]·W[t]) in float64 over every t, zeros included: the plain definition. */
function denseFloat64(x: ArrayLike<number>, rows: number, k: number, w: ArrayLike<number>, bias: ArrayLike<number>, n: number, relu: boolean): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let s = bias[j];
      for (let t = 0; t < k; t++) s += x[r * k + t] * w[t * n + j];
      out[r * n + j] = relu ? Math.max(s, 0) : s;
    }
  }
  return out;
}

/** [images, h, w, c] → patches [images·(h/2)·(w/2), 4c] in the kernel's (kh, kw, c) order, by index arithmetic. */
function spaceToDepth(x: Float32Array, images: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  let o = 0;
  for (let b = 0; b < images; b++)
    for (let y = 0; y < h; y += 2)
      for (let xx = 0; xx < w; xx += 2)
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++)
            for (let ch = 0; ch < c; ch++) out[o++] = x[((b * h + y + dy) * w + xx + dx) * c + ch];
  return out;
}

interface Case {
  name: string;
  geometry: RowGeometry;
  rows: number;
  k: number;
  n: number;
  inputLength: number;
}

const CASES: Case[] = [
  // n = 4·(6 + 4 + 2 + 1) = 52 goes through every slice width; 37 rows leave a partial block.
  { name: 'dense rows', geometry: denseGeometry(20), rows: 37, k: 20, n: 52, inputLength: 37 * 20 },
  { name: 'dense rows, n = 4', geometry: denseGeometry(9), rows: ROW_BLOCK + 1, k: 9, n: 4, inputLength: (ROW_BLOCK + 1) * 9 },
  { name: '2×2 patches of 3-channel 6×4 images', geometry: patchGeometry(6, 4, 3), rows: 3 * 6, k: 12, n: 24, inputLength: 3 * 6 * 4 * 3 },
];

describe('sparse affine kernel', () => {
  const kernelAvailable = SparseAffineSimd.create(1 << 16) !== null;

  it('has WebAssembly SIMD here (Node ≥ 20), so the tests below run the kernel itself', () => {
    expect(kernelAvailable).toBe(true);
  });

  for (const c of CASES) {
    for (const relu of [false, true]) {
      it(`${c.name}${relu ? ', ReLU' : ''}: the kernel equals the JavaScript reference bit for bit`, () => {
        const x = sparseValues(c.inputLength, 0.6, 1);
        const w = sparseValues(c.k * c.n, 0, 2);
        const bias = sparseValues(c.n, 0, 3);
        const kernel = SparseAffineSimd.create(4 * (x.length + w.length + bias.length + c.rows * c.n + listFloats(c.k)) + 1024);
        if (!kernel) throw new Error('no SIMD kernel');
        const [X, W, B, O, L] = [x.length, w.length, bias.length, c.rows * c.n, listFloats(c.k)].map((f) => kernel.region(f));
        X.view.set(x);
        W.view.set(w);
        B.view.set(bias);
        // Two calls over a split of the rows: a range need not start at 0 or at a block boundary.
        kernel.affine(c.geometry, 0, 5, c.n, c.n, X, W, B, O, L, relu);
        kernel.affine(c.geometry, 5, c.rows, c.n, c.n, X, W, B, O, L, relu);
        const reference = new Float32Array(c.rows * c.n);
        sparseAffineReference(c.geometry, 0, c.rows, c.n, c.n, x, w, bias, reference, relu);
        expect(Array.from(O.view)).toEqual(Array.from(reference));
      });
    }
  }

  it('lists every pattern of zeros in a chunk of four inputs: each of the 16 masks, in every chunk position', () => {
    // Row r's chunk c has the nonzero lanes of mask (r + c) mod 16, so each mask meets each chunk position;
    // k = 4·5 + 3 adds a tail read one input at a time.
    const k = 23;
    const n = 8;
    const rows = 16;
    const rng = mulberry32(4);
    const x = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < k; t++) {
        const lit = t >= 20 ? t % 2 === 0 : (((r + (t >> 2)) % 16) >> (t & 3)) & 1;
        x[r * k + t] = lit ? rng() + 0.5 : 0;
      }
    }
    const w = sparseValues(k * n, 0, 5);
    const bias = sparseValues(n, 0, 6);
    const kernel = SparseAffineSimd.create(1 << 16);
    if (!kernel) throw new Error('no SIMD kernel');
    const [X, W, B, O, L] = [x.length, w.length, bias.length, rows * n, listFloats(k)].map((f) => kernel.region(f));
    X.view.set(x);
    W.view.set(w);
    B.view.set(bias);
    kernel.affine(denseGeometry(k), 0, rows, n, n, X, W, B, O, L, false);
    const reference = new Float32Array(rows * n);
    sparseAffineReference(denseGeometry(k), 0, rows, n, n, x, w, bias, reference, false);
    expect(Array.from(O.view)).toEqual(Array.from(reference));
  });

  it('the reference is the dense product (zeros included) up to float32 rounding, for rows and for patches', () => {
    const images = 2;
    const [h, w, c, n] = [4, 6, 2, 8];
    const x = sparseValues(images * h * w * c, 0.5, 4);
    const weights = sparseValues(4 * c * n, 0, 5);
    const bias = sparseValues(n, 0, 6);
    const rows = images * (h / 2) * (w / 2);
    const got = new Float32Array(rows * n);
    sparseAffineReference(patchGeometry(h, w, c), 0, rows, n, n, x, weights, bias, got, true);
    const want = denseFloat64(spaceToDepth(x, images, h, w, c), rows, 4 * c, weights, bias, n, true);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    // The same patches laid out as plain rows give the same numbers through the dense geometry.
    const flat = new Float32Array(rows * n);
    sparseAffineReference(denseGeometry(4 * c), 0, rows, n, n, spaceToDepth(x, images, h, w, c), weights, bias, flat, true);
    expect(Array.from(flat)).toEqual(Array.from(got));
  });

  it('a NaN input reaches every output of its row (it is not skipped as a zero), and ReLU keeps it', () => {
    const k = 4;
    const n = 8;
    const x = Float32Array.of(0, Number.NaN, 0, 0, 1, 0, 0, 0);
    const w = new Float32Array(k * n).fill(1);
    const kernel = SparseAffineSimd.create(1 << 16);
    if (!kernel) throw new Error('no SIMD kernel');
    const [X, W, B, O, L] = [x.length, w.length, n, 2 * n, listFloats(k)].map((f) => kernel.region(f));
    X.view.set(x);
    W.view.set(w);
    kernel.affine(denseGeometry(k), 0, 2, n, n, X, W, B, O, L, true);
    expect(Array.from(O.view.subarray(0, n)).every(Number.isNaN)).toBe(true);
    expect(Array.from(O.view.subarray(n))).toEqual(new Array(n).fill(1));
  });
});

describe('sparse encoder', () => {
  for (const arch of ARCH_IDS) {
    for (const latentDim of [64, 2]) {
      it(`${arch}, code ${latentDim}: the same codes as the tfjs encoder, batch by batch`, () => {
        const model = buildAutoencoder(arch, 7, latentDim);
        // Nonzero biases, so that a bias read from the wrong place would show.
        for (const layer of model.layers) {
          const weights = layer.getWeights();
          if (weights.length === 2) layer.setWeights([weights[0], tf.randomUniform(weights[1].shape, -0.1, 0.1, 'float32', 9)]);
        }
        const { encoder, decoder } = splitAutoencoder(model);
        const plan = encoderPlan(encoder, arch);
        if (!plan) throw new Error('no plan for a reference architecture');
        expect(plan.codeSize).toBe(latentDim);
        const count = 5;
        // Pixels in [0, 1], three quarters exactly 0 as in MNIST.
        const images = sparseValues(count * 784, 0.75, 10).map(Math.abs);
        // Passes of 2 images: 3 images in one call (a pass and a half), then 2 more.
        const runner = SparseEncoder.create(plan, 2);
        if (!runner) throw new Error('no SIMD kernel');
        const codes = new Float32Array(count * latentDim);
        runner.encode(images.subarray(0, 3 * 784), 3, codes);
        runner.encode(images.subarray(3 * 784), 2, codes.subarray(3 * latentDim));
        const expected = tf.tidy(() => (encoder.apply(tf.tensor(images, [count, ...inputShapeOf(arch)])) as tf.Tensor).dataSync());
        expect(codes.length).toBe(expected.length);
        codes.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
        // One call over all five gives the same numbers.
        const once = new Float32Array(count * latentDim);
        runner.encode(images, count, once);
        expect(Array.from(once)).toEqual(Array.from(codes));
        expect(() => runner.encode(images, count + 1, once)).toThrow(/too short/);
        encoder.dispose();
        decoder.dispose();
        model.dispose();
      });
    }
  }

  it('reuses a runner for a model of the same shapes (its weights replaced), and not for another shape', () => {
    const codesOf = (runner: SparseEncoder, images: Float32Array) => {
      const out = new Float32Array(2 * 64);
      runner.encode(images, 2, out);
      return Array.from(out);
    };
    const images = sparseValues(2 * 784, 0.75, 11).map(Math.abs);
    const [a, b] = [buildAutoencoder('dense', 1), buildAutoencoder('dense', 2)];
    const [planA, planB] = [a, b].map((m) => encoderPlan(splitAutoencoder(m).encoder, 'dense'));
    if (!planA || !planB) throw new Error('no plan');
    const first = SparseEncoder.create(planA);
    if (!first) throw new Error('no SIMD kernel');
    const fromA = codesOf(first, images);
    const reused = SparseEncoder.reuse(first, planB);
    expect(reused).toBe(first);
    if (!reused) throw new Error('no runner');
    const fresh = SparseEncoder.create(planB);
    if (!fresh) throw new Error('no SIMD kernel');
    expect(codesOf(reused, images)).toEqual(codesOf(fresh, images));
    expect(codesOf(reused, images)).not.toEqual(fromA);
    const cnn = buildAutoencoder('cnn_relu', 1);
    const planC = encoderPlan(splitAutoencoder(cnn).encoder, 'cnn_relu');
    if (!planC) throw new Error('no plan');
    expect(SparseEncoder.reuse(first, planC)).not.toBe(first);
    [a, b, cnn].forEach((m) => m.dispose());
  });

  it('gives no plan for a layer it does not know, so the caller keeps tfjs', () => {
    const input = tf.input({ shape: [784] });
    const output = tf.layers.dense({ units: 8 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    expect(encoderPlan(model, 'dense')).toBeNull();
    model.dispose();
  });
});
