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

describe('MatmulDense', () => {
  it.each<MatmulActivation>(['linear', 'relu', 'elu', 'sigmoid'])(
    'equals tf.layers.dense in output and gradients (%s)',
    (activation) => {
      const mine = new MatmulDense({ units: 5, activation, seed: 3 });
      const reference = tf.layers.dense({ units: 5, activation });
      tf.tidy(() => {
        mine.apply(tf.zeros([1, 7]));
        reference.apply(tf.zeros([1, 7]));
      });
      const [kernel] = mine.getWeights();
      const bias = tf.randomUniform([5], -0.5, 0.5, 'float32', 4);
      mine.setWeights([kernel, bias]);
      reference.setWeights([kernel, bias]);
      bias.dispose();
      tf.tidy(() => {
        const x = tf.variable(tf.randomNormal([6, 7], 0, 1, 'float32', 5));
        const r = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
        const run = (layer: tf.layers.Layer) => {
          const [k, b] = layerVariables(layer);
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(asTensor(layer.apply(x)), r)), [x, k, b]);
          return [value, grads[x.name], grads[k.name], grads[b.name]];
        };
        const a = run(mine);
        const b = run(reference);
        a.forEach((t, i) => expect(maxAbsDiff(t, b[i]), `tensor ${i}`).toBeLessThan(TOLERANCE));
        x.dispose();
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
    tf.tidy(() => {
      first.apply(tf.zeros([1, 7]));
      reference.apply(tf.zeros([1, 7]));
    });
    const bias = tf.randomUniform([5], -0.5, 0.5, 'float32', 4);
    first.setWeights([first.getWeights()[0], bias]);
    reference.setWeights([first.getWeights()[0], bias]);
    bias.dispose();
    tf.tidy(() => {
      const x = tf.variable(tf.randomNormal([6, 7], 0, 1, 'float32', 5));
      const r = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
      const run = (layer: tf.layers.Layer) => {
        const [k, b] = layerVariables(layer);
        return tf.variableGrads(() => tf.sum(tf.mul(asTensor(layer.apply(x)), r)), [x, k, b]);
      };
      const mine = run(first);
      const theirs = run(reference);
      expect(mine.grads[x.name]).toBeUndefined();
      expect(theirs.grads[x.name]).toBeDefined();
      expect(maxAbsDiff(mine.value, theirs.value)).toBe(0);
      const [k, b] = layerVariables(first);
      const [kr, br] = layerVariables(reference);
      expect(maxAbsDiff(mine.grads[k.name], theirs.grads[kr.name])).toBe(0);
      expect(maxAbsDiff(mine.grads[b.name], theirs.grads[br.name])).toBe(0);
      x.dispose();
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
