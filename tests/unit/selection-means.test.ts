import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { buildAutoencoder } from '../../src/models/architectures';
import { reconstruct } from '../../src/models/train';
import { selectionMeans } from '../../src/worker/engine/selection-means';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mean images of a selection', () => {
  it('equal the means of the gathered images and of their reconstructions, in chunks, without leaking tensors', async () => {
    const rng = mulberry32(5);
    const all = Float32Array.from({ length: 9 * 784 }, () => rng());
    const gather = (indices: Int32Array) => {
      const out = new Float32Array(indices.length * 784);
      indices.forEach((row, i) => out.set(all.subarray(row * 784, (row + 1) * 784), i * 784));
      return out;
    };
    const model = buildAutoencoder('dense', 1);
    const indices = Int32Array.of(0, 2, 3, 7, 8);
    const expectedReconstruction = await reconstruct(model, 'dense', gather(indices), indices.length);
    const before = tf.memory().numTensors;
    // A chunk of 2 images: three chunks, the last one partial.
    const means = await selectionMeans(gather, indices, model, 'dense', 2);
    expect(tf.memory().numTensors).toBe(before);
    for (const p of [0, 100, 783]) {
      const image = Array.from(indices, (row) => all[row * 784 + p]).reduce((a, b) => a + b) / indices.length;
      const recon = Array.from(indices, (_, i) => expectedReconstruction[i * 784 + p]).reduce((a, b) => a + b) / indices.length;
      expect(means.image[p]).toBeCloseTo(image, 6);
      expect(means.reconstruction[p]).toBeCloseTo(recon, 6);
    }
    model.dispose();
  });
});
