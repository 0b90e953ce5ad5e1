/**
 * The starting point of one of the app's training runs, for PyTorch to start from too: the initial weights that
 * `buildAutoencoder(arch, seed)` draws and the batch order of every epoch that `trainAutoencoder` takes with that
 * seed. With them, `torch_reference.py --fidelity --start-from DIR` trains PyTorch from the same weights on the same
 * batches, so a seed's test MSE compares implementations rather than two draws of initial weights (which alone move
 * a CNN's final test MSE by up to 1.5×: some draws leave more code units dead).
 *
 *   node start-state.mjs --archs cnn_relu,cnn_elu --seeds 0,1,2 --out-dir DIR [--count 60000] [--epochs 20]
 *     [--latent-dim 64] [--test test-images.gz]
 *
 * Writes, per architecture and seed, DIR/<arch>-code<d>-seed<s>.json (layout, and with --test the initial test MSE
 * on the first 1,000 test images, which PyTorch reproduces from the weights as a check of the layout) and .bin:
 * every weight as little-endian float32 in the JSON's order (Keras layouts: Dense kernel [in, out]; Conv2D
 * [kh, kw, in, out]; Conv2DTranspose [kh, kw, out, in]), then `epochs` × `count` int32 image indices.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isLatentSize, LATENT_SIZES } from '../../src/config/train-options';
import { buildAutoencoder, IMAGE_PIXELS, type ArchId } from '../../src/models/architectures';
import { EpochOrder, evaluateMse, reconstruct } from '../../src/models/train';
import { flagValue, loadIdxImages, parseArchList } from './kit-core';

/** One weight in the .bin file: the layer's name, the weight's ('kernel' or 'bias'), its shape and first float. */
export interface StartWeight {
  layer: string;
  weight: string;
  shape: number[];
  offset: number;
}

/** The .json beside a .bin. */
export interface StartStateInfo {
  arch: ArchId;
  seed: number;
  latentDim: number;
  count: number;
  epochs: number;
  weights: StartWeight[];
  /** byte offset of the orders in the .bin */
  ordersOffset: number;
  /**
   * With --test: the untrained model's test MSE on the first images, and its outputs for the first two (a check of
   * the layouts far finer than the MSE, which the sigmoid's ~0.5 everywhere dominates).
   */
  initialTestMse: { images: number; mse: number; firstOutputs: number[] } | null;
}

/** The weights (Keras layouts) and the orders of `epochs` epochs of a run of `arch` with `seed`, as the .bin holds them. */
export function startState(arch: ArchId, seed: number, latentDim: number, count: number, epochs: number): { info: Omit<StartStateInfo, 'initialTestMse'>; bytes: Uint8Array; model: tf.LayersModel } {
  const model = buildAutoencoder(arch, seed, latentDim);
  const weights: StartWeight[] = [];
  const values: Float32Array[] = [];
  let offset = 0;
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      const value = variable.read().dataSync() as Float32Array;
      const weight = variable.name.split('/').pop() ?? variable.name;
      weights.push({ layer: layer.name, weight: weight.replace(/_\d+$/, ''), shape: [...variable.shape] as number[], offset });
      values.push(value);
      offset += value.length;
    }
  }
  const order = new EpochOrder(count, seed);
  const bytes = new Uint8Array(offset * 4 + epochs * count * 4);
  const floats = new Float32Array(bytes.buffer, 0, offset);
  values.forEach((value, i) => floats.set(value, weights[i].offset));
  const orders = new Int32Array(bytes.buffer, offset * 4, epochs * count);
  for (let epoch = 0; epoch < epochs; epoch++) orders.set(order.next(), epoch * count);
  return { info: { arch, seed, latentDim, count, epochs, weights, ordersOffset: offset * 4 }, bytes, model };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  await tf.setBackend('cpu');
  const archs = parseArchList(flagValue(argv, '--archs', 'cnn_relu,cnn_elu'));
  const seeds = flagValue(argv, '--seeds', '0,1,2').split(',').map(Number);
  const count = Number(flagValue(argv, '--count', '60000'));
  const epochs = Number(flagValue(argv, '--epochs', '20'));
  const latentDim = Number(flagValue(argv, '--latent-dim', '64'));
  if (!isLatentSize(latentDim)) throw new Error(`--latent-dim must be one of ${LATENT_SIZES.join(', ')}`);
  const outDir = flagValue(argv, '--out-dir', '.');
  mkdirSync(outDir, { recursive: true });
  const testPath = flagValue(argv, '--test', '');
  const test = testPath ? loadIdxImages(readFileSync(testPath), testPath).set : null;
  for (const arch of archs) {
    for (const seed of seeds) {
      const { info, bytes, model } = startState(arch, seed, latentDim, count, epochs);
      let initialTestMse: StartStateInfo['initialTestMse'] = null;
      if (test) {
        const images = Math.min(1000, test.count);
        const mse = await evaluateMse(model, arch, { images: test.images.subarray(0, images * IMAGE_PIXELS), count: images });
        const firstOutputs = Array.from(await reconstruct(model, arch, test.images, 2));
        initialTestMse = { images, mse, firstOutputs };
      }
      model.dispose();
      const base = join(outDir, `${arch}-code${latentDim}-seed${seed}`);
      writeFileSync(`${base}.bin`, bytes);
      writeFileSync(`${base}.json`, `${JSON.stringify({ ...info, initialTestMse }, null, 1)}\n`);
      console.log(`start-state: ${base}.bin (${(bytes.length / 2 ** 20).toFixed(1)} MiB)${initialTestMse ? `, initial test MSE ${initialTestMse.mse}` : ''}`);
    }
  }
}

if (process.argv[1]?.endsWith('start-state.mjs')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
