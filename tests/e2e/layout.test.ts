/**
 * Page layout at phone and desktop widths: nothing sticks out sideways, wide tables scroll inside their card,
 * the t-SNE map takes the full width on a phone, and charts re-layout when the window is narrowed and widened
 * again, with the legend staying below the plot.
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

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}

async function box(page: Page, selector: string): Promise<Box> {
  return page.locator(selector).first().evaluate((element) => {
    const r = element.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width };
  });
}

/** The page's horizontal extent and the elements (outside a scrolling box) that reach past the viewport. */
async function overflow(page: Page): Promise<{ scrollWidth: number; sticking: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const sticking: string[] = [];
    for (const element of Array.from(document.querySelectorAll('body *'))) {
      const r = element.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 0.5) continue;
      // Inside a box that scrolls sideways (a table wrapper) is allowed: the page itself does not widen.
      let parent = element.parentElement;
      let clipped = false;
      while (parent && !clipped) {
        const style = getComputedStyle(parent);
        clipped = style.overflowX === 'auto' || style.overflowX === 'scroll' || style.overflowX === 'hidden';
        parent = parent.parentElement;
      }
      if (!clipped) sticking.push(`${element.tagName.toLowerCase()}.${String(element.getAttribute('class') ?? '')} right ${Math.round(r.right)}`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, sticking: sticking.slice(0, 10) };
  });
}

/** Waits until plotly has redrawn the Compare chart at its container's width. */
async function compareChartFits(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const chart = document.querySelector('[data-testid="compare-curves"]');
      const svg = chart?.querySelector('.main-svg');
      return !!chart && !!svg && Math.abs(svg.getBoundingClientRect().width - chart.clientWidth) <= 1;
    },
    undefined,
    { timeout: 10_000 },
  );
}

/** The Compare chart's plot area (plotly's drag layer covers exactly it), its whole figure and its legend. */
async function compareGeometry(page: Page): Promise<{ plot: Box; figure: Box; legend: Box; container: Box }> {
  return {
    plot: await box(page, '[data-testid="compare-curves"] .nsewdrag'),
    figure: await box(page, '[data-testid="compare-curves"] .main-svg'),
    legend: await box(page, '[data-testid="compare-legend"]'),
    container: await box(page, '[data-testid="compare-curves"]'),
  };
}

async function openAndTrain(page: Page): Promise<void> {
  await page.goto(`${harness.url}?backend=wasm`);
  await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
  await trainSmallModel(page, 512);
  await page.getByTestId('compare-curves').locator('.main-svg').first().waitFor();
  await page.getByTestId('results-table').waitFor();
}

describe('layout at phone and desktop widths', () => {
  for (const [width, height] of [
    [390, 844],
    [1920, 1080],
  ] as const) {
    it(`at ${width} px nothing overflows sideways after training a model`, async () => {
      const page = await harness.browser.newPage({ viewport: { width, height } });
      const watch = watchPage(page, new URL(harness.url).origin);
      await openAndTrain(page);
      await compareChartFits(page);
      const { scrollWidth, sticking } = await overflow(page);
      expect(sticking).toEqual([]);
      expect(scrollWidth).toBeLessThanOrEqual(width);
      // The results table stays inside its card: at phone width it scrolls within its wrapper.
      const card = await box(page, 'section[aria-labelledby="compare-title"]');
      const wrapper = await box(page, '.table-scroll');
      expect(wrapper.right).toBeLessThanOrEqual(card.right);
      const { plot, legend, container } = await compareGeometry(page);
      expect(legend.top).toBeGreaterThanOrEqual(plot.bottom);
      expect(container.right).toBeLessThanOrEqual(card.right);
      // The chart's toolbar: zoom, pan, reset, PNG — nothing that uploads or edits elsewhere, no logo — and it
      // sits above the plot area, not on it.
      await page.getByTestId('compare-curves').hover();
      const buttons = page.getByTestId('compare-curves').locator('.modebar-btn');
      await expect(buttons.evaluateAll((elements) => elements.map((e) => e.getAttribute('data-title')))).resolves.toEqual([
        'Zoom',
        'Pan',
        'Reset axes',
        'Download plot as a PNG',
      ]);
      await expect(page.getByTestId('compare-curves').locator('.modebar-btn--logo').count()).resolves.toBe(0);
      expect((await box(page, '[data-testid="compare-curves"] .modebar')).bottom).toBeLessThanOrEqual(plot.top);

      if (width === 390) {
        // The reconstruction gallery (12 digits a row) scrolls inside its card too.
        await page.getByRole('button', { name: 'Show digits' }).click();
        await page.getByTestId('gallery').waitFor({ timeout: 30_000 });
        const gallery = await overflow(page);
        expect(gallery.sticking).toEqual([]);
        expect(gallery.scrollWidth).toBeLessThanOrEqual(width);
        // Latent vectors of the test set and a small map: at phone width the map fills the card and the
        // hover inspector sits below it, not beside it.
        await page.getByLabel('Images', { exact: true }).selectOption('test');
        await page.getByRole('button', { name: 'Compute latent vectors' }).click();
        await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
        await page.getByLabel(/^Points/).fill('300');
        await page.getByLabel('Iterations').fill('250');
        await page.getByRole('button', { name: 'Run t-SNE' }).click();
        await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 120_000 });
        const map = await box(page, '.scatter-map');
        const inspector = await box(page, '.inspector-card');
        const mapCard = await box(page, 'section[aria-labelledby="map-title"]');
        expect(map.width).toBeGreaterThan(0.85 * mapCard.width);
        expect(inspector.top).toBeGreaterThanOrEqual(map.bottom);
        const after = await overflow(page);
        expect(after.sticking).toEqual([]);
        expect(after.scrollWidth).toBeLessThanOrEqual(width);
      }
      expect(watch.errors).toEqual([]);
      await page.close();
    });
  }

  it('re-lays out charts on 1280 → 390 → 1280 px, with the Compare legend below the plot every time', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await openAndTrain(page);
    await compareChartFits(page);
    const before = await compareGeometry(page);
    for (const [width, height] of [
      [390, 844],
      [1280, 900],
    ] as const) {
      await page.setViewportSize({ width, height });
      await compareChartFits(page);
      const now = await compareGeometry(page);
      // The figure follows its box's width and keeps its height; the legend stays below the plot area.
      expect(Math.abs(now.figure.width - now.container.width)).toBeLessThanOrEqual(1);
      expect(now.figure.bottom - now.figure.top).toBeCloseTo(before.figure.bottom - before.figure.top, 0);
      expect(now.legend.top).toBeGreaterThanOrEqual(now.plot.bottom);
      expect(now.legend.top).toBeGreaterThanOrEqual(now.figure.bottom - 1);
      const { scrollWidth } = await overflow(page);
      expect(scrollWidth).toBeLessThanOrEqual(width);
      if (width === 390) expect(now.figure.width).toBeLessThan(before.figure.width / 2);
    }
    const after = await compareGeometry(page);
    expect(after.figure.width).toBeCloseTo(before.figure.width, 0);
    expect(after.plot.width).toBeCloseTo(before.plot.width, 0);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
