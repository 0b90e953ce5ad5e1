/**
 * The matmul convolutions against tfjs's own Conv2D / Conv2DTranspose layers (fast path vs reference):
 * identical weights in → identical outputs and gradients out, on the CPU backend.
 */
import * as tf from '@tensorflow/tfjs';
import { asTensor } from '../../src/models/tensors';
import { layerVariables } from './tf-helpers';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DepthToSpaceConv2DTranspose, SpaceToDepthConv2D } from '../../src/models/conv-layers';
import type { MatmulActivation } from '../../src/models/matmul-layer';
import { TEST_ONLY } from '../../src/models/matmul-gradient';

const TOLERANCE = 1e-5;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}



/**
 * Output and gradients of sum(layer(x) ⊙ r) w.r.t. input, kernel and bias — a random cotangent `r` so every
 * output element's gradient path is exercised with a different weight.
 */
function outputAndGrads(layer: tf.layers.Layer, x: tf.Variable, r: tf.Tensor) {
  const y = asTensor(layer.apply(x));
  const [kernel, bias] = layerVariables(layer);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(asTensor(layer.apply(x)), r)), [x, kernel, bias]);
  return { y, dx: grads[x.name], dKernel: grads[kernel.name], dBias: grads[bias.name] };
}

/**
 * Builds a layer by calling it once on zeros, as a model would; unlike a bare `build()` this also gives the
 * layer the reference count that `dispose()` expects.
 */
function buildByApplying(layer: tf.layers.Layer, shape: number[]): void {
  tf.tidy(() => {
    layer.apply(tf.zeros(shape));
  });
}

interface Case {
  batch: number;
  side: number;
  cin: number;
  cout: number;
  activation: MatmulActivation;
}

const CASES: Case[] = [
  { batch: 3, side: 4, cin: 1, cout: 2, activation: 'linear' },
  { batch: 2, side: 6, cin: 3, cout: 5, activation: 'relu' },
  { batch: 4, side: 8, cin: 4, cout: 3, activation: 'elu' },
  { batch: 2, side: 4, cin: 2, cout: 1, activation: 'sigmoid' },
];

type Direction = 'conv' | 'transpose';

function buildPair(direction: Direction, c: Case, seed: number): { mine: tf.layers.Layer; reference: tf.layers.Layer } {
  const common = { filters: c.cout, activation: c.activation } as const;
  const mine =
    direction === 'conv'
      ? new SpaceToDepthConv2D({ ...common, seed })
      : new DepthToSpaceConv2DTranspose({ ...common, seed });
  const reference =
    direction === 'conv'
      ? tf.layers.conv2d({ ...common, kernelSize: 2, strides: 2 })
      : tf.layers.conv2dTranspose({ ...common, kernelSize: 2, strides: 2, padding: 'same' });
  const inputShape = [c.batch, c.side, c.side, c.cin];
  buildByApplying(mine, inputShape);
  buildByApplying(reference, inputShape);
  // Non-zero biases so the bias path is actually compared.
  const [kernel] = mine.getWeights();
  const bias = tf.randomUniform([c.cout], -0.5, 0.5, 'float32', seed + 1);
  mine.setWeights([kernel, bias]);
  reference.setWeights(mine.getWeights());
  bias.dispose();
  return { mine, reference };
}

function compare(direction: Direction, c: Case, backend: 'cpu' | 'wasm'): void {
  const seed = c.cin * 100 + c.cout;
  const { mine, reference } = buildPair(direction, c, seed);
  tf.tidy(() => {
    const x = tf.variable(tf.randomNormal([c.batch, c.side, c.side, c.cin], 0, 1, 'float32', seed + 2));
    const outSide = direction === 'conv' ? c.side / 2 : c.side * 2;
    const r = tf.randomNormal([c.batch, outSide, outSide, c.cout], 0, 1, 'float32', seed + 3);
    const a = outputAndGrads(mine, x, r);
    const b = outputAndGrads(reference, x, r);
    expect(a.y.shape).toEqual([c.batch, outSide, outSide, c.cout]);
    for (const key of ['y', 'dx', 'dKernel', 'dBias'] as const) {
      expect(maxAbsDiff(a[key], b[key]), `${backend} ${direction} ${key}`).toBeLessThan(TOLERANCE);
    }
    x.dispose();
  });
  mine.dispose();
  reference.dispose();
}

