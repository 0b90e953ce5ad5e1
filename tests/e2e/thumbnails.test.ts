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
    await page.getByLabel(/^Points/).fill(String(POINTS));
    await page.getByRole('button', { name: 'PCA map' }).click();
    await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('thumbnail-memory').textContent()).resolves.toMatch(/^1,000 digits: 0\.7 MiB of pixels, 3\.1 MiB of atlas/);
    const plot = page.getByTestId('map-plot');
    await plot.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => ((document.querySelector('[data-testid="map-plot"]') as MapCanvasElement | null)?.drawnThumbnails?.().length ?? 0) > 0, undefined, { timeout: 30_000 });

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
    await page.mouse.move(target.x, target.y);
    let visible = await onScreen(page);
    for (let step = 0; step < 30 && (visible.length > 60 || closestPair(visible) < SIDE); step++) {
      await page.mouse.wheel(0, -300);
      await page.waitForTimeout(50);
      visible = await onScreen(page);
    }
    expect(visible.length).toBeGreaterThan(0);
    expect(closestPair(visible)).toBeGreaterThanOrEqual(SIDE);
    // Hover the point under the mouse again (a wheel does not move it): it is drawn last, on top.
    await page.mouse.move(target.x + 1, target.y);
    await page.mouse.move(target.x, target.y);
    const hoveredName = await page.getByTestId('hover-inspector').getByRole('img', { name: /^image \d+$/ }).getAttribute('aria-label');
    const hovered = Number(hoveredName?.replace('image ', ''));
    const zoomed = await drawnAfterNextFrame(page);
    for (const point of visible) expect(zoomed).toContain(point.index);
    expect(zoomed.at(-1)).toBe(hovered);
    expect(zoomed.filter((index) => index === hovered)).toHaveLength(1);

    // A thumbnail is a tinted digit on a transparent ground, not an opaque square: inside its box some
    // pixels are painted, and its corners (no other thumbnail is that close) are left clear.
    const rect = await plot.boundingBox();
    if (!rect) throw new Error('the map has no box');
    const lone = visible.find(
      (point) =>
        point.index !== hovered &&
        Math.max(Math.abs(point.x - target.x), Math.abs(point.y - target.y)) > 3 * SIDE &&
        point.x - rect.x > SIDE && rect.x + rect.width - point.x > SIDE && point.y - rect.y > SIDE && rect.y + rect.height - point.y > SIDE,
    );
    expect(lone).toBeDefined();
    if (lone) {
      const box = await plot.evaluate((canvas, { x, y, side }) => {
        const element = canvas as HTMLCanvasElement;
        const rect = element.getBoundingClientRect();
        const context = element.getContext('2d');
        if (!context) return null;
        const left = Math.round(x - rect.left - side / 2);
        const top = Math.round(y - rect.top - side / 2);
        const data = context.getImageData(left, top, side, side).data;
        let painted = 0;
        for (let k = 3; k < data.length; k += 4) if (data[k] > 0) painted++;
        const corners = [0, side - 1, side * (side - 1), side * side - 1].map((p) => data[4 * p + 3]);
        return { painted, corners, inside: left >= 0 && top >= 0 && left + side <= element.width && top + side <= element.height };
      }, { x: lone.x, y: lone.y, side: SIDE });
      expect(box?.inside).toBe(true);
      expect(box?.painted).toBeGreaterThan(20);
      expect(box?.painted).toBeLessThan(SIDE * SIDE);
      expect(box?.corners).toEqual([0, 0, 0, 0]);
    }

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
});
