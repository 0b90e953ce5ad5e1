#!/usr/bin/env node
// Takes screenshots of the built app at each stage, for looking at the page and for the README.
// Usage: npm run build && node scripts/screenshot.mjs [outDir] [trainSize] [epochs] [arch label]
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const [outDir = 'screenshots/tmp', trainSize = '4096', epochs = '2', archLabel = 'Dense'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
const server = await preview({ preview: { host: '127.0.0.1', port: 4195, strictPort: false }, logLevel: 'warn' });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  page.on('console', (m) => m.type() === 'error' && console.error('console', m.text()));
  const t0 = Date.now();
  await page.goto(server.resolvedUrls.local[0]);
  await page.screenshot({ path: `${outDir}/0-loading.png` });
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  console.log(`data ready after ${Date.now() - t0} ms`);
  await page.getByLabel(new RegExp(`^${archLabel}`)).check({ force: true });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${outDir}/1-ready.png`, fullPage: true });
  await page.getByLabel('Epochs').fill(epochs);
  await page.getByLabel('Training images').fill(trainSize);
  await page.getByRole('button', { name: /^Train/ }).click();
  await page.waitForTimeout(4000);
  await page.screenshot({ path: `${outDir}/2-training.png`, fullPage: true });
  await page.locator('[data-testid="run"]:not([data-status="running"]):not([data-status="starting"])').waitFor({ timeout: 600_000 });
  console.log(`run ended after ${Date.now() - t0} ms:`, await page.getByTestId('run-status').textContent());
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${outDir}/3-trained.png`, fullPage: true });
} finally {
  await browser.close();
  await server.close();
}
