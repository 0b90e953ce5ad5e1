/**
 * The shared matmul path: MatmulDense against tf.layers.dense, and the wasm-oriented BatchMatMul gradient
 * (explicit transposes) against tfjs's transpose-flag formulas, on the CPU backend.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor } from '../../src/models/tensors';
import { layerVariables } from './tf-helpers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MatmulDense } from '../../src/models/dense-layer';
import { TEST_ONLY, weightAndBiasGradients } from '../../src/models/matmul-gradient';
import type { MatmulActivation } from '../../src/models/matmul-layer';

const TOLERANCE = 1e-5;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}



beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  TEST_ONLY.forceStrategy(null);
});

/** Builds both layers for 7 inputs and gives them the first one's kernel and one random bias of 5. */
function shareWeights(first: tf.layers.Layer, second: tf.layers.Layer): void {
  tf.tidy(() => {
    first.apply(tf.zeros([1, 7]));
    second.apply(tf.zeros([1, 7]));
  });
  const [kernel] = first.getWeights();
  const bias = tf.randomUniform([5], -0.5, 0.5, 'float32', 4);
  first.setWeights([kernel, bias]);
  second.setWeights([kernel, bias]);
  bias.dispose();
}

/** Σ layer(x)·r for fixed random x [6, 7] and r, and its gradients (undefined where there is none) in x, kernel and bias. */
function gradientsOf(layer: tf.layers.Layer): { value: tf.Tensor; dx?: tf.Tensor; dKernel: tf.Tensor; dBias: tf.Tensor } {
  const x = tf.variable(tf.randomNormal([6, 7], 0, 1, 'float32', 5));
  const r = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
  const [k, b] = layerVariables(layer);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(asTensor(layer.apply(x)), r)), [x, k, b]);
  x.dispose();
  return { value, dx: grads[x.name], dKernel: grads[k.name], dBias: grads[b.name] };
}

describe('MatmulDense', () => {
  it.each<MatmulActivation>(['linear', 'relu', 'elu', 'sigmoid'])(
    'equals tf.layers.dense in output and gradients (%s)',
    (activation) => {
      const mine = new MatmulDense({ units: 5, activation, seed: 3 });
      const reference = tf.layers.dense({ units: 5, activation });
      shareWeights(mine, reference);
      tf.tidy(() => {
        const a = gradientsOf(mine);
        const b = gradientsOf(reference);
        if (a.dx === undefined || b.dx === undefined) throw new Error('no input gradient');
        expect(maxAbsDiff(a.value, b.value)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(a.dx, b.dx)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(a.dKernel, b.dKernel)).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(a.dBias, b.dBias)).toBeLessThan(TOLERANCE);
      });
      expect(mine.weights.map((w) => w.shape)).toEqual([[7, 5], [5]]);
      mine.dispose();
      reference.dispose();
    },
  );
});

describe('MatmulDense without an input gradient (a first layer)', () => {
  it.each<MatmulActivation>(['relu', 'sigmoid'])('gives the kernel and bias the same gradients, and its input none (%s)', (activation) => {
    const first = new MatmulDense({ units: 5, activation, seed: 3, inputGradient: false });
    const reference = new MatmulDense({ units: 5, activation, seed: 3 });
    shareWeights(first, reference);
    tf.tidy(() => {
      const mine = gradientsOf(first);
      const theirs = gradientsOf(reference);
      expect(mine.dx).toBeUndefined();
      expect(theirs.dx).toBeDefined();
      expect(maxAbsDiff(mine.value, theirs.value)).toBe(0);
      expect(maxAbsDiff(mine.dKernel, theirs.dKernel)).toBe(0);
      expect(maxAbsDiff(mine.dBias, theirs.dBias)).toBe(0);
    });
    // A speed choice of the builder, not a setting: configs (and so model files) do not carry it.
    expect(first.getConfig()).not.toHaveProperty('inputGradient');
    first.dispose();
    reference.dispose();
  });
});

describe('BatchMatMul gradient', () => {
  it('uses explicit transposes only on wasm unless forced', () => {
    expect(TEST_ONLY.currentStrategy()).toBe('flags');
    TEST_ONLY.forceStrategy('explicit');
    expect(TEST_ONLY.currentStrategy()).toBe('explicit');
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('gives the same gradients both ways (transposeA %s, transposeB %s)', (transposeA, transposeB) => {
    tf.tidy(() => {
      // op(a) is [5, 4], op(b) is [4, 3].
      const a = tf.randomNormal(transposeA ? [4, 5] : [5, 4], 0, 1, 'float32', 1);
      const b = tf.randomNormal(transposeB ? [3, 4] : [4, 3], 0, 1, 'float32', 2);
      const r = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
      const gradients = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(tf.matMul(x, y, transposeA, transposeB), r)),
      );
      TEST_ONLY.forceStrategy('flags');
      const [daFlags, dbFlags] = gradients([a, b]);
      TEST_ONLY.forceStrategy('explicit');
      const [daExplicit, dbExplicit] = gradients([a, b]);
      expect(maxAbsDiff(daExplicit, daFlags)).toBeLessThan(TOLERANCE);
      expect(maxAbsDiff(dbExplicit, dbFlags)).toBeLessThan(TOLERANCE);
      // And both equal the textbook formulas for the plain case.
      if (!transposeA && !transposeB) {
        expect(maxAbsDiff(daFlags, tf.matMul(r, tf.transpose(b)))).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(dbFlags, tf.matMul(tf.transpose(a), r))).toBeLessThan(TOLERANCE);
      }
    });
  });
});

describe('weightAndBiasGradients', () => {
  // [rows, k, n]: a narrow dz (plain-loop product), k > n ((dzᵀ·x)ᵀ with row sums), k ≤ n (ones row on xᵀ).
  it.each([
    [40, 12, 4],
    [40, 24, 10],
    [40, 6, 16],
  ])('gives xᵀ·dz and the column sums of dz both ways (rows %i, k %i, n %i)', (rows, k, n) => {
    tf.tidy(() => {
      const x = tf.randomNormal([rows, k], 0, 1, 'float32', 7);
      const dz = tf.randomNormal([rows, n], 0, 1, 'float32', 8);
      const expectedW = tf.matMul(tf.transpose(x), dz);
      const expectedB = tf.sum(dz, 0);
      for (const strategy of ['flags', 'explicit'] as const) {
        TEST_ONLY.forceStrategy(strategy);
        const [dw, db] = weightAndBiasGradients(x, dz);
        expect(maxAbsDiff(dw, expectedW), `${strategy} dw`).toBeLessThan(TOLERANCE);
        expect(maxAbsDiff(db, expectedB), `${strategy} db`).toBeLessThan(TOLERANCE);
      }
    });
  });

  it('rejects operands that are not matrices', () => {
    tf.tidy(() => {
      expect(() => weightAndBiasGradients(tf.zeros([2, 3, 4]), tf.zeros([2, 3, 4]))).toThrow(/matrices/);
    });
  });
});
