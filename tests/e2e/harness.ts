/**
 * Real-browser test harness: serves the production build (`dist/`, made by `npm run build`, which
 * `npm test` runs first) with `vite preview`, and drives Debian's Chromium at /usr/bin/chromium through
 * playwright-core — never a downloaded browser.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a closed network (no background traffic) and running as root. WebGL needs none. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
];

export interface Harness {
  browser: Browser;
  server: PreviewServer;
  url: string;
  close(): Promise<void>;
}

/**
 * Flags that give Chromium a software WebGPU adapter (SwiftShader's Vulkan) on machines without a GPU. It
 * is offered only to secure contexts: pages from http://127.0.0.1 qualify (the preview server's URL).
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  /** Chromium flags added to {@link CHROMIUM_ARGS}, e.g. {@link WEBGPU_ARGS}. */
  extraArgs?: readonly string[];
}

/** Starts `vite preview` on dist/ and a headless Chromium; `close()` ends both. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  if (!existsSync('dist/index.html')) throw new Error('dist/ is missing: run "npm run build" (npm test does it first).');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it).`);
  const server = await preview({ preview: { host: '127.0.0.1', port: 4180, strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])] });
  return {
    browser,
    server,
    url,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Records page errors, console errors (the page's and its workers'; Chromium reports every blocked
 * Content-Security-Policy violation there) and every request that leaves the page's own origin.
 */
export function watchPage(page: Page, origin: string): { errors: string[]; foreignRequests: string[] } {
  const errors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('worker', (worker) =>
    worker.on('console', (message) => {
      if (message.type() === 'error') errors.push(`worker console: ${message.text()}`);
    }),
  );
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) foreignRequests.push(url);
  });
  return { errors, foreignRequests };
}

/** Trains the chosen model (dense by default) for one epoch on the first `images` training images and waits for it. */
export async function trainSmallModel(page: Page, images = 512): Promise<void> {
  await page.getByLabel('Epochs').fill('1');
  await page.getByLabel('Training images').fill(String(images));
  await page.getByRole('button', { name: /^Train (?!all)/ }).click();
  await page.locator('[data-testid="run"][data-status="completed"]').waitFor({ timeout: 120_000 });
}
