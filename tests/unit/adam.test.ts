/**
 * KerasAdam against the Keras update written out by hand in float64, and against tf.train.adam, whose
 * epsilon placement differs exactly where this project's tiny gradients live.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADAM_OPTIONS, KerasAdam, type KerasAdamOptions } from '../../src/models/keras-adam';

/**
 * The Keras update in plain float64: t ← t+1; αₜ = lr·√(1−β₂ᵗ)/(1−β₁ᵗ); m ← β₁m + (1−β₁)g;
 * v ← β₂v + (1−β₂)g²; p ← p − αₜ·m/(√v + ε). Returns p after each step.
 */
function kerasAdamByHand(p0: number[], gradients: number[][], o: KerasAdamOptions): number[][] {
  const p = [...p0];
  const m = p0.map(() => 0);
  const v = p0.map(() => 0);
  const history: number[][] = [];
  gradients.forEach((g, step) => {
    const t = step + 1;
    const alpha = (o.learningRate * Math.sqrt(1 - o.beta2 ** t)) / (1 - o.beta1 ** t);
    for (let i = 0; i < p.length; i++) {
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
      p[i] -= (alpha * m[i]) / (Math.sqrt(v[i]) + o.epsilon);
    }
    history.push([...p]);
  });
  return history;
}

/** |a − b| ≤ 1e-6·|b| + 1e-9 elementwise (float32 storage of p against a float64 reference). */
function expectClose(actual: ArrayLike<number>, expected: number[], label: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-6 * Math.abs(expected[i]) + 1e-9;
    expect(Math.abs(actual[i] - expected[i]), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(
      tolerance,
    );
  }
}

/** Five steps of gradients for four parameters: tiny (the MNIST regime), mixed-sign, unit, and zero. */
const P0 = [0.5, -0.25, 0.125, 0];
const GRADIENTS = [
  [1e-7, -3e-7, 0.5, 0],
  [2e-7, -1e-7, -0.25, 0],
  [-5e-8, 4e-7, 1, 1e-6],
  [1e-7, 0, 0.75, 0],
  [3e-7, -2e-7, -1, 2e-7],
];

function runKerasAdam(options: Partial<KerasAdamOptions>, gradients: number[][]): number[][] {
  const p = tf.tidy(() => tf.variable(tf.tensor1d(P0)));
  const adam = new KerasAdam(options);
  const history = gradients.map((g) => {
    const grad = tf.tensor1d(g);
    adam.applyGradients([p], [grad]);
    grad.dispose();
    return Array.from(p.dataSync());
  });
  expect(adam.iterations).toBe(gradients.length);
  adam.dispose();
  p.dispose();
  return history;
}

function runTfjsAdam(gradients: number[][]): number[][] {
  const p = tf.tidy(() => tf.variable(tf.tensor1d(P0)));
  const o = DEFAULT_ADAM_OPTIONS;
  const adam = tf.train.adam(o.learningRate, o.beta1, o.beta2, o.epsilon);
  const history = gradients.map((g) => {
    const grad = tf.tensor1d(g);
    adam.applyGradients([{ name: p.name, tensor: grad }]);
    grad.dispose();
    return Array.from(p.dataSync());
  });
  adam.dispose();
  p.dispose();
  return history;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('KerasAdam', () => {
  it('has Keras defaults', () => {
    expect(DEFAULT_ADAM_OPTIONS).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });

  it('reproduces the Keras formula step by step (defaults)', () => {
    const expected = kerasAdamByHand(P0, GRADIENTS, DEFAULT_ADAM_OPTIONS);
    runKerasAdam({}, GRADIENTS).forEach((p, step) => expectClose(p, expected[step], `step ${step + 1}`));
  });

  it('reproduces the Keras formula with non-default hyper-parameters', () => {
    const options = { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-5 };
    const expected = kerasAdamByHand(P0, GRADIENTS, options);
    runKerasAdam(options, GRADIENTS).forEach((p, step) => expectClose(p, expected[step], `step ${step + 1}`));
  });

  it('pins the first step for a tiny gradient: 1e-3·√0.001/0.1 · 1e-8/(√1e-17 + 1e-7)', () => {
    const [[p]] = runKerasAdam({}, [[1e-7, 0, 0, 0]]);
    const alpha = (1e-3 * Math.sqrt(1 - 0.999)) / (1 - 0.9);
    const step = (alpha * 1e-8) / (Math.sqrt(1e-17) + 1e-7);
    expect(step).toBeCloseTo(3.0653e-5, 8);
    expectClose([p], [0.5 - step], 'p');
  });

  it('differs from tf.train.adam for tiny gradients but agrees for large ones', () => {
    const ours = runKerasAdam({}, GRADIENTS).at(-1) ?? [];
    const tfjs = runTfjsAdam(GRADIENTS).at(-1) ?? [];
    const moved = (p: number[], i: number) => Math.abs(p[i] - P0[i]);
    // Gradients ~1e-7 ≈ ε: tfjs's ε after bias correction is √(1−β₂ᵗ) smaller relative to √v̂, so its steps
    // are many times larger than Keras's.
    for (const i of [0, 1]) expect(moved(tfjs, i) / moved(ours, i)).toBeGreaterThan(3);
    // Gradients ~1 ≫ ε: the placement of ε no longer matters.
    expect(Math.abs(ours[2] - tfjs[2])).toBeLessThan(1e-6);
  });

  it('updates several variables of different shapes and frees its moments on dispose', () => {
    const before = tf.memory().numTensors;
    // tidy frees the initial values (a variable keeps its own reference to the data).
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2, 3], [4, 5, 6]])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([0.5])));
    const adam = new KerasAdam({ learningRate: 0.1 });
    tf.tidy(() => adam.applyGradients([w, b], [tf.onesLike(w), tf.tensor1d([-2])]));
    // A first step with |g| ≫ ε moves every parameter by almost exactly lr against the gradient's sign.
    const options = { ...DEFAULT_ADAM_OPTIONS, learningRate: 0.1 };
    const [wExpected] = kerasAdamByHand([1, 2, 3, 4, 5, 6], [[1, 1, 1, 1, 1, 1]], options);
    const [bExpected] = kerasAdamByHand([0.5], [[-2]], options);
    expectClose(w.dataSync(), wExpected, 'w');
    expectClose(b.dataSync(), bExpected, 'b');
    expect(wExpected[0]).toBeCloseTo(0.9, 5);
    expect(bExpected[0]).toBeCloseTo(0.6, 5);
    expect(() => adam.applyGradients([w], [])).toThrow();
    adam.dispose();
    w.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
