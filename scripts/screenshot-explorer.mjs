#!/usr/bin/env node
// Screenshots of the explorer stages (map with thumbnails, selection, neighbours, the 2-d code plane, a drawn
// digit, the knobs and activations) at 1280 and 390 px, from fully trained dense runs (64- and 2-number codes).
// Usage: npm run build && node scripts/screenshot-explorer.mjs [outDir] [trainSize] [epochs] [mapPoints]
// README: node scripts/screenshot-explorer.mjs screenshots/explorer 60000 20 5000 (the reference schedule, ~5 min)
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const [outDir = 'screenshots/explorer', trainSize = '4096', epochs = '2', mapPoints = '3000'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const server = await preview({ build: { outDir: process.env.SHOT_DIST ?? 'dist' }, preview: { host: '127.0.0.1', port: 4196, strictPort: false }, logLevel: 'warn' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
/** Shoots a section (by its heading text) at the current width. */
const shot = async (page, name, heading) => {
  const section = page.locator('section.card', { has: page.getByRole('heading', { name: heading }) });
  await section.scrollIntoViewIfNeeded();
  await section.screenshot({ path: `${outDir}/${name}.png` });
  console.log(`${name}.png`);
};
const train = async (page, codeSize) => {
  await page.getByLabel('Code size', { exact: true }).selectOption(codeSize);
  const before = await page.locator('[data-testid="run-row"]').count();
  await page.getByRole('button', { name: /^Train Dense/ }).click();
  await page.locator('[data-testid="run-row"][data-status="completed"]').nth(before).waitFor({ timeout: 3_600_000 });
};
const latentsOf = async (page, runIndex, split) => {
  await page.getByLabel('Run', { exact: true }).selectOption({ index: runIndex });
  await page.getByLabel('Images', { exact: true }).selectOption(split);
  await page.getByRole('button', { name: 'Compute latent vectors' }).click();
  await page.locator('[data-testid="latent"][data-status="done"]').waitFor({ timeout: 600_000 });
};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`${server.resolvedUrls.local[0]}?backend=wasm`);
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  await page.getByLabel('Epochs', { exact: true }).fill(epochs);
  await page.getByLabel('Training images', { exact: true }).fill(trainSize);
  await train(page, '64');
  await train(page, '2');

  // The 64-number code: a t-SNE map with every point a thumbnail, zoomed in, a point hovered.
  await latentsOf(page, 0, 'test');
  await page.getByLabel(/^Points/).fill(mapPoints);
  await page.getByRole('button', { name: 'Run t-SNE' }).click();
  await page.locator('[data-testid="map"][data-status="done"]').waitFor({ timeout: 600_000 });
  await page.locator('[data-testid="thumbnail-controls"][data-atlas="ready"]').waitFor({ timeout: 600_000 });
  const map = page.getByTestId('map-plot');
  await map.scrollIntoViewIfNeeded();
  await map.focus();
  await page.keyboard.press('+');
  await page.waitForTimeout(800);
  const at = async (i) => map.evaluate((canvas, index) => canvas.locatePoint(index), i);
  const first = (await at(7)) ?? (await at(8));
  if (first) await page.mouse.move(first.x, first.y);
  await page.waitForTimeout(800);
  await shot(page, 'map-thumbnails-1280', /Map$/);
  // A lasso round the centre, and a point's latent neighbours.
  const box = await map.boundingBox();
  const [cx, cy, r] = [box.x + box.width * 0.5, box.y + box.height * 0.5, 70];
  await page.keyboard.down('Shift');
  await page.mouse.move(cx + r, cy);
  await page.mouse.down();
  for (let k = 1; k <= 24; k++) await page.mouse.move(cx + r * Math.cos((k * Math.PI) / 12), cy + r * Math.sin((k * Math.PI) / 12) * 0.8);
  await page.mouse.up();
  await page.keyboard.up('Shift');
  await page.getByTestId('selection-mean-recon').waitFor({ timeout: 60_000 });
  const second = (await at(21)) ?? (await at(22));
  if (second) await page.mouse.click(second.x, second.y);
  await page.getByTestId('neighbours-panel').waitFor();
  await page.waitForTimeout(1500);
  await shot(page, 'map-explorer-1280', /Map$/);

  // Draw a digit (a 3) and look inside a run.
  const pad = page.locator('canvas.draw-canvas');
  await pad.scrollIntoViewIfNeeded();
  const p = await pad.boundingBox();
  const stroke = [[0.3, 0.25], [0.55, 0.2], [0.68, 0.32], [0.5, 0.48], [0.7, 0.62], [0.6, 0.78], [0.32, 0.78]];
  await page.mouse.move(p.x + p.width * stroke[0][0], p.y + p.height * stroke[0][1]);
  await page.mouse.down();
  for (const [u, v] of stroke.slice(1)) await page.mouse.move(p.x + p.width * u, p.y + p.height * v, { steps: 8 });
  await page.mouse.up();
  await page.waitForTimeout(3000);
  await shot(page, 'draw-1280', /Draw a digit/);
  await page.getByRole('button', { name: 'Look inside' }).click();
  await page.waitForTimeout(3000);
  await shot(page, 'inside-1280', /Inside a run/);

  // The 2-number code: its plane, a point decoded under the pointer.
  await latentsOf(page, 1, 'test');
  await page.locator('[data-testid="code-plane"][data-grid="ready"]').waitFor({ timeout: 600_000 });
  const plane = page.getByTestId('plane-canvas');
  await plane.scrollIntoViewIfNeeded();
  const q = await plane.boundingBox();
  await page.mouse.move(q.x + q.width * 0.62, q.y + q.height * 0.4);
  await page.waitForTimeout(1500);
  await shot(page, 'code-plane-1280', /Map$/);

  // The same at phone width.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.waitForTimeout(1500);
  await shot(page, 'code-plane-390', /Map$/);
  await shot(page, 'draw-390', /Draw a digit/);
  await shot(page, 'inside-390', /Inside a run/);
  await latentsOf(page, 0, 'test');
  await page.getByRole('button', { name: 'PCA map' }).click();
  await page.locator('[data-testid="thumbnail-controls"][data-atlas="ready"]').waitFor({ timeout: 600_000 });
  await page.getByLabel('Select every').selectOption('7');
  await page.getByTestId('selection-mean-recon').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  await shot(page, 'map-explorer-390', /Map$/);
} finally {
  await browser.close();
  await server.close();
}
