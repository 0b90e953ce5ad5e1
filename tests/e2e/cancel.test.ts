import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, trainSmallModel, watchPage, type Harness } from './harness';
import { wasmThreadCount } from '../../src/worker/engine/wasm-threads';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** The Cancel/Stop button in the same form as the button that starts a job. */
const stopBeside = (page: Page, start: string, stop: string): Locator =>
  page.locator('form', { has: page.getByRole('button', { name: start, exact: true }) }).getByRole('button', { name: stop, exact: true });

describe('cancelling every analysis stage in a real browser', () => {
  it('cancels latents, KMeans and t-SNE mid-way; the page stays consistent and the next run of each works', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    // tfjs-backend-wasm alone would run one XNNPACK thread on this 2-core machine (wasm-threads.ts).
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await expect(page.getByTestId('backend-detail').textContent()).resolves.toContain(cores > 1 ? `· ${wasmThreadCount(cores)} threads` : 'SIMD');
    await trainSmallModel(page);

    // Latents of all 70,000 images take seconds: cancel after the first batch, then compute the test set.
    await page.getByLabel('Images', { exact: true }).selectOption('all');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="running"]').waitFor();
    await stopBeside(page, 'Compute latent vectors', 'Cancel').click();
    await page.locator('[data-testid="latent"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('latent-summary').textContent()).resolves.toMatch(/10,000/);

    // KMeans with many restarts: cancel while it runs, then a short run finishes with its own figures.
    await page.getByLabel('n_init').fill('50');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    await page.locator('[data-testid="kmeans"][data-status="running"]').waitFor();
    await stopBeside(page, 'Run KMeans', 'Cancel').click();
    await page.locator('[data-testid="kmeans"]:is([data-status="cancelled"],[data-status="done"])').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('kmeans').getAttribute('data-status')).resolves.toBe('cancelled');
    // One message for the job, counting the restarts both workers finished against the 50 asked for (each worker
    // ran 25 and used to report its own "… of 25").
    expect(await page.getByTestId('kmeans').textContent()).toMatch(/Cancelled after \d+ of 50 initialisations\./);
    await page.getByLabel('n_init').fill('2');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 60_000 });
    const ari = Number(await page.getByTestId('ari').textContent());
    expect(ari).toBeGreaterThan(-1);
    expect(ari).toBeLessThanOrEqual(1);

    // t-SNE: stop once it optimises (the map so far stays), then a small map runs to the end.
    await page.getByLabel(/^Points/).fill('5000');
    await page.getByLabel('Iterations').fill('1000');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.getByText(/optimising · iteration/).waitFor({ timeout: 60_000 });
    await stopBeside(page, 'Run t-SNE', 'Stop').click();
    await page.locator('[data-testid="map"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('map').textContent()).resolves.toMatch(/Stopped after \d+ iterations/);
    await page.getByLabel(/^Points/).fill('1000');
    await page.getByLabel('Iterations').fill('250');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('map-n').textContent()).resolves.toBe('1,000');

    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
