import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deadUnits, interpolateLatents } from '../../src/analysis/latent-stats';
import { mulberry32 } from '../../src/analysis/rng';
import { ARCH_IDS, LATENT_DIM, buildAutoencoder, splitAutoencoder } from '../../src/models/architectures';
import { decodeLatents, extractLatents } from '../../src/models/latents';
import { reconstruct } from '../../src/models/train';
import { REFERENCE_COUNT, REFERENCE_DIM, loadReferenceLatents } from './reference-latents';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(count: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count * 784 }, () => rng());
}

describe('latent extraction and decoding', () => {
  for (const arch of ARCH_IDS) {
    it(`${arch}: decode(encode(x)) equals the autoencoder's output, and no tensor leaks`, async () => {
      const model = buildAutoencoder(arch, 3);
      const { encoder, decoder } = splitAutoencoder(model);
      const images = randomImages(5, 1);
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const encoded = await extractLatents(encoder, arch, images, 5, { onProgress: (done) => progress.push(done) });
      if (!encoded) throw new Error('extraction stopped unexpectedly');
      // Uniform random pixels have no zeros: the sparse kernel would gain nothing, tfjs encodes.
      expect(encoded.method).toBe('tfjs');
      const { latents } = encoded;
      expect(latents.length).toBe(5 * LATENT_DIM);
      expect(progress.at(-1)).toBe(5);
      const decoded = await decodeLatents(decoder, latents, 5);
      const direct = await reconstruct(model, arch, images, 5);
      for (let i = 0; i < direct.length; i++) expect(decoded[i]).toBeCloseTo(direct[i], 5);
      expect(tf.memory().numTensors).toBe(before);
      encoder.dispose();
      decoder.dispose();
      model.dispose();
    });
  }

  it('encodes MNIST-like images (most pixels 0) with the sparse kernel and images with few zeros with tfjs, to the same codes', async () => {
    const model = buildAutoencoder('cnn_relu', 4);
    const { encoder } = splitAutoencoder(model);
    const rng = mulberry32(9);
    const sparseImages = Float32Array.from({ length: 6 * 784 }, () => (rng() < 0.8 ? 0 : rng()));
    // The same images with every zero pixel but a fifth made 1e-30: the same codes to float32 rounding.
    const denseImages = sparseImages.map((v, i) => (v === 0 && i % 5 !== 0 ? 1e-30 : v));
    const [viaSparse, viaTfjs] = await Promise.all([extractLatents(encoder, 'cnn_relu', sparseImages, 6), extractLatents(encoder, 'cnn_relu', denseImages, 6)]);
    if (!viaSparse || !viaTfjs) throw new Error('stopped unexpectedly');
    expect(viaSparse.method).toBe('sparse');
    expect(viaTfjs.method).toBe('tfjs');
    viaSparse.latents.forEach((v, i) => expect(v).toBeCloseTo(viaTfjs.latents[i], 5));
    model.dispose();
  });

  it('stops between batches when asked', async () => {
    const model = buildAutoencoder('dense', 1);
    const { encoder } = splitAutoencoder(model);
    const latents = await extractLatents(encoder, 'dense', randomImages(3, 2), 3, { shouldStop: () => true });
    expect(latents).toBeNull();
    model.dispose();
  });
});

describe('latent statistics', () => {
  it('counts units that are never above zero', () => {
    // 3 rows × 4 units: unit 1 never fires, unit 3 fires once.
    const latents = Float32Array.of(0.5, 0, 0.1, 0, 0.2, -1, 0, 0, 0, 0, 0.3, 2);
    expect(deadUnits(latents, 3, 4)).toEqual([false, true, false, false]);
  });

  it('finds the reference CNN · ELU model’s 21 codes pinned at −1 (its "0 / 64" counted exactly-zero units)', () => {
    // figures.md credits the reference CNN-ELU with 0 of 64 dead units, yet its own latents hold 21 units that
    // never rise above zero on all 60,000 training digits — each sits near −1 (ELU saturated), as constant as a
    // dead ReLU. ELU never outputs exactly 0, so a count of all-zero units gives 0. The committed fixture (first
    // 2,000 rows) shows the same 21 units (counted on both: a subset can only add dead units, and it adds none).
    const { data } = loadReferenceLatents();
    const dead = deadUnits(data, REFERENCE_COUNT, REFERENCE_DIM);
    expect(dead.filter(Boolean).length).toBe(21);
    for (let j = 0; j < REFERENCE_DIM; j++) {
      if (!dead[j]) continue;
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < REFERENCE_COUNT; i++) {
        const value = data[i * REFERENCE_DIM + j];
        if (value < min) min = value;
        if (value > max) max = value;
      }
      expect(min).toBeGreaterThanOrEqual(-1);
      expect(max).toBeLessThan(-0.9);
    }
  });

  it('interpolates linearly with both endpoints included', () => {
    const path = interpolateLatents(Float32Array.of(0, 10), Float32Array.of(1, 20), 3);
    expect(Array.from(path)).toEqual([0, 10, 0.5, 15, 1, 20]);
  });
});
