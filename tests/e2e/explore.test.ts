import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, watchPage, type Harness } from './harness';
import type { MapCanvasElement } from '../../src/ui/map/scatter-view';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** Page coordinates of map point `index`, from the map canvas's own transform. */
async function mapPoint(page: Page, index: number): Promise<{ x: number; y: number }> {
  const at = await page.getByTestId('map-plot').evaluate((canvas, i) => (canvas as MapCanvasElement).locatePoint?.(i) ?? null, index);
  if (!at) throw new Error(`map point ${index} is not on screen`);
  return at;
}

const number = async (page: Page, testId: string) => Number((await page.getByTestId(testId).textContent())?.replace(/,/g, ''));

describe('compare, latent space and map in a real browser', () => {
  it('trains two models, compares them with toggles, clusters their codes and maps them', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });

    // Two architectures, queued one after the other.
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Training images').fill('1024');
    await page.getByRole('button', { name: /^Train Dense/ }).click();
    await page.getByLabel(/^CNN · ELU/).check({ force: true });
    await page.getByRole('button', { name: /^Train CNN · ELU/ }).click();
    await page.locator('[data-testid="run-row"][data-arch="cnn_elu"][data-status="completed"]').waitFor({ timeout: 240_000 });
    await expect(page.locator('[data-testid="run-row"][data-arch="dense"]').getAttribute('data-status')).resolves.toBe('completed');

    // Results table and gallery; toggling a model hides and shows its row.
    await expect(page.getByTestId('results-table').locator('tbody tr').count()).resolves.toBe(2);
    await page.getByRole('button', { name: 'Show digits' }).click();
    await page.getByTestId('gallery-row-cnn_elu').waitFor();
    await expect(page.getByTestId('gallery-row-dense').locator('canvas').count()).resolves.toBe(12);
    // Scoped to Compare: step 8 lists the same runs with checkboxes of the same names.
    const compare = page.getByRole('region', { name: /Compare/ });
    await compare.getByRole('checkbox', { name: 'Dense' }).uncheck();
    await expect(page.getByTestId('gallery-row-dense').count()).resolves.toBe(0);
    await expect(page.getByTestId('gallery-row-cnn_elu').count()).resolves.toBe(1);
    await compare.getByRole('checkbox', { name: 'Dense' }).check();
    await page.getByTestId('gallery-row-dense').waitFor();

    // Latent vectors of the test set, one digit's code, KMeans with decoded centres.
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
    const dead = await number(page, 'dead-units');
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(dead).toBeLessThanOrEqual(64);
    await page.getByRole('button', { name: 'Show its latent vector' }).click();
    await page.getByTestId('latent-bars').locator('.main-svg').first().waitFor();
    await page.getByLabel('n_init').fill('2');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 120_000 });
    for (const id of ['ari', 'nmi', 'purity']) {
      const value = await number(page, id);
      expect(value).toBeGreaterThan(id === 'ari' ? -1 : 0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(await number(page, 'purity')).toBeGreaterThanOrEqual(0.1);
    await page.getByTestId('contingency').locator('.main-svg').first().waitFor();
    await expect(page.getByTestId('decoded-centre').count()).resolves.toBe(10);
    // Settings out of range are refused at the form with the reason, and start nothing: the clusters stay.
    await page.getByLabel('k', { exact: true }).fill('1');
    await page.getByLabel('n_init').fill('2.5');
    await page.getByRole('button', { name: 'Run KMeans' }).click();
    const kmeansErrors = page.locator('#kmeans-form-errors');
    await expect(kmeansErrors.textContent()).resolves.toMatch(/^k must be a whole number from 2 to 50: a single cluster holds every point.*n_init must be a whole number; 2\.5 is not\.$/);
    await expect(page.getByLabel('k', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByTestId('kmeans').getAttribute('data-status')).resolves.toBe('done');
    await expect(page.getByTestId('decoded-centre').count()).resolves.toBe(10);

    // A small t-SNE map: quality figures, hover inspection, a walk between two points.
    await page.getByLabel(/^Points/).fill('2100');
    await page.getByLabel('Iterations').fill('300');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 120_000 });
    const knn = await number(page, 'map-knn');
    expect(knn).toBeGreaterThan(0.1);
    expect(knn).toBeLessThanOrEqual(1);
    expect(await number(page, 'map-trust')).toBeGreaterThan(0.5);
    await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
    const a = await mapPoint(page, 5);
    await page.mouse.move(a.x, a.y);
    await page.getByTestId('hover-inspector').waitFor({ timeout: 10_000 });
    const label = await page.getByTestId('hover-label').textContent();
    expect(label).toMatch(/^[0-9]$/);
    await page.getByTestId('hover-inspector').getByRole('img', { name: /^reconstruction of image/ }).waitFor();
    // A click lists the point's nearest codes; a walk starts there and ends at the next point clicked.
    await page.mouse.click(a.x, a.y);
    await page.locator('[data-testid="neighbours-panel"][data-index="5"]').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Walk from here' }).click();
    await page.getByTestId('walk-pending').waitFor();
    await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
    const b = await mapPoint(page, 120);
    await page.mouse.click(b.x, b.y);
    await page.getByTestId('walk').waitFor({ timeout: 10_000 });
    await page.getByTestId('walk-step').nth(9).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('walk-step').count()).resolves.toBe(10);
    await expect(page.getByTestId('walk-end').count()).resolves.toBe(2);
    // The map zooms from the keyboard and returns to the full view.
    const mapCanvas = page.getByTestId('map-plot');
    await mapCanvas.focus();
    await page.keyboard.press('+');
    await expect(mapCanvas.getAttribute('data-zoomed')).resolves.toBe('true');
    await page.keyboard.press('0');
    await expect(mapCanvas.getAttribute('data-zoomed')).resolves.toBe('false');
    // A perplexity the points cannot support is refused with the reason; the map shown stays.
    await page.getByLabel(/^Points/).fill('120');
    await page.getByLabel('Perplexity', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Run t-SNE' }).click();
    await expect(page.locator('#map-form-errors').textContent()).resolves.toBe(
      'Perplexity must be below 39.66 for 120 points: each point needs 151 neighbours (3 × perplexity + 1) and has only 119; lower it or map more points.',
    );
    await expect(page.getByTestId('map').getAttribute('data-status')).resolves.toBe('done');
    expect(await number(page, 'map-knn')).toBe(knn);

    // A corrupted model file gives a clear message and changes nothing.
    await page.getByTestId('model-file-input').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "something else"}') });
    await expect(page.getByTestId('file-error').textContent()).resolves.toMatch(/not an Autoencoder Playground run or model/);
    await expect(page.getByTestId('results-table').locator('tbody tr').count()).resolves.toBe(2);

    // Reloading keeps both runs and their history; they still reconstruct.
    await page.reload();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByTestId('results-table').locator('tbody tr').nth(1).waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('results-table').locator('tbody tr').count()).resolves.toBe(2);
    await page.getByRole('button', { name: 'Show digits' }).click();
    await page.getByTestId('gallery-row-cnn_elu').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('gallery-row-dense').locator('canvas').count()).resolves.toBe(12);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});
