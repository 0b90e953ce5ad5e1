/**
 * Input noise for denoising runs: seeded and reproducible, bounded in [0, 1], the asked fraction of pixels hit by
 * salt and pepper, Gaussian statistics, the tfjs twin equal to the host version without leaks, and a denoising
 * run that trains on noisy inputs against clean targets and resumes exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyNoise, batchNoise, noiseSeed, noisyImages, NOISE_STREAM, sampleNoise, testInputs } from '../../src/data/noise';
import { mulberry32 } from '../../src/analysis/rng';
import { buildAutoencoder } from '../../src/models/architectures';
import type { AdamState } from '../../src/models/keras-adam';
import { noisyBatch } from '../../src/models/noise';
import { DEFAULT_TRAIN_OPTIONS, evaluateMse, perImageMse, reconstruct, trainAutoencoder } from '../../src/models/train';
import { syntheticImages } from './synthetic-images';

const PIXELS = 784;
const GAUSS = { kind: 'gaussian', sigma: 0.1 } as const;
const SALT = { kind: 'saltPepper', fraction: 0.1 } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grey = (count: number) => new Float32Array(count * PIXELS).fill(0.5);

describe('noise generation', () => {
  it('the same seed and position give the same noise; another seed, stream or position other noise', () => {
    const draw = (seed: number, a: number, b: number) => batchNoise(GAUSS, 2000, seed, a, b);
    expect(draw(1, 2, 3)).toEqual(draw(1, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(2, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 3, 2));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 2, 4));
    expect(noiseSeed(1, NOISE_STREAM.train, 0)).not.toBe(noiseSeed(1, NOISE_STREAM.test, 0));
    const images = syntheticImages(6, 3).images;
    expect(noisyImages(SALT, images, 6, 9, NOISE_STREAM.test)).toEqual(noisyImages(SALT, images, 6, 9, NOISE_STREAM.test));
  });

  it('an image’s noise follows its index, not how images are grouped', () => {
    const { images } = syntheticImages(10, 4);
    const whole = noisyImages(GAUSS, images, 10, 7, NOISE_STREAM.test);
    const tail = noisyImages(GAUSS, images.subarray(6 * PIXELS), 4, 7, NOISE_STREAM.test, (i) => 6 + i);
    expect(tail).toEqual(whole.subarray(6 * PIXELS));
    // testInputs: the same noisy copy for a denoising run, the images themselves otherwise.
    expect(testInputs({ noise: GAUSS, seed: 7 }, images, 10)).toEqual(whole);
    expect(testInputs({ noise: { kind: 'none' }, seed: 7 }, images, 10)).toBe(images);
  });

  it('noisy pixels stay in [0, 1], for both kinds and strong noise', () => {
    const { images } = syntheticImages(20, 5);
    for (const noise of [{ kind: 'gaussian', sigma: 1 } as const, GAUSS, { kind: 'saltPepper', fraction: 0.5 } as const]) {
      const noisy = noisyImages(noise, images, 20, 3, NOISE_STREAM.test);
      let min = Infinity;
      let max = -Infinity;
      for (const v of noisy) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(min).toBeGreaterThanOrEqual(0);
      expect(max).toBeLessThanOrEqual(1);
      expect(noisy).not.toEqual(images);
    }
  });

  it('salt and pepper hits close to the asked fraction of pixels, half salt and half pepper', () => {
    const count = 200;
    for (const fraction of [0.02, 0.1, 0.5]) {
      const noisy = noisyImages({ kind: 'saltPepper', fraction }, grey(count), count, 11, NOISE_STREAM.test);
      let salt = 0;
      let pepper = 0;
      let other = 0;
      for (const v of noisy) {
        if (v === 1) salt++;
        else if (v === 0) pepper++;
        else if (v !== 0.5) other++;
      }
      expect(other).toBe(0);
      const n = count * PIXELS;
      // 156,800 pixels: the standard error of the fraction is below 0.0013; allow 4 of them.
      expect(Math.abs((salt + pepper) / n - fraction)).toBeLessThan(4 * Math.sqrt((fraction * (1 - fraction)) / n));
      expect(Math.abs(salt / (salt + pepper) - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / (salt + pepper)));
    }
  });

  it('Gaussian noise has mean 0 and standard deviation σ (then is clipped)', () => {
    const values = sampleNoise({ kind: 'gaussian', sigma: 0.2 }, 200_000, mulberry32(17));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(sd - 0.2)).toBeLessThan(0.002);
    // On mid-grey pixels σ 0.1 is almost never clipped: the noisy image minus the clean one is the noise.
    const out = applyNoise(GAUSS, grey(1), sampleNoise(GAUSS, PIXELS, mulberry32(2)), new Float32Array(PIXELS));
    const diff = Array.from(out, (v) => v - 0.5);
    const sdOut = Math.sqrt(diff.reduce((a, b) => a + b * b, 0) / diff.length);
    expect(sdOut).toBeGreaterThan(0.08);
    expect(sdOut).toBeLessThan(0.12);
  });

  it('the tfjs batch noise equals the host noise, for both kinds and shapes, and leaks no tensors', () => {
    const { images } = syntheticImages(8, 6);
    for (const noise of [GAUSS, SALT]) {
      for (const shape of [[8, PIXELS], [8, 28, 28, 1]]) {
        const before = tf.memory().numTensors;
        const got = tf.tidy(() => noisyBatch(tf.tensor(images, shape), noise, 5, 2, 3).dataSync());
        expect(tf.memory().numTensors).toBe(before);
        const want = applyNoise(noise, images, batchNoise(noise, 8 * PIXELS, 5, 2, 3), new Float32Array(8 * PIXELS));
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst).toBeLessThan(1e-6);
      }
    }
  });
});

describe('denoising training', () => {
  it('measures against the clean images: noisy test inputs in, the per-image and whole-set figures agreeing', async () => {
    const test = syntheticImages(20, 8);
    const model = buildAutoencoder('dense', 1);
    const clean = await evaluateMse(model, 'dense', test);
    const noisy = await evaluateMse(model, 'dense', test, undefined, { noise: { kind: 'saltPepper', fraction: 0.5 }, seed: 1 });
    expect(noisy).not.toBe(clean);
    // The per-image figures agree with the whole-set one, and with what reconstruct gives for the noisy inputs.
    const inputs = testInputs({ noise: { kind: 'saltPepper', fraction: 0.5 }, seed: 1 }, test.images, test.count);
    const perImage = await perImageMse(model, 'dense', test.images, test.count, inputs);
    expect(perImage.reduce((a, b) => a + b, 0) / test.count).toBeCloseTo(noisy, 6);
    const recon = await reconstruct(model, 'dense', inputs, test.count);
    let sum = 0;
    for (let i = 0; i < recon.length; i++) sum += (recon[i] - test.images[i]) ** 2;
    expect(sum / recon.length).toBeCloseTo(noisy, 6);
    model.dispose();
  });

  it('trains on noisy inputs, and a resumed denoising run is exactly the uninterrupted one', async () => {
    const train = syntheticImages(40, 21);
    const test = syntheticImages(4, 22);
    const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, batchSize: 16, seed: 5, noise: GAUSS };
    const straight = buildAutoencoder('dense', 3);
    const straightLosses: number[] = [];
    const before = tf.memory().numTensors;
    await trainAutoencoder(straight, 'dense', train, test, options, { onBatch: (info) => straightLosses.push(info.loss) });
    expect(tf.memory().numTensors).toBe(before);

    // The plain run from the same start sees other batches' inputs, so its losses differ.
    const plain = buildAutoencoder('dense', 3);
    const plainLosses: number[] = [];
    await trainAutoencoder(plain, 'dense', train, test, { ...options, noise: { kind: 'none' } }, { onBatch: (info) => plainLosses.push(info.loss) });
    expect(plainLosses[0]).not.toBe(straightLosses[0]);
    plain.dispose();

    const first = buildAutoencoder('dense', 3);
    const losses: number[] = [];
    let saved: { weights: Float32Array[]; optimizer: AdamState } | null = null;
    await trainAutoencoder(first, 'dense', train, test, { ...options, epochs: 1 }, {
      onBatch: (info) => losses.push(info.loss),
      onEpochEnd: async (info) => {
        saved = { weights: first.getWeights().map((w) => Float32Array.from(w.dataSync())), optimizer: await info.readOptimizerState() };
      },
    });
    first.dispose();
    if (!saved) throw new Error('no epoch ended');
    const { weights, optimizer } = saved as { weights: Float32Array[]; optimizer: AdamState };
    const second = buildAutoencoder('dense', 99);
    second.setWeights(second.getWeights().map((w, i) => tf.tensor(weights[i], w.shape)));
    await trainAutoencoder(second, 'dense', train, test, options, { onBatch: (info) => losses.push(info.loss) }, { epochsCompleted: 1, optimizer });
    expect(losses).toEqual(straightLosses);
    const a = second.getWeights().map((w) => Array.from(w.dataSync()));
    const b = straight.getWeights().map((w) => Array.from(w.dataSync()));
    expect(a).toEqual(b);
    [straight, second].forEach((m) => m.dispose());
  });
});
