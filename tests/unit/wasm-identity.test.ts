/**
 * The shared-data Identity on the WASM backend (src/models/wasm-identity): a clone shares its input's data,
 * the data lives until its last tensor goes, and training gives bit for bit what it gives with tfjs-wasm's
 * copying Identity (which would differ if any kernel wrote into a tensor it was given).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder, IMAGE_PIXELS, type ArchId } from '../../src/models/architectures';
import { trainAutoencoder } from '../../src/models/train';
import { syntheticImages } from './synthetic-images';

/** tfjs-wasm's own Identity (a copy), taken before the module under test replaces it. */
const copyingIdentity = tf.getKernel(tf.Identity, 'wasm');

function useIdentity(kernelFunc: tf.KernelFunc): void {
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc });
}

let sharedIdentity: tf.KernelFunc;

beforeAll(async () => {
  if (copyingIdentity === undefined) throw new Error('tfjs-backend-wasm registered no Identity');
  sharedIdentity = (await import('../../src/models/wasm-identity')).sharedIdentityKernel;
  await tf.setBackend('wasm');
});

afterAll(async () => {
  useIdentity(sharedIdentity);
  await tf.setBackend('cpu');
});

describe('Identity on wasm', () => {
  it('is registered by the module, replacing the copying one', () => {
    expect(tf.getKernel(tf.Identity, 'wasm')?.kernelFunc).toBe(sharedIdentity);
  });

  it('shares the data of its input, which lives until the last of the two is disposed', () => {
    const bytesBefore = tf.memory().numBytes;
    const dataBefore = tf.engine().backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const copy = tf.clone(x);
    expect(copy.dataId).toBe(x.dataId);
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore + 1);
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(copy.shape).toEqual([2, 3]);
    copy.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });

  it.each<ArchId>(['dense', 'cnn_elu'])('trains %s to the same weights and losses as the copying Identity, leaking nothing', async (arch) => {
    const count = 96;
    const train = syntheticImages(count, 11);
    const test = { images: train.images.subarray(0, 32 * IMAGE_PIXELS), count: 32 };
    const run = async (kernelFunc: tf.KernelFunc) => {
      useIdentity(kernelFunc);
      const model = buildAutoencoder(arch, 5);
      const tensorsBefore = tf.memory().numTensors;
      const losses: number[] = [];
      const epochs: number[] = [];
      await trainAutoencoder(model, arch, train, test, { epochs: 2, batchSize: 32, learningRate: 0.001, seed: 3 }, {
        onBatch: ({ loss }) => {
          losses.push(loss);
        },
        onEpochEnd: ({ testMse }) => {
          epochs.push(testMse);
        },
      });
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return { losses, epochs, weights };
    };
    const copied = await run(copyingIdentity?.kernelFunc ?? sharedIdentity);
    const shared = await run(sharedIdentity);
    expect(shared.losses).toEqual(copied.losses);
    expect(shared.epochs).toEqual(copied.epochs);
    expect(shared.weights).toEqual(copied.weights);
    expect(copied.losses.length).toBe(6);
  });
});
