#!/usr/bin/env node
// Screenshots of every stage of the built app, to look at the page and for the README.
// Usage: npm run build && node scripts/screenshot.mjs [outDir] [trainSize] [epochs] [backend] [mapPoints]
// README screenshots: node scripts/screenshot.mjs screenshots/readme 60000 20 wasm 5000 (the reference schedule)
// SHOT_WIDTH=390 takes them at a phone's width (default 1280).
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const [outDir = 'screenshots/tmp', trainSize = '4096', epochs = '2', backend = 'wasm', mapPoints = '2000'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
// SHOT_DIST serves a copy of the build, so rebuilding dist/ meanwhile cannot break a long run.
const server = await preview({ build: { outDir: process.env.SHOT_DIST ?? 'dist' }, preview: { host: '127.0.0.1', port: 4195, strictPort: false }, logLevel: 'warn' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const shot = async (page, name, locator) => {
  const target = locator ?? page;
  await target.screenshot({ path: `${outDir}/${name}.png`, ...(locator ? {} : { fullPage: true }) });
  console.log(`${name}.png`);
};
try {
  const page = await browser.newPage({ viewport: { width: Number(process.env.SHOT_WIDTH ?? 1280), height: 900 } });
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  page.on('console', (m) => m.type() === 'error' && console.error('console', m.text()));
  await page.goto(`${server.resolvedUrls.local[0]}?backend=${backend}`);
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  await page.getByLabel('Epochs', { exact: true }).fill(epochs);
  await page.getByLabel('Training images', { exact: true }).fill(trainSize);
  await page.getByRole('button', { name: 'Train all three' }).click();
  await page.waitForTimeout(5000);
  await shot(page, '1-training');
  await page.locator('[data-testid="run-row"][data-arch="cnn_elu"]:is([data-status="completed"],[data-status="failed"])').waitFor({ timeout: 3_600_000 });
  await page.getByRole('button', { name: 'Show digits' }).click();
  await page.getByTestId('gallery').waitFor();
  await page.waitForTimeout(1000);
  await shot(page, '2-trained');
  await shot(page, '2a-runs', page.locator('section').nth(3));
  await shot(page, '2b-compare', page.locator('section').nth(4));
  const eluRun = await page.locator('[data-testid="run-row"][data-arch="cnn_elu"]').first().getAttribute('data-run-id');
  await page.getByLabel('Run', { exact: true }).selectOption(eluRun ?? '');
  await page.getByRole('button', { name: 'Compute latent vectors' }).click();
  await page.getByTestId('latent-summary').waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Show its latent vector' }).click();
  await page.getByLabel('n_init').fill('3');
  await page.getByRole('button', { name: 'Run KMeans' }).click();
  await page.locator('[data-testid="kmeans"][data-status="done"]').waitFor({ timeout: 300_000 });
  await page.waitForTimeout(1500);
  await shot(page, '3-latent', page.locator('section').nth(5));
  await page.getByLabel(/^Points/).fill(mapPoints);
  await page.getByRole('button', { name: 'Run t-SNE' }).click();
  await page.waitForTimeout(3000);
  await shot(page, '4-map-forming', page.locator('section').nth(6));
  await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 300_000 });
  await page.waitForTimeout(1500);
  const point = async (i) => page.getByTestId('map-plot').evaluate((canvas, index) => canvas.locatePoint(index), i);
  await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
  const a = await point(3);
  await page.mouse.click(a.x, a.y);
  // A click lists the point's neighbours; a walk starts with "Walk from here" and ends at the next point clicked.
  await page.getByRole('button', { name: 'Walk from here' }).click();
  await page.getByTestId('map-plot').scrollIntoViewIfNeeded();
  const b = await point(40);
  await page.mouse.click(b.x, b.y);
  await page.mouse.move(b.x, b.y);
  await page.getByTestId('walk').waitFor();
  await page.waitForTimeout(1000);
  await shot(page, '5-map', page.locator('section').nth(6));
  await shot(page, '6-full');
} finally {
  await browser.close();
  await server.close();
}
