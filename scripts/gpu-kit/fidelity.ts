/**
 * Fidelity on a GPU: the reference schedule (20 epochs, all 60,000 MNIST training images, batch 256, Adam lr
 * 0.001) with the app's own model and training code, per architecture and seed, on tfjs's WebGPU backend in
 * Node through Dawn (or `cpu` for a try here). Reports the test MSE after every epoch on the 10,000 test images,
 * so medians over seeds can be set beside PyTorch's (torch_reference.py --fidelity). JSON on stdout and in --out
 * after every run, so a run cut short by a timeout still leaves what finished.
 *
 *   node fidelity.mjs --train train-images.gz --test test-images.gz --archs cnn_elu,dense --seeds 0,1,2
 *     [--epochs 20] [--train-size 60000] [--latent-dim 64] [--backend webgpu|cpu] [--dawn path] [--out file]
 *
 * `--latent-dim` is the code size (one of the form's: 2, 3, 8, 16, 32, 64; 64 the reference), e.g. `--latent-dim 2`
 * for the 2-d codes of the manifold view; each run reports it as `latentDim` (bench field `fidelity[].latentDim`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { isLatentSize, LATENT_SIZES } from '../../src/config/train-options';
import { buildAutoencoder, paramCount, type ArchId } from '../../src/models/architectures';
import { trainAutoencoder } from '../../src/models/train';
import { findAdapter, useWebGpuBackend } from './dawn';
import { flagValue, loadIdxImages, parseArchList } from './kit-core';

interface FidelityRun {
  arch: ArchId;
  seed: number;
  /** the code size the model was built with */
  latentDim: number;
  /** its trainable parameters (the reference counts at 64) */
  params: number;
  epochs: number;
  trainSize: number;
  initialTestMse: number | null;
  testMsePerEpoch: number[];
  trainLossPerEpoch: number[];
  seconds: number;
  error: string | null;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const kitDir = dirname(fileURLToPath(import.meta.url));
  const archs = parseArchList(flagValue(argv, '--archs', 'cnn_elu,dense,cnn_relu'));
  const seeds = flagValue(argv, '--seeds', '0,1,2').split(',').map(Number);
  const epochs = Number(flagValue(argv, '--epochs', '20'));
  const trainSizeWanted = Number(flagValue(argv, '--train-size', '60000'));
  const backend = flagValue(argv, '--backend', 'webgpu');
  const outPath = flagValue(argv, '--out', '');
  const latentDim = Number(flagValue(argv, '--latent-dim', '64'));
  if (!isLatentSize(latentDim)) throw new Error(`--latent-dim must be one of ${LATENT_SIZES.join(', ')}`);
  const train = loadIdxImages(readFileSync(flagValue(argv, '--train', join(kitDir, 'train-full-images-idx3-ubyte.gz'))), 'train').set;
  const test = loadIdxImages(readFileSync(flagValue(argv, '--test', join(kitDir, 't10k-images-idx3-ubyte.gz'))), 'test').set;
  const trainSize = Math.min(trainSizeWanted, train.count);
  const report = { kit: 'autoencoder-gpu-fidelity', backend: '', adapter: null as unknown, epochs, trainSize, latentDim, testImages: test.count, runs: [] as FidelityRun[], error: null as string | null };
  const save = () => {
    const json = JSON.stringify(report, null, 2);
    if (outPath) writeFileSync(outPath, `${json}\n`);
    return json;
  };
  try {
    if (backend === 'webgpu') {
      const found = await findAdapter(flagValue(argv, '--dawn', join(kitDir, 'dawn.node')), []);
      if (!found.adapter || !found.gpu) throw new Error('Dawn found no WebGPU adapter');
      report.adapter = found.report.adapter;
      await useWebGpuBackend(found.adapter, found.gpu);
    } else if (!(await tf.setBackend('cpu'))) {
      throw new Error('no cpu backend');
    }
    report.backend = tf.getBackend();
    for (const arch of archs) {
      for (const seed of seeds) {
        const run: FidelityRun = { arch, seed, latentDim, params: paramCount(arch, latentDim), epochs, trainSize, initialTestMse: null, testMsePerEpoch: [], trainLossPerEpoch: [], seconds: 0, error: null };
        report.runs.push(run);
        const started = performance.now();
        const model = buildAutoencoder(arch, seed, latentDim);
        try {
          await trainAutoencoder(model, arch, { images: train.images, count: trainSize }, test, { epochs, batchSize: 256, learningRate: 1e-3, seed }, {
            onEpochEnd: (info) => {
              run.testMsePerEpoch.push(info.testMse);
              run.trainLossPerEpoch.push(info.trainLoss);
              run.seconds = (performance.now() - started) / 1000;
              process.stderr.write(`fidelity: ${arch} code ${latentDim} seed ${seed} epoch ${info.epoch + 1}: test MSE ${info.testMse.toFixed(5)} (${run.seconds.toFixed(0)} s)\n`);
              save();
            },
          });
        } catch (e) {
          run.error = e instanceof Error ? e.message : String(e);
        } finally {
          model.dispose();
        }
        run.seconds = (performance.now() - started) / 1000;
        save();
      }
    }
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
  }
  process.stdout.write(`${save()}\n`);
  return report.error === null ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fidelity: ${String(e)}\n`);
    process.exit(1);
  },
);
