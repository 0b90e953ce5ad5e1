/**
 * The code size and denoising options in real Chromium (WASM): a 2-number dense run — the Model panel's
 * parameter count and summary follow the chosen size, the run shows code size 2, and its latent vectors have
 * 2 numbers each — and a denoising run whose reconstructions show noisy input → reconstruction → clean, in the
 * training preview and in the Compare gallery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('code size and input noise', () => {
  it('trains a 2-d dense run and a denoising run, each shown as such', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });

    // The form's code size drives the Model panel: 619,362 parameters for dense with a 2-number code.
    await page.getByLabel('Code size', { exact: true }).selectOption('2');
    await expect(page.getByTestId('arch-params-dense').textContent()).resolves.toMatch(/^619,362 parameters with a 2-number code \(716,640 at the reference 64\)/);
    await page.getByTestId('model-summary').locator('tfoot', { hasText: '619,362' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('model-summary').locator('tr.latent-row').textContent()).resolves.toContain('(None, 2)');

    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Training images', { exact: true }).fill('512');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run-row"][data-status="completed"]').waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('run-name').textContent()).resolves.toBe('Dense · seed 0 · lr 0.001 · code 2');
    await expect(page.getByTestId('run-code-size').textContent()).resolves.toBe('2');
    await expect(page.getByTestId('run-row').first().textContent()).resolves.toContain('code size 2');
    await expect(page.getByTestId('table-code-size').first().textContent()).resolves.toBe('2');

    // Its latent vectors have 2 numbers each, and one digit's code is 2 bars.
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('latent-dim').textContent()).resolves.toBe('2');
    await page.getByRole('button', { name: 'Show its latent vector' }).click();
    const bars = page.getByTestId('latent-bars').locator('.js-plotly-plot');
    await bars.locator('.main-svg').first().waitFor();
    const barCount = await bars.evaluate((div) => {
      const data = (div as unknown as { data?: { y?: ArrayLike<number>; x?: ArrayLike<number> }[] }).data;
      return Math.max(data?.[0]?.x?.length ?? 0, data?.[0]?.y?.length ?? 0);
    });
    expect(barCount).toBe(2);

    // A denoising run at the reference code size: noisy input → reconstruction → clean.
    await page.getByLabel('Code size', { exact: true }).selectOption('64');
    await page.getByLabel('Input noise', { exact: true }).selectOption('saltPepper');
    await page.getByLabel('Fraction of pixels', { exact: true }).fill('0.6');
    await expect(page.locator('#train-error-noise').textContent()).resolves.toMatch(/at most 0.5/);
    await page.getByLabel('Fraction of pixels', { exact: true }).fill('0.2');
    await page.getByRole('button', { name: /^Train (?!all)/ }).click();
    await page.locator('[data-testid="run-row"][data-status="completed"]').nth(1).waitFor({ timeout: 120_000 });
    await expect(page.getByTestId('run-name').textContent()).resolves.toBe('Dense · seed 0 · lr 0.001 · salt-and-pepper 20%');
    await expect(page.getByTestId('recon-grid').getAttribute('data-rows')).resolves.toBe('3');
    await expect(page.getByTestId('noisy-input').count()).resolves.toBe(16);
    await expect(page.getByTestId('clean-digit').count()).resolves.toBe(16);
    await expect(page.getByTestId('reconstruction').count()).resolves.toBe(16);
    await page.getByRole('button', { name: 'Show digits' }).click();
    await page.getByTestId('gallery-noisy-row').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('gallery-noisy-row').locator('canvas').count()).resolves.toBe(12);
    await expect(page.getByTestId('gallery-clean-row').locator('canvas').count()).resolves.toBe(12);
    // The 2-d run is not denoising: one row, no noisy inputs.
    await expect(page.getByTestId('gallery-noisy-row').count()).resolves.toBe(1);
    await expect(page.getByTestId('gallery-row-dense').count()).resolves.toBe(2);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  }, 400_000);
});
