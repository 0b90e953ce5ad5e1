import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { ARCH_IDS, buildAutoencoder, type ArchId } from '../../src/models/architectures';
import { layerActivations } from '../../src/models/activations';
import { reconstruct } from '../../src/models/train';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CNN_LAYERS = (bottleneck: string) => [
  ['conv2d', 'Conv2D', 'relu', [14, 14, 32]],
  ['conv2d_1', 'Conv2D', 'relu', [7, 7, 64]],
  ['flatten', 'Flatten', null, [3136]],
  ['latent', 'Dense', bottleneck, [64]],
  ['dense', 'Dense', bottleneck, [3136]],
  ['reshape', 'Reshape', null, [7, 7, 64]],
  ['conv2d_transpose', 'Conv2DTranspose', bottleneck, [14, 14, 32]],
  ['conv2d_transpose_1', 'Conv2DTranspose', 'sigmoid', [28, 28, 1]],
];

const EXPECTED: Record<ArchId, (string | null | number[])[][]> = {
  dense: [
    ['dense', 'Dense', 'relu', [784]],
    ['latent', 'Dense', 'relu', [64]],
    ['dense_1', 'Dense', 'sigmoid', [784]],
  ],
  cnn_relu: CNN_LAYERS('relu'),
  cnn_elu: CNN_LAYERS('elu'),
};

function randomImage(seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: 784 }, () => rng());
}

describe('layer activations of one image', () => {
  for (const arch of ARCH_IDS) {
    it(`${arch}: every layer's name, type, activation and shape; the last equals the model's output; no tensor leaks`, async () => {
      const model = buildAutoencoder(arch, 5);
      const image = randomImage(7);
      const before = tf.memory().numTensors;
      const layers = await layerActivations(model, arch, image);
      expect(tf.memory().numTensors).toBe(before);
      expect(layers.map((l) => [l.name, l.type, l.activation, l.shape])).toEqual(EXPECTED[arch]);
      for (const layer of layers) expect(layer.values.length).toBe(layer.shape.reduce((a, b) => a * b, 1));
      const output = layers.at(-1)?.values ?? new Float32Array(0);
      const direct = await reconstruct(model, arch, image, 1);
      expect(output.length).toBe(784);
      for (let i = 0; i < 784; i++) expect(output[i]).toBeCloseTo(direct[i], 5);
      model.dispose();
    });
  }

  it('shows the activation functions: ReLU layers are never negative, ELU layers go below 0 but not below −1', async () => {
    const image = randomImage(11);
    const reluModel = buildAutoencoder('cnn_relu', 2);
    const eluModel = buildAutoencoder('cnn_elu', 2);
    const relu = await layerActivations(reluModel, 'cnn_relu', image);
    const elu = await layerActivations(eluModel, 'cnn_elu', image);
    reluModel.dispose();
    eluModel.dispose();
    const dense = (layers: typeof relu) => layers.find((l) => l.name === 'dense')?.values ?? new Float32Array(0);
    expect(Math.min(...dense(relu))).toBeGreaterThanOrEqual(0);
    expect(dense(relu).some((v) => v === 0)).toBe(true);
    expect(Math.min(...dense(elu))).toBeLessThan(0);
    expect(Math.min(...dense(elu))).toBeGreaterThanOrEqual(-1);
    // Flatten and Reshape only rearrange: the same numbers as the layer before.
    const byName = (name: string) => elu.find((l) => l.name === name)?.values;
    expect(byName('flatten')).toEqual(byName('conv2d_1'));
    expect(byName('reshape')).toEqual(byName('dense'));
  });

  it('refuses an input that is not one image', async () => {
    const model = buildAutoencoder('dense', 1);
    await expect(layerActivations(model, 'dense', new Float32Array(10))).rejects.toThrow(/784 pixels/);
    model.dispose();
  });
});
