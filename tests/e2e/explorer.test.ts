import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointInPolygon } from '../../src/analysis/polygon';
import type { MapCanvasElement } from '../../src/ui/map/scatter-view';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** Client positions of map points 0…n−1 (null when off screen), from the map canvas's own transform. */
async function mapPoints(page: Page, n: number): Promise<({ x: number; y: number } | null)[]> {
  return page.getByTestId('map-plot').evaluate((canvas, count) => Array.from({ length: count }, (_, i) => (canvas as MapCanvasElement).locatePoint?.(i) ?? null), n);
}

/** The text of the file the click downloads. */
async function downloadText(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
}

/** Latent codes and labels parsed from the "Download the codes" CSV. */
function parseCodes(text: string): { codes: number[][]; labels: number[] } {
  const [, ...rows] = text.trim().split('\n');
  const parsed = rows.map((row) => row.split(','));
  return { codes: parsed.map((cells) => cells.slice(3).map(Number)), labels: parsed.map((cells) => Number(cells[2])) };
}

const POINTS = 1500;

async function makeMap(page: Page) {
  await page.getByLabel('Images', { exact: true }).selectOption('test');
  await page.getByRole('button', { name: 'Compute latent vectors' }).click();
  await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
  await page.getByLabel(/^Points/).fill(String(POINTS));
  await page.getByRole('button', { name: 'PCA map' }).click();
  await page.locator('[data-testid="map"][data-kind="pca"][data-status="done"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
}

describe('the map as an explorer', () => {
  it('lasso, selection panel and export, latent neighbours, search, and the shared view in the address', async () => {
    const context = await harness.browser.newContext({ viewport: { width: 1280, height: 1200 }, acceptDownloads: true });
    const page = await context.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByLabel('Epochs', { exact: true }).fill('1');
    await page.getByLabel('Training images', { exact: true }).fill('1024');
    await page.getByRole('button', { name: /^Train Dense/ }).click();
    await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 120_000 });
    await makeMap(page);
    const codesFile = await downloadText(page, () => page.getByRole('button', { name: 'Download the codes (CSV)' }).click());
    const { codes, labels } = parseCodes(codesFile.text);
    expect(codes).toHaveLength(10_000);

    // A lasso drawn with Shift+drag: the panel counts exactly the points inside the drawn polygon.
    await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
    const box = await page.getByTestId('map-plot').boundingBox();
    if (!box) throw new Error('no map on screen');
    const [cx, cy, r] = [box.x + box.width / 2, box.y + box.height / 2, Math.min(box.width, box.height) / 4];
    const polygon: number[] = [];
    for (let k = 0; k < 24; k++) {
      // A star-ish outline (concave), so the test does not only cover convex lassos.
      const radius = k % 2 === 0 ? r : r * 0.55;
      polygon.push(Math.round(cx + radius * Math.cos((k * Math.PI) / 12)), Math.round(cy + radius * Math.sin((k * Math.PI) / 12)));
    }
    await page.keyboard.down('Shift');
    await page.mouse.move(polygon[0], polygon[1]);
    await page.mouse.down();
    for (let k = 2; k < polygon.length; k += 2) await page.mouse.move(polygon[k], polygon[k + 1], { steps: 2 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const positions = await mapPoints(page, POINTS);
    const inside = positions.flatMap((p, i) => (p && pointInPolygon(p.x, p.y, polygon) ? [i] : []));
    expect(inside.length).toBeGreaterThan(20);
    await page.getByTestId('selection-panel').waitFor();
    expect(Number((await page.getByTestId('selection-count').textContent())?.replace(/,/g, ''))).toBe(inside.length);
    // Digit counts, mean image and mean reconstruction, members.
    const digitCounts = await page.getByTestId('selection-digits').locator('.count-value').allTextContents();
    const expectedCounts = Array.from({ length: 10 }, (_, d) => inside.filter((i) => labels[i] === d).length);
    expect(digitCounts.map((t) => Number(t.replace(/,/g, '')))).toEqual(expectedCounts);
    await page.getByTestId('selection-mean-recon').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('selection-member').count()).resolves.toBe(Math.min(24, inside.length));
    // Export: the CSV lists exactly the selected images with their digits.
    const csv = await downloadText(page, () => page.getByRole('button', { name: 'Export CSV' }).click());
    expect(csv.name).toBe(`selection-${inside.length}.csv`);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('set,image,digit,cluster');
    expect(lines.slice(1)).toEqual(inside.map((i) => `test,${i},${labels[i]},`));
    const json = JSON.parse((await downloadText(page, () => page.getByRole('button', { name: 'Export JSON' }).click())).text);
    expect(json.count).toBe(inside.length);
    // Invert, then Escape on the map clears.
    await page.getByTestId('selection-panel').getByRole('button', { name: 'Invert' }).click();
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe((POINTS - inside.length).toLocaleString('en'));
    await page.getByTestId('map-plot').focus();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('selection-panel').count()).resolves.toBe(0);

    // Search a point by number: its 10 nearest codes (not map neighbours) equal a brute-force k-NN of the downloaded codes.
    const target = 321;
    await page.getByLabel('Find point').fill(String(target));
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.locator(`[data-testid="neighbours-panel"][data-index="${target}"]`).waitFor();
    const rows = (await page.getByTestId('neighbour').evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-row')))));
    const dist = (i: number) => Math.sqrt(codes[i].reduce((sum, v, j) => sum + (v - codes[target][j]) ** 2, 0));
    const brute = Array.from({ length: POINTS }, (_, i) => i)
      .filter((i) => i !== target)
      .sort((a, b) => dist(a) - dist(b) || a - b)
      .slice(0, 10);
    expect(rows.map(dist).map((d) => d.toFixed(4))).toEqual(brute.map(dist).map((d) => d.toFixed(4)));
    const same = brute.filter((i) => labels[i] === labels[target]).length;
    await expect(page.getByTestId('neighbours-same').textContent()).resolves.toBe(String(same));
    // The keyboard moves along the neighbours; Enter focuses one.
    await page.getByTestId('neighbour-list').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="neighbours-panel"][data-index="${rows[1]}"]`).waitFor();
    // A bad number is refused with the reason; the focus stays.
    await page.getByLabel('Find point').fill('99999');
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await expect(page.locator('#find-error').textContent()).resolves.toMatch(/from 0 to 1,499/);
    // Every point of one digit.
    await page.getByLabel('Select every').selectOption('3');
    const threes = labels.slice(0, POINTS).filter((l) => l === 3).length;
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe(threes.toLocaleString('en'));

    // The address carries the view: a small selection, the focus and the zoom come back in a new page once its map exists.
    await page.getByTestId('selection-panel').getByRole('button', { name: 'Clear' }).click();
    await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
    const picks = [positions.findIndex((p) => p !== null), 700, 1200];
    for (const pick of picks) {
      const at = (await mapPoints(page, POINTS))[pick];
      if (!at) continue;
      await page.keyboard.down('Shift');
      await page.mouse.click(at.x, at.y);
      await page.keyboard.up('Shift');
    }
    const selectedCount = Number(await page.getByTestId('selection-count').textContent());
    expect(selectedCount).toBeGreaterThanOrEqual(1);
    await page.getByTestId('map-plot').focus();
    await page.keyboard.press('+');
    await expect.poll(() => new URL(page.url()).hash, { timeout: 5000 }).toMatch(/zoom=1\.5/);
    const hash = new URL(page.url()).hash;
    expect(hash).toMatch(/map=pca/);
    expect(hash).toMatch(/sel=/);
    expect(hash).toMatch(/focus=/);

    const shared = await context.newPage();
    await shared.goto(`${harness.url}?backend=wasm${hash}`);
    await shared.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await shared.locator('[data-testid="run-row"][data-status="completed"]').waitFor({ timeout: 60_000 });
    await shared.getByLabel('Images', { exact: true }).selectOption('test');
    await shared.getByRole('button', { name: 'Compute latent vectors' }).click();
    await shared.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
    await shared.getByTestId('pending-view').waitFor();
    // The link's settings are in the form; the map is made by the person.
    await expect(shared.getByLabel(/^Points/).inputValue()).resolves.toBe(String(POINTS));
    await shared.getByRole('button', { name: 'PCA map' }).click();
    await shared.locator('[data-testid="map"][data-kind="pca"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => shared.getByTestId('selection-count').textContent()).toBe(String(selectedCount));
    await expect(shared.getByTestId('map-plot').getAttribute('data-zoomed')).resolves.toBe('true');
    await shared.getByTestId('neighbours-panel').waitFor();
    await expect(shared.getByTestId('pending-view').count()).resolves.toBe(0);

    // A malformed, hostile address: notices, and nothing of it is applied.
    const hostile = await context.newPage();
    await hostile.goto(`${harness.url}?backend=wasm#colour=<img src=x onerror=alert(1)>&sel=1,x&zoom=1e999&cx=0&cy=0&__proto__=1`);
    await hostile.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    const notices = await hostile.getByTestId('notice').allTextContents();
    expect(notices.filter((n) => n.startsWith('Link: '))).toHaveLength(4);
    expect(await hostile.locator('img[src="x"]').count()).toBe(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await context.close();
  }, 400_000);
});
