#!/usr/bin/env node
// Does a tfjs WebGL flag change what the app computes, and how many shader programs it compiles? Trains one
// architecture in the built app on WebGL (Debian Chromium: SwiftShader without a GPU) and either
//  - MODE=diff (default): runs every kernel outside a gradient tape twice, flag on and off, on the same inputs,
//    and prints the largest difference per kernel and shape (training steps' backward kernels included), or
//  - MODE=count: sets the flag to VALUE (on|off) and prints the programs compiled and the epoch table.
// Usage: npm run build && [FLAG=WEBGL_USE_SHAPES_UNIFORMS] [MODE=diff|count] [VALUE=on] [ARCH=cnn_elu] [N=512]
//        [EPOCHS=1] node scripts/probes/webgl-flag.mjs
// Found with it (2026-12-05): WEBGL_USE_SHAPES_UNIFORMS computes wrong numbers; see src/worker/engine/backends.ts.
import { chromium } from 'playwright-core';
import { preview } from 'vite';

const { FLAG = 'WEBGL_USE_SHAPES_UNIFORMS', MODE = 'diff', VALUE = 'on', ARCH = 'cnn_elu', N = '512', EPOCHS = '1' } = process.env;
const LABELS = { dense: 'Dense', cnn_relu: 'CNN . ReLU', cnn_elu: 'CNN . ELU' };
const server = await preview({ preview: { host: '127.0.0.1', port: 4198, strictPort: false }, logLevel: 'warn' });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`${server.resolvedUrls.local[0]}?backend=webgl`);
  await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent === 'webgl', undefined, { timeout: 120_000 });
  await page.getByTestId('data-ready').waitFor({ timeout: 120_000 });
  const engine = page.workers().find((w) => /engine\.worker/.test(w.url()));
  if (!engine) throw new Error('no engine worker');
  // tfjs keeps its engine on the worker's global object (_tfengine); ops all go through its runKernel.
  const programs = () => engine.evaluate(() => Object.keys(self._tfengine.backend.binaryCache ?? {}).length);
  if (MODE === 'count') {
    await engine.evaluate(({ flag, on }) => self._tfengine.ENV.set(flag, on), { flag: FLAG, on: VALUE === 'on' });
  } else {
    await engine.evaluate((flag) => {
      const eng = self._tfengine;
      const run = eng.runKernel.bind(eng);
      self.__diffs = {};
      let inside = false;
      eng.runKernel = (name, inputs, attrs) => {
        if (inside || eng.isTapeOn()) return run(name, inputs, attrs);
        inside = true;
        try {
          eng.ENV.set(flag, true);
          const on = [run(name, inputs, attrs)].flat();
          eng.ENV.set(flag, false);
          const off = [run(name, inputs, attrs)].flat();
          let diff = 0;
          let scale = 0;
          on.forEach((t, i) => {
            const x = t.dataSync();
            const y = off[i].dataSync();
            for (let k = 0; k < x.length; k++) {
              const d = Math.abs(x[k] - y[k]);
              scale = Math.max(scale, Math.abs(y[k]));
              if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : d;
            }
          });
          off.forEach((t) => t.dispose());
          let attrText = '?';
          try {
            attrText = JSON.stringify(attrs ?? {});
          } catch {}
          const key = `${name} ${JSON.stringify(Object.values(inputs ?? {}).map((t) => t?.shape))} ${attrText}`;
          const seen = self.__diffs[key] ?? { diff: 0, scale: 0, runs: 0 };
          self.__diffs[key] = { diff: Math.max(seen.diff, diff), scale: Math.max(seen.scale, scale), runs: seen.runs + 1 };
          return on.length === 1 ? on[0] : on;
        } finally {
          eng.ENV.set(flag, true);
          inside = false;
        }
      };
    }, FLAG);
  }
  const before = await programs();
  await page.getByRole('radio', { name: new RegExp(`^${LABELS[ARCH]}`) }).check({ force: true });
  await page.getByLabel('Epochs', { exact: true }).fill(EPOCHS);
  await page.getByLabel('Training images', { exact: true }).fill(N);
  await page.getByRole('button', { name: /^Train (?!all)/ }).click();
  await page.waitForFunction(() => ['completed', 'failed'].includes(document.querySelector('[data-testid="run"]')?.getAttribute('data-status') ?? ''), undefined, { timeout: 1_800_000, polling: 500 });
  const table = await page.getByTestId('epoch-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent).join(' ')));
  console.log(`${ARCH}, ${N} images, ${EPOCHS} epoch(s): test MSE ${await page.getByTestId('test-mse').textContent()}; epochs: ${table.join(' | ')}`);
  if (MODE === 'count') {
    console.log(`${FLAG} ${VALUE}: ${(await programs()) - before} programs compiled`);
  } else {
    const diffs = Object.entries(await engine.evaluate(() => self.__diffs)).sort((a, b) => b[1].diff - a[1].diff);
    console.log(`largest |flag on − flag off| per kernel (largest |value| with it off), ×runs:`);
    for (const [key, v] of diffs) console.log(`${v.diff.toExponential(2)} (of ${v.scale.toExponential(2)}) ×${v.runs} ${key.slice(0, 240)}`);
  }
} finally {
  await browser.close();
  await server.close();
}
