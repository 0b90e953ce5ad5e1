/**
 * Seeing the manifold in a real browser (WASM). Draw a digit: a stroke drawn with the mouse becomes an
 * MNIST-style 28 × 28 input (centre of mass at the middle), each finished run shows its reconstruction, MSE
 * and code; with latents, KMeans and a map of that run, the drawing's 8 nearest training digits, its cluster
 * and a marker on the map; Undo and Clear, and an empty drawing gets a message instead of a reconstruction.
 * The code plane: a dense run with a 2-number code shows its decoded manifold grid, decodes under the pointer
 * and the arrow keys, and redecodes at another grid size. (Knobs and activations: inside.test.ts; a denoising
 * run's three rows: latent-options.test.ts.)
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, trainSmallModel, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** Draws a polyline on the drawing canvas with the mouse; points are fractions of the canvas's size. */
async function drawStroke(page: Page, points: [number, number][]): Promise<void> {
  const canvas = page.getByTestId('draw-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (!box) throw new Error('the drawing canvas is not on screen');
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 8 });
  await page.mouse.up();
}

/** Centre of mass (continuous pixel coordinates) and ink sum of the 28 × 28 input as drawn on its canvas. */
async function inputMoments(page: Page): Promise<{ x: number; y: number; mass: number }> {
  return page.getByTestId('draw-input').evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const data = canvas.getContext('2d')?.getImageData(0, 0, 28, 28).data ?? new Uint8ClampedArray(0);
    let mass = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < 784; i++) {
      const ink = (255 - data[4 * i]) / 255; // DigitImage draws ink dark on white
      mass += ink;
      sx += ink * ((i % 28) + 0.5);
      sy += ink * (Math.floor(i / 28) + 0.5);
    }
    return { x: sx / mass, y: sy / mass, mass };
  });
}

describe('draw a digit', () => {
  it('reconstructs a drawn digit with every run, places it among the training codes, and asks for a drawing when empty', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('draw-empty').textContent()).resolves.toBe('Draw a digit first.');
    await trainSmallModel(page, 1024);

    // A "7": a bar across the top, then a stroke down to the lower left.
    await drawStroke(page, [
      [0.25, 0.2],
      [0.75, 0.2],
      [0.45, 0.85],
    ]);
    await page.getByTestId('draw-input').waitFor();
    const moments = await inputMoments(page);
    expect(Math.abs(moments.x - 14)).toBeLessThanOrEqual(0.6);
    expect(Math.abs(moments.y - 14)).toBeLessThanOrEqual(0.6);
    expect(moments.mass).toBeGreaterThan(20);
    const answer = page.getByTestId('draw-run');
    await expect(answer.count()).resolves.toBe(1);
    await answer.getByTestId('draw-reconstruction').waitFor({ timeout: 30_000 });
    const mse = Number(await answer.getByTestId('draw-mse').textContent());
    expect(mse).toBeGreaterThan(0);
    expect(mse).toBeLessThan(1);
    const dim = Number(await answer.getByTestId('draw-code').getAttribute('data-dim'));
    expect(dim).toBeGreaterThanOrEqual(2);
    await expect(answer.getByTestId('draw-code-bar').count()).resolves.toBe(dim);

    // Latents of the test set, KMeans and a small map of that run: 8 neighbours with their pictures, a cluster, a marker.
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 60_000 });
    await expect(answer.getByTestId('draw-neighbour').count()).resolves.toBe(8);
    await answer.getByTestId('draw-neighbours').getByRole('img').nth(7).waitFor({ timeout: 30_000 });
    const captions = await answer.getByTestId('draw-neighbour').allTextContents();
    const distances = captions.map((text) => {
      const match = /^([0-9]) · ([0-9.]+)$/.exec(text);
      if (!match) throw new Error(`unexpected neighbour caption "${text}"`);
      return Number(match[2]);
    });
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
    await page.getByLabel('n_init').fill('1');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect(answer.getByTestId('draw-cluster').textContent()).resolves.toMatch(/^KMeans cluster [0-9] \(nearest of the 10 centres/);
    await page.getByLabel(/^Points/).fill('400');
    await page.getByLabel('Iterations').fill('250');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 60_000 });
    const marker = answer.getByTestId('draw-map-marker');
    await marker.waitFor();
    expect(Number.isFinite(Number(await marker.getAttribute('data-x')))).toBe(true);
    expect(Number.isFinite(Number(await marker.getAttribute('data-y')))).toBe(true);
    await expect(answer.getByTestId('draw-map-method').textContent()).resolves.toMatch(/weighted by 1 \/ its latent distance/);

    // A second stroke, then Undo: the first drawing's input comes back.
    const first = await page.getByTestId('draw-input').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    await drawStroke(page, [
      [0.3, 0.55],
      [0.7, 0.55],
    ]);
    await expect.poll(() => page.getByTestId('draw-input').evaluate((c) => (c as HTMLCanvasElement).toDataURL())).not.toBe(first);
    const panel = page.getByRole('region', { name: /Draw a digit/ });
    await panel.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => page.getByTestId('draw-input').evaluate((c) => (c as HTMLCanvasElement).toDataURL())).toBe(first);

    // Cleared: a message, no reconstruction.
    await panel.getByRole('button', { name: 'Clear' }).click();
    await expect(page.getByTestId('draw-empty').textContent()).resolves.toBe('Draw a digit first.');
    await expect(page.getByTestId('draw-reconstruction').count()).resolves.toBe(0);
    await expect(page.getByTestId('draw-input').count()).resolves.toBe(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});

