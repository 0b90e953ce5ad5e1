/**
 * The GPU measurement kit (scripts/gpu-kit): its pure parts in-process, and the bundled kit.mjs end to end on
 * tfjs's cpu backend (the WebGPU path needs a GPU and runs on the device machine; see README).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, IDX_IMAGES_MAGIC } from '../../src/data/idx';
import { ARCHITECTURES, buildAutoencoder } from '../../src/models/architectures';
import {
  cycleImages,
  forwardMacsPerSample,
  loadIdxImages,
  median,
  parseKitArgs,
  trainingFlopsPerSample,
} from '../../scripts/gpu-kit/kit-core';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gpu kit, pure parts', () => {
  it('counts training FLOPs from the layer shapes', () => {
    const dense = buildAutoencoder('dense', 1);
    const cnn = buildAutoencoder('cnn_elu', 1);
    try {
      // 784·784 + 784·64 + 64·784 multiply-accumulates, ×2 FLOPs, ×3 for forward + backward.
      expect(trainingFlopsPerSample(dense)).toBe(6 * (784 * 784 + 784 * 64 + 64 * 784));
      expect(forwardMacsPerSample(cnn)).toEqual({
        conv2d: 14 * 14 * 4 * 32,
        conv2d_1: 7 * 7 * 128 * 64,
        latent: 3136 * 64,
        dense: 64 * 3136,
        conv2d_transpose: 7 * 7 * 64 * 128,
        conv2d_transpose_1: 14 * 14 * 32 * 4,
      });
      expect(trainingFlopsPerSample(cnn) / 1e6).toBeCloseTo(7.53, 2);
    } finally {
      dense.dispose();
      cnn.dispose();
    }
  });

  it('reads gzip and raw IDX images and cycles them', () => {
    const pixels = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 256);
    const idx = encodeIdx(IDX_IMAGES_MAGIC, [3, 28, 28], pixels);
    const fromGzip = loadIdxImages(new Uint8Array(gzipSync(idx)), 'x.gz');
    const fromRaw = loadIdxImages(idx, 'x');
    expect(fromGzip.info).toEqual({ source: 'mnist-idx', path: 'x.gz', images: 3 });
    expect(fromGzip.set.images).toEqual(fromRaw.set.images);
    expect(fromRaw.set.images[255]).toBeCloseTo(1, 6);
    const cycled = cycleImages(fromRaw.set, 7);
    expect(cycled.count).toBe(7);
    expect(cycled.images.subarray(6 * 784, 7 * 784)).toEqual(fromRaw.set.images.subarray(0, 784));
  });

  it('parses the command line; the last --batches wins', () => {
    const o = parseKitArgs(['--backend', 'cpu', '--batches', 'dense=7,cnn_elu=3', '--dawn-flag', 'backend=vulkan']);
    expect(o.backend).toBe('cpu');
    expect(o.batches).toEqual({ dense: 7, cnn_elu: 3 });
    expect(o.dawnFlags).toEqual(['backend=vulkan']);
    expect(parseKitArgs(['--batches', 'dense=7', '--batches', '4'])).toMatchObject({ batches: {}, defaultBatches: 4 });
    expect(() => parseKitArgs(['--archs', 'mlp'])).toThrow(/unknown architecture/);
    expect(() => parseKitArgs(['--warmup'])).toThrow(/needs a value/);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('gpu kit bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-kit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains dense for two batches on cpu and reports valid JSON', () => {
    execFileSync(process.execPath, ['scripts/gpu-kit/build.mjs', '--bundle-only', '--out-dir', dir], { stdio: 'pipe' });
    // No data file beside this bundle, so the kit trains on its synthetic images.
    const stdout = execFileSync(
      process.execPath,
      [join(dir, 'kit.mjs'), '--backend', 'cpu', '--archs', 'dense', '--batches', '2', '--warmup', '0', '--check-steps', '1', '--out', join(dir, 'kit.json')],
      { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
    const report: unknown = JSON.parse(stdout);
    expect(JSON.parse(readFileSync(join(dir, 'kit.json'), 'utf8'))).toEqual(report);
    expect(report).toMatchObject({ kit: 'autoencoder-gpu-kit', backend: 'cpu', error: null, data: { source: 'synthetic' } });
    const { results } = report as { results: Record<string, unknown>[] };
    expect(results).toHaveLength(1);
    const dense = results[0];
    expect(dense).toMatchObject({ arch: 'dense', params: ARCHITECTURES.dense.params, paramsMatchReference: true, timedBatches: 2 });
    for (const key of ['samplesPerSec', 'gflopsPerSec', 'lossStart', 'lossEnd', 'medianBatchMs']) {
      expect(Number.isFinite(dense[key]), key).toBe(true);
      expect(dense[key] as number, key).toBeGreaterThan(0);
    }
    // One Adam step from the seeded weights lowers the loss (seeded, so the same batches every run).
    expect(dense.lossEnd as number).toBeLessThan(dense.lossStart as number);
    // cpu against cpu: the same code on the same backend gives the same loss.
    expect(dense.check).toMatchObject({ reference: 'cpu', steps: 1, maxRelDiff: 0 });
  });

  it('runs the fidelity schedule with a chosen code size (--latent-dim 2) and refuses sizes outside the list', () => {
    // The bundle from the test above; tiny IDX files stand in for MNIST.
    const idx = (count: number, seed: number) => gzipSync(encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], Uint8Array.from({ length: count * 784 }, (_, i) => ((i * 31 + seed * 17) % 97) * 2)));
    writeFileSync(join(dir, 'train.gz'), idx(256, 1));
    writeFileSync(join(dir, 'test.gz'), idx(16, 2));
    const args = ['--train', join(dir, 'train.gz'), '--test', join(dir, 'test.gz'), '--backend', 'cpu', '--archs', 'dense', '--seeds', '0', '--epochs', '1', '--train-size', '256'];
    const stdout = execFileSync(process.execPath, [join(dir, 'fidelity.mjs'), ...args, '--latent-dim', '2'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const report = JSON.parse(stdout) as { latentDim: number; error: string | null; runs: { latentDim: number; params: number; testMsePerEpoch: number[]; error: string | null }[] };
    expect(report).toMatchObject({ latentDim: 2, error: null });
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ latentDim: 2, params: 619_362, error: null });
    expect(report.runs[0].testMsePerEpoch).toHaveLength(1);
    expect(Number.isFinite(report.runs[0].testMsePerEpoch[0])).toBe(true);
    expect(() => execFileSync(process.execPath, [join(dir, 'fidelity.mjs'), ...args, '--latent-dim', '5'], { stdio: 'pipe' })).toThrow();
  });
});
