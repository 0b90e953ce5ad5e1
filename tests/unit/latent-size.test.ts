/**
 * The code size a person chooses: parameter counts for every architecture and size (computed from the layers,
 * checked against the built models), models built at each size, their encoder/decoder halves, and the latents
 * and decoding that follow the run's own size.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATENT_SIZES } from '../../src/config/train-options';
import { ARCH_IDS, ARCHITECTURES, buildAutoencoder, latentDimOf, paramCount, splitAutoencoder, summarize } from '../../src/models/architectures';
import { decodeLatents, extractLatents } from '../../src/models/latents';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('parameter counts by code size', () => {
  it('are the Keras reference counts at 64', () => {
    expect(paramCount('dense', 64)).toBe(716_640);
    expect(paramCount('cnn_relu', 64)).toBe(421_377);
    expect(paramCount('cnn_elu', 64)).toBe(421_377);
    for (const arch of ARCH_IDS) expect(paramCount(arch, 64)).toBe(ARCHITECTURES[arch].params);
  });

  it('follow the dense formula 784·784+784 + 784·d+d + d·784+784', () => {
    for (const d of LATENT_SIZES) expect(paramCount('dense', d)).toBe(784 * 784 + 784 + 784 * d + d + d * 784 + 784);
    // 2-d: 615,440 + 1,570 + 2,352
    expect(paramCount('dense', 2)).toBe(619_362);
    // CNN 2-d: 160 + 8,256 + 6,274 + 9,408 + 8,224 + 129
    expect(paramCount('cnn_elu', 2)).toBe(32_451);
  });

  it.each(ARCH_IDS)('equal the built %s model’s count at every code size', (arch) => {
    for (const d of LATENT_SIZES) {
      const model = buildAutoencoder(arch, 0, d);
      expect(model.countParams()).toBe(paramCount(arch, d));
      expect(summarize(model).reduce((sum, row) => sum + row.params, 0)).toBe(paramCount(arch, d));
      expect(model.getLayer('latent').outputShape).toEqual([null, d]);
      expect(latentDimOf(model)).toBe(d);
      model.dispose();
    }
  });

  it('refuses a code that is not a whole number of units', () => {
    expect(() => buildAutoencoder('dense', 0, 0)).toThrow(/whole number/);
    expect(() => buildAutoencoder('dense', 0, 2.5)).toThrow(/whole number/);
  });
});

describe.each(ARCH_IDS)('%s with a 2-number code', (arch) => {
  it('splits into an encoder to 2 numbers and a decoder from 2, composing to the model, without leaks', async () => {
    const model = buildAutoencoder(arch, 1, 2);
    const { encoder, decoder } = splitAutoencoder(model);
    expect(encoder.outputs[0].shape).toEqual([null, 2]);
    expect(decoder.inputs[0].shape).toEqual([null, 2]);
    const count = 5;
    const images = Float32Array.from({ length: count * 784 }, (_, i) => ((i * 7919) % 255) / 255);
    const before = tf.memory().numTensors;
    const latents = (await extractLatents(encoder, arch, images, count))?.latents;
    if (!latents) throw new Error('not stopped, so latents are expected');
    expect(latents.length).toBe(count * 2);
    const decoded = await decodeLatents(decoder, latents, count);
    expect(decoded.length).toBe(count * 784);
    expect(tf.memory().numTensors).toBe(before);
    const direct = tf.tidy(() => {
      const shape = arch === 'dense' ? [count, 784] : [count, 28, 28, 1];
      const out = model.predict(tf.tensor(images, shape));
      if (Array.isArray(out)) throw new Error('one output expected');
      return out.dataSync();
    });
    let worst = 0;
    for (let i = 0; i < decoded.length; i++) worst = Math.max(worst, Math.abs(decoded[i] - direct[i]));
    expect(worst).toBeLessThan(1e-5);
    await expect(decodeLatents(decoder, new Float32Array(count * 64), count)).rejects.toThrow(/not 5 codes of 2/);
    [model, encoder, decoder].forEach((m) => m.dispose());
  });
});
