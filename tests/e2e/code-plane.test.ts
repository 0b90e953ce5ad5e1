import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
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