describe('matmul convolutions on the CPU backend', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of CASES) {
    const label = `batch ${c.batch}, ${c.side}×${c.side}×${c.cin} → ${c.cout}, ${c.activation}`;
    it(`SpaceToDepthConv2D equals Conv2D(k2, s2): ${label}`, () => compare('conv', c, 'cpu'));
    it(`DepthToSpaceConv2DTranspose equals Conv2DTranspose(k2, s2, same): ${label}`, () =>
      compare('transpose', c, 'cpu'));
  }

  it('has Keras weight shapes and names', () => {
    const conv = new SpaceToDepthConv2D({ filters: 64, name: 'c' });
    const deconv = new DepthToSpaceConv2DTranspose({ filters: 32, name: 'd' });
    buildByApplying(conv, [1, 14, 14, 32]);
    buildByApplying(deconv, [1, 7, 7, 64]);
    expect(conv.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['c/kernel', [2, 2, 32, 64]],
      ['c/bias', [64]],
    ]);
    expect(deconv.weights.map((w) => [w.originalName, w.shape])).toEqual([
      ['d/kernel', [2, 2, 32, 64]],
      ['d/bias', [32]],
    ]);
    expect(conv.computeOutputShape([null, 14, 14, 32])).toEqual([null, 7, 7, 64]);
    expect(deconv.computeOutputShape([null, 7, 7, 64])).toEqual([null, 14, 14, 32]);
    conv.dispose();
    deconv.dispose();
  });

  it('initialises with glorot-uniform over Keras fans and zero bias', () => {
    // Conv2DTranspose kernel [2, 2, 32, 64]: fan_in = 32·4, fan_out = 64·4 (Keras reads shape[-2], shape[-1]).
    const layer = new DepthToSpaceConv2DTranspose({ filters: 32, seed: 7 });
    buildByApplying(layer, [1, 7, 7, 64]);
    const [kernel, bias] = layer.getWeights();
    const limit = Math.sqrt(6 / (32 * 4 + 64 * 4));
    const k = kernel.dataSync();
    let maxAbs = 0;
    let sumSq = 0;
    for (const value of k) {
      maxAbs = Math.max(maxAbs, Math.abs(value));
      sumSq += value * value;
    }
    expect(maxAbs).toBeLessThanOrEqual(limit);
    expect(maxAbs).toBeGreaterThan(0.99 * limit);
    // Uniform(−L, L) has variance L²/3; 8,192 samples pin it to within a few per cent.
    expect(sumSq / k.length / (limit * limit / 3)).toBeCloseTo(1, 1);
    expect(Array.from(bias.dataSync()).every((b) => b === 0)).toBe(true);
    // Same seed → the same values as tfjs's own glorotUniform initialiser.
    const expected = tf.initializers.glorotUniform({ seed: 7 }).apply([2, 2, 32, 64]);
    expect(maxAbsDiff(kernel, expected)).toBe(0);
    expected.dispose();
    layer.dispose();
  });

  it('survives a save/load round trip through the serialization registry', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const down = new SpaceToDepthConv2D({ filters: 3, activation: 'relu', seed: 1, name: 'down' });
    const up = new DepthToSpaceConv2DTranspose({ filters: 2, activation: 'sigmoid', seed: 2, name: 'up' });
    const output = up.apply(down.apply(input));
    if (!(output instanceof tf.SymbolicTensor)) throw new Error('expected a symbolic tensor');
    const model = tf.model({ inputs: input, outputs: output });
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (artifacts === null) throw new Error('nothing saved');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual([
      'InputLayer',
      'SpaceToDepthConv2D',
      'DepthToSpaceConv2DTranspose',
    ]);
    tf.tidy(() => {
      const x = tf.randomUniform([2, 4, 4, 2], 0, 1, 'float32', 3);
      expect(maxAbsDiff(asTensor(model.predict(x)), asTensor(loaded.predict(x)))).toBe(0);
    });
    model.dispose();
    loaded.dispose();
  });
});

describe('matmul convolutions with the wasm-arranged gradient (forced on the CPU backend)', () => {
  // On cpu the backward pass normally uses tfjs's transpose flags; forcing the wasm arrangement here checks
  // every branch of weightAndBiasGradients against the reference layers: the narrow plain-loop product
  // (cout ≤ 8, small kernels), (dzᵀ·x)ᵀ with row sums (4·cin > cout, as in conv2d_1), and the ones row
  // appended to xᵀ (4·cin ≤ cout).
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => {
    TEST_ONLY.forceStrategy(null);
  });
  const cases: Case[] = [...CASES, { batch: 2, side: 4, cin: 5, cout: 10, activation: 'relu' }];
  for (const c of cases) {
    const label = `batch ${c.batch}, ${c.side}×${c.side}×${c.cin} → ${c.cout}, ${c.activation}`;
    it(`SpaceToDepthConv2D equals Conv2D(k2, s2): ${label}`, () => {
      TEST_ONLY.forceStrategy('explicit');
      compare('conv', c, 'cpu');
    });
    it(`DepthToSpaceConv2DTranspose equals Conv2DTranspose(k2, s2, same): ${label}`, () => {
      TEST_ONLY.forceStrategy('explicit');
      compare('transpose', c, 'cpu');
    });
  }
});

describe('matmul convolutions on the WASM backend (no Conv2DBackpropFilter kernel there)', () => {
  let wasmReady = false;
  beforeAll(async () => {
    wasmReady = await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains: outputs and gradients match the CPU reference layers', async () => {
    expect(wasmReady).toBe(true);
    // The reference layers' backward pass cannot run on wasm: compare ours on wasm with ours on cpu, which the
    // tests above tie to the reference layers.
    const c: Case = { batch: 2, side: 6, cin: 3, cout: 4, activation: 'elu' };
    for (const direction of ['conv', 'transpose'] as const) {
      const seed = 11;
      const run = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        const mine =
          direction === 'conv'
            ? new SpaceToDepthConv2D({ filters: c.cout, activation: c.activation, seed })
            : new DepthToSpaceConv2DTranspose({ filters: c.cout, activation: c.activation, seed });
        buildByApplying(mine, [c.batch, c.side, c.side, c.cin]);
        const outSide = direction === 'conv' ? c.side / 2 : c.side * 2;
        const result = tf.tidy(() => {
          const x = tf.variable(tf.randomNormal([c.batch, c.side, c.side, c.cin], 0, 1, 'float32', seed));
          const r = tf.randomNormal([c.batch, outSide, outSide, c.cout], 0, 1, 'float32', seed + 1);
          const { y, dx, dKernel, dBias } = outputAndGrads(mine, x, r);
          const values = [y, dx, dKernel, dBias].map((t) => Array.from(t.dataSync()));
          x.dispose();
          return values;
        });
        mine.dispose();
        return result;
      };
      const onWasm = await run('wasm');
      const onCpu = await run('cpu');
      onWasm.forEach((values, i) => {
        const worst = values.reduce((m, v, j) => Math.max(m, Math.abs(v - onCpu[i][j])), 0);
        expect(worst, `${direction} tensor ${i}`).toBeLessThan(TOLERANCE);
      });
    }
  });
});
