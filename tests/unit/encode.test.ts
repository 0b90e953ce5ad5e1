/** A drawn digit through a run's model: codes, reconstructions and MSE as the full model gives them, no tensor left behind. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { ARCH_IDS, LATENT_DIM, buildAutoencoder, splitAutoencoder } from '../../src/models/architectures';
import { encodeImages } from '../../src/models/encode';
import { extractLatents } from '../../src/models/latents';
import { perImageMse, reconstruct } from '../../src/models/train';
import { transferablesOf } from '../../src/worker/protocol';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('encoding a few images', () => {
  for (const arch of ARCH_IDS) {
    it(`${arch}: codes, reconstructions and MSE match the model's own; no tensor leaks`, async () => {
      const model = buildAutoencoder(arch, 5);
      const { encoder, decoder } = splitAutoencoder(model);
      const rng = mulberry32(3);
      const images = Float32Array.from({ length: 2 * 784 }, () => rng());
      const before = tf.memory().numTensors;
      const encoded = await encodeImages(encoder, decoder, arch, images, 2);
      expect(tf.memory().numTensors).toBe(before);
      expect(encoded.dim).toBe(LATENT_DIM);
      expect(encoded.codes).toHaveLength(2 * encoded.dim);
      const codes = (await extractLatents(encoder, arch, images, 2))?.latents;
      const direct = await reconstruct(model, arch, images, 2);
      const mse = await perImageMse(model, arch, images, 2);
      encoded.codes.forEach((v, i) => expect(v).toBeCloseTo(codes?.[i] ?? Number.NaN, 5));
      encoded.reconstructions.forEach((v, i) => expect(v).toBeCloseTo(direct[i], 5));
      encoded.mse.forEach((v, i) => expect(v).toBeCloseTo(mse[i], 6));
      encoder.dispose();
      decoder.dispose();
      model.dispose();
    });
  }

  it('refuses a wrong pixel count', async () => {
    const model = buildAutoencoder('dense', 1);
    const { encoder, decoder } = splitAutoencoder(model);
    const before = tf.memory().numTensors;
    await expect(encodeImages(encoder, decoder, 'dense', new Float32Array(700), 1)).rejects.toThrow(/784/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('the encoded event', () => {
  it('transfers its three buffers instead of copying them', () => {
    const event = { type: 'encoded', jobId: 1, runId: 'r', codes: new Float32Array(4), dim: 4, reconstructions: new Float32Array(784), mse: new Float32Array(1), count: 1 } as const;
    expect(transferablesOf(event)).toEqual([event.codes.buffer, event.reconstructions.buffer, event.mse.buffer]);
  });
});
