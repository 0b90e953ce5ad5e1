#!/usr/bin/env node
// The benchmark: drives the production build (vite preview) in headless Debian Chromium like a person
// would, and writes bench/results.json + bench/results.md (fields: ../shared/docs/bench.md).
// Usage: npm run bench [-- --only dataReady,train] [--quick]
// Run timed work alone on this 2-core machine: flock /tmp/bench.lock npm run bench
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};
const parts = new Set((option('only') ?? 'dataReady,train').split(','));
const quick = flag('quick');

const ARCHS = ['dense', 'cnn_relu', 'cnn_elu'];
const ARCH_LABELS = { dense: 'Dense', cnn_relu: 'CNN · ReLU', cnn_elu: 'CNN · ELU' };
/** Training images per backend: enough batches for a stable epoch time, few enough for slow backends. */
const TRAIN_SIZES = quick ? { webgl: 1024, wasm: 1024, cpu: 512 } : { webgl: 2560, wasm: 5120, cpu: 1024 };
/** Epoch 1 includes warm-up (shader compilation, wasm tuning); the median of the later ones is reported. */
const EPOCHS = quick ? 2 : 3;
const REFERENCE = { dense: 8595, cnn_relu: 2217, cnn_elu: 2014 };

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const server = await preview({ preview: { host: '127.0.0.1', port: 4190, strictPort: false }, logLevel: 'warn' });
const url = server.resolvedUrls?.local[0];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

const results = {
  when: new Date().toISOString(),
  machine: { cores: os.cpus().length, userAgent: '' },
  parts: [...parts],
  quick,
  dataReadyMs: null,
  train: [],
};

async function openPage(backend) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  await page.goto(backend ? `${url}?backend=${backend}` : url);
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  return page;
}

try {
  if (parts.has('dataReady')) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const page = await openPage();
      times.push(await page.evaluate(() => performance.getEntriesByName('data-ready')[0]?.startTime ?? NaN));
      results.machine.userAgent = await page.evaluate(() => navigator.userAgent);
      await page.close();
    }
    results.dataReadyMs = Math.round(median(times));
    console.log(`data ready: ${results.dataReadyMs} ms (median of ${times.map(Math.round).join(', ')})`);
  }
  if (parts.has('train')) {
    for (const backend of ['webgl', 'wasm', 'cpu']) {
      const page = await openPage(backend);
      const actual = await page.getByTestId('backend').textContent();
      for (const arch of ARCHS) {
        await page.getByLabel(new RegExp(`^${ARCH_LABELS[arch].replace(/[·]/g, '.')}`)).check({ force: true });
        await page.getByLabel('Epochs').fill(String(EPOCHS));
        await page.getByLabel('Training images').fill(String(TRAIN_SIZES[backend]));
        await page.getByRole('button', { name: /^Train/ }).click();
        const run = page.locator('[data-testid="run"]');
        await page.waitForFunction(
          () => ['completed', 'failed'].includes(document.querySelector('[data-testid="run"]')?.getAttribute('data-status') ?? ''),
          undefined,
          { timeout: 1_800_000, polling: 500 },
        );
        if ((await run.getAttribute('data-status')) !== 'completed') {
          console.error(`${arch} on ${backend} failed: ${await run.textContent()}`);
          continue;
        }
        const rows = await page.getByTestId('epoch-table').locator('tbody tr').evaluateAll((trs) =>
          trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.textContent?.replace(/,/g, '')))),
        );
        const afterWarmup = rows.slice(1).map((cells) => cells[4]);
        const entry = {
          arch,
          backend: actual,
          batch: 256,
          samplesPerSec: Math.round(median(afterWarmup)),
          n: TRAIN_SIZES[backend],
          epochsMeasured: afterWarmup.length,
          ratioToPyTorch: Number((median(afterWarmup) / REFERENCE[arch]).toFixed(3)),
        };
        results.train.push(entry);
        console.log(`${arch} on ${actual}: ${entry.samplesPerSec} samples/s (×${entry.ratioToPyTorch} PyTorch)`);
      }
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

// Keep figures of parts that did not run this time, so one file holds the latest of each.
mkdirSync('bench', { recursive: true });
const previous = existsSync('bench/results.json') ? JSON.parse(readFileSync('bench/results.json', 'utf8')) : {};
const merged = { ...previous, ...Object.fromEntries(Object.entries(results).filter(([, v]) => v !== null && !(Array.isArray(v) && v.length === 0))) };
writeFileSync('bench/results.json', JSON.stringify(merged, null, 2) + '\n');

const lines = [
  '# Benchmark results',
  '',
  `Measured ${merged.when} on ${merged.machine?.cores} cores, ${merged.machine?.userAgent}. Parts in this run: ${[...parts].join(', ')}${quick ? ' (quick)' : ''}.`,
  '',
  `Page open → data ready: ${merged.dataReadyMs ?? '–'} ms`,
  '',
  '| architecture | backend | training images | samples/s (batch 256, after warm-up) | × PyTorch on this CPU |',
  '|---|---|---|---|---|',
  ...(merged.train ?? []).map((t) => `| ${t.arch} | ${t.backend} | ${t.n} | ${t.samplesPerSec} | ${t.ratioToPyTorch} |`),
  '',
  'PyTorch reference (figures.md): dense 8,595 samples/s, CNN-ReLU 2,217, CNN-ELU 2,014.',
];
writeFileSync('bench/results.md', lines.join('\n') + '\n');
console.log('wrote bench/results.json and bench/results.md');
