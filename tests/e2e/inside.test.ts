/**
 * Inside a run, in real Chromium (WASM): a CNN · ReLU run's test-set codes loaded, one digit chosen; a knob
 * moved from the keyboard changes the decoded image and Reset brings it back; the activations show one image
 * per feature map and bar strips for the dense layers, with ReLU never below 0; a dense run shows bar strips only.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, trainSmallModel, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** A canvas's pixels (RGBA) as one string, to compare images. */
async function pixels(canvas: Locator): Promise<string> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray(0);
    return Array.from(data).join(',');
  });
}

/** Waits until no knob decode is in flight. */
async function settled(page: Page): Promise<void> {
  await page.locator('[data-testid="inside-changed-caption"][data-busy="false"]').waitFor({ timeout: 10_000 });
}

describe('inside a run in a real browser', () => {
  it('turns a code unit from the keyboard, resets it, and shows every layer’s activations', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('inside').textContent()).resolves.toMatch(/Compute latent vectors first/);

    await page.getByLabel(/^CNN · ReLU/).check({ force: true });
    await trainSmallModel(page, 4096);
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 60_000 });

    const inside = page.getByTestId('inside');
    await inside.getByLabel(/^Image number/).fill('3');
    await inside.getByRole('button', { name: 'Look inside' }).click();
    const changed = inside.getByTestId('inside-changed');
    await changed.waitFor({ timeout: 10_000 });
    await inside.getByTestId('inside-original').waitFor();
    await expect(inside.getByTestId('inside-source').textContent()).resolves.toMatch(/codes of 64 numbers for the test set/);

    // 64 knobs, the highest-variance unit first; dead ones disabled.
    const knobs = inside.getByTestId('knob');
    await expect(knobs.count()).resolves.toBe(64);
    const dead = Number(await inside.getByTestId('knobs-dead').textContent());
    await expect(inside.locator('[data-testid="knob"][data-dead="true"] input:disabled').count()).resolves.toBe(dead);
    expect(dead).toBeLessThan(64);

    // The first knob from the keyboard: the decoded image changes, the reconstruction of the original code does not.
    await settled(page);
    const before = await pixels(changed);
    const recon = await pixels(inside.getByTestId('inside-recon'));
    expect(before).toBe(recon);
    const slider = knobs.first().getByRole('slider');
    const start = await slider.inputValue();
    await slider.focus();
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
    expect(Number(await slider.inputValue())).toBeGreaterThan(Number(start));
    await expect.poll(() => pixels(changed), { timeout: 10_000 }).not.toBe(before);
    await settled(page);
    await expect(pixels(inside.getByTestId('inside-recon'))).resolves.toBe(recon);

    // Reset: the original code, decoded again, gives the same pixels as before.
    await inside.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => pixels(changed), { timeout: 10_000 }).toBe(before);
    await expect(inside.getByRole('button', { name: 'Reset' }).isDisabled()).resolves.toBe(true);

    // Activations: one image per feature map, bar strips for the dense layers; ReLU never below 0.
    const layer = (name: string) => inside.locator(`[data-testid="inside-layer"][data-layer="${name}"]`);
    await layer('conv2d').waitFor({ timeout: 10_000 });
    await expect(layer('conv2d').getByTestId('feature-map').count()).resolves.toBe(32);
    await expect(layer('conv2d_1').getByTestId('feature-map').count()).resolves.toBe(64);
    await expect(layer('conv2d_transpose').getByTestId('feature-map').count()).resolves.toBe(32);
    await expect(layer('conv2d_transpose_1').getByTestId('feature-map').count()).resolves.toBe(1);
    for (const name of ['latent', 'dense']) {
      await expect(layer(name).getAttribute('data-kind')).resolves.toBe('bars');
      await expect(layer(name).getByTestId('bar-strip').count()).resolves.toBe(1);
      await expect(layer(name).getAttribute('data-negative')).resolves.toBe('0');
    }
    await expect(inside.getByTestId('inside-layer').count()).resolves.toBe(6);
    expect(Number(await layer('conv2d').getAttribute('data-zero'))).toBeGreaterThan(0);

    // A dense run: its three dense layers as bar strips, no feature maps. New latents replace the chosen digit.
    await page.getByLabel(/^Dense/).check({ force: true });
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run-row"][data-arch="dense"][data-status="completed"]').waitFor({ timeout: 60_000 });
    const denseRun = await page.locator('[data-testid="run-row"][data-arch="dense"]').getAttribute('data-run-id');
    await page.getByLabel('Run', { exact: true }).selectOption(denseRun ?? '');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await expect.poll(() => inside.getByTestId('knobs').count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId('latent-summary').waitFor({ timeout: 60_000 });
    await inside.getByRole('button', { name: 'Look inside' }).click();
    await layer('dense_1').waitFor({ timeout: 10_000 });
    await expect(inside.getByTestId('inside-layer').evaluateAll((divs) => divs.map((div) => `${div.getAttribute('data-layer')}:${div.getAttribute('data-kind')}`))).resolves.toEqual([
      'dense:bars',
      'latent:bars',
      'dense_1:bars',
    ]);
    await expect(inside.getByTestId('feature-map').count()).resolves.toBe(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});
