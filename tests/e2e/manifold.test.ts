/**
 * Seeing the manifold in a real browser (WASM). Draw a digit: a stroke drawn with the mouse becomes an
 * MNIST-style 28 × 28 input (centre of mass at the middle), each finished run shows its reconstruction, MSE
 * and code; with latents, KMeans and a map of that run, the drawing's 8 nearest training digits, its cluster
 * and a marker on the map; Undo and Clear, and an empty drawing gets a message instead of a reconstruction.
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
