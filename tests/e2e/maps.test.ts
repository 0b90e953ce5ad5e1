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

const number = async (page: Page, testId: string) => Number((await page.getByTestId(testId).textContent())?.replace(/,/g, ''));

/** Starts recording every value the map's `data-moving` attribute takes (the map element may be replaced). */
async function recordMoves(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { mapMoves: string[] }).mapMoves = seen;
    new MutationObserver((records) => {
      for (const record of records) {
        const target = record.target;
        if (target instanceof HTMLElement && target.dataset.testid === 'map') seen.push(target.dataset.moving ?? '');
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-moving'] });
  });
}

const moves = (page: Page) => page.evaluate(() => (window as unknown as { mapMoves: string[] }).mapMoves);

describe('other maps in a real browser', () => {
  it('maps the same codes with PCA and UMAP, moving the points between the layouts', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });

    // A tiny dense model is enough: the maps only need codes.
    await page.getByLabel('Epochs').fill('1');
    await page.getByLabel('Training images').fill('1024');
    await page.getByRole('button', { name: /^Train Dense/ }).click();
    await page.locator('[data-testid="run-row"][data-arch="dense"][data-status="completed"]').waitFor({ timeout: 120_000 });
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 60_000 });

    // PCA of the first 1,000 test codes: instant, with its quality.
    await page.getByLabel(/^Points/).fill('1000');
    await page.getByRole('button', { name: 'PCA map' }).click();
    await page.locator('[data-testid="map"][data-kind="pca"][data-status="done"]').waitFor({ timeout: 30_000 });
    const pcaKnn = await number(page, 'map-knn');
    expect(pcaKnn).toBeGreaterThan(0.1);

    // UMAP settings out of range are refused with the reason and start nothing.
    await page.getByLabel('n_neighbors').fill('1');
    await page.getByLabel('min_dist').fill('1.5');
    await page.getByRole('button', { name: 'UMAP map' }).click();
    await expect(page.locator('#map-form-errors').textContent()).resolves.toMatch(
      /^n_neighbors must be a whole number from 2 to 200: .*min_dist must be between 0 and 1: .*spread\)\.$/,
    );
    await expect(page.getByTestId('map').getAttribute('data-kind')).resolves.toBe('pca');

    // UMAP of the same 1,000 codes: the points move from the PCA layout, and it ends with its quality.
    await page.getByLabel('n_neighbors').fill('15');
    await page.getByLabel('min_dist').fill('0.1');
    await recordMoves(page);
    await page.getByRole('button', { name: 'UMAP map' }).click();
    await page.locator('[data-testid="map"][data-kind="umap"]').waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="map"][data-kind="umap"][data-status="done"]').waitFor({ timeout: 90_000 });
    const umapKnn = await number(page, 'map-knn');
    expect(umapKnn).toBeGreaterThan(0.3);
    expect(umapKnn).toBeLessThanOrEqual(1);
    // UMAP keeps neighbourhoods far better than a linear projection does.
    expect(umapKnn).toBeGreaterThan(pcaKnn);
    const trust = await number(page, 'map-trust');
    expect(trust).toBeGreaterThan(0.5);
    expect(trust).toBeLessThanOrEqual(1);
    expect(await page.getByTestId('map-kl').count()).toBe(0);
    await expect(page.getByTestId('map-plot').getAttribute('aria-label')).resolves.toMatch(/^UMAP map of 1,000 latent vectors/);
    await page.locator('[data-testid="map"][data-moving="false"]').waitFor({ timeout: 10_000 });
    expect(await moves(page)).toContain('true');

    // Back to PCA with reduced motion asked for: the layout switches without moving, to the same PCA map.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await recordMoves(page);
    await page.getByRole('button', { name: 'PCA map' }).click();
    await page.locator('[data-testid="map"][data-kind="pca"][data-status="done"]').waitFor({ timeout: 30_000 });
    // Two animation frames later a move would have begun.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await moves(page)).not.toContain('true');
    await expect(page.getByTestId('map').getAttribute('data-moving')).resolves.toBe('false');
    expect(await number(page, 'map-knn')).toBe(pcaKnn);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});