/** The grey levels of a canvas found by test id (the first one), one number per pixel. */
async function canvasGrey(page: Page, testId: string): Promise<number[]> {
  return page.getByTestId(testId).first().evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const context = canvas.getContext('2d');
    if (!context) return [];
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    return Array.from({ length: data.length / 4 }, (_, i) => data[4 * i]);
  });
}

describe('the code plane of a 2-number code', () => {
  it('trains a dense run with code size 2, shows its decoded manifold grid and decodes where the pointer is', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });

    await page.getByLabel('Code size', { exact: true }).selectOption('2');
    await page.getByLabel('Epochs', { exact: true }).fill('2');
    await page.getByLabel('Training images', { exact: true }).fill('2048');
    await page.getByRole('button', { name: /^Train Dense/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 120_000 });

    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    const plane = page.getByTestId('code-plane');
    await page.locator('[data-testid="code-plane"][data-grid="ready"]').waitFor({ timeout: 120_000 });
    // The grid picture is drawn: ink (dark pixels) on the 560 × 560 canvas, not a blank.
    const grid = await canvasGrey(page, 'plane-canvas');
    expect(grid.length).toBe(560 * 560);
    expect(grid.filter((g) => g < 128).length).toBeGreaterThan(1000);

    // Pointing at two far-apart places decodes two different digits; the code shown follows the pointer.
    await page.getByTestId('plane-canvas').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('plane-canvas').boundingBox();
    if (!box) throw new Error('the plane is not on screen');
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await expect.poll(() => page.getByTestId('plane-code').textContent(), { timeout: 20_000 }).toMatch(/^code \(/);
    const first = await canvasGrey(page, 'plane-decoded');
    const firstCode = await page.getByTestId('plane-code').textContent();
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.9);
    await expect.poll(() => page.getByTestId('plane-code').textContent(), { timeout: 20_000 }).not.toBe(firstCode);
    const second = await canvasGrey(page, 'plane-decoded');
    expect(second.length).toBe(784);
    const changed = first.filter((g, i) => Math.abs(g - second[i]) > 8).length;
    expect(changed).toBeGreaterThan(10);
    await expect(page.getByTestId('plane-latency').getAttribute('data-ms').then(Number)).resolves.toBeGreaterThan(0);

    // The keyboard moves the cursor too.
    await page.getByTestId('plane-canvas').focus();
    const beforeKeys = await page.getByTestId('plane-code').textContent();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('plane-code').textContent(), { timeout: 20_000 }).not.toBe(beforeKeys);

    // A smaller grid is decoded on request.
    await plane.getByLabel('Grid size', { exact: true }).selectOption('10');
    await page.locator('[data-testid="code-plane"][data-side="10"][data-grid="ready"]').waitFor({ timeout: 60_000 });

    // An exact PCA map of the same codes: two numbers have all their variance in two components.
    await page.getByRole('button', { name: 'PCA map' }).click();
    await page.locator('[data-testid="map"][data-kind="pca"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('map-explained').textContent()).resolves.toBe('100.0%');
    const knn = Number(await page.getByTestId('map-knn').textContent());
    expect(knn).toBeGreaterThan(0.1);
    expect(knn).toBeLessThanOrEqual(1);
    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  }, 300_000);
});
