import { describe, expect, it } from 'vitest';
import { IDX_LABELS_MAGIC, encodeIdx, parseLabelledImages } from '../../src/data/idx';
import { CACHED_MD5_HEADER, MNIST_FILES, loadMnist, type DownloadProgress, type MnistFileName } from '../../src/data/mnist';
import { ResponseCache } from '../../src/data/response-cache';
import { BASE, DATA, fixture, memoryCache, server, type ServerOptions } from './mnist-fixture';

function expectSameData(loaded: Awaited<ReturnType<typeof loadMnist>>, files: Record<MnistFileName, Uint8Array>) {
  const train = parseLabelledImages(files[MNIST_FILES.trainImages], files[MNIST_FILES.trainLabels], 'training');
  const test = parseLabelledImages(files[MNIST_FILES.testImages], files[MNIST_FILES.testLabels], 'test');
  expect(loaded.data.train.count).toBe(12);
  expect(loaded.data.test.count).toBe(5);
  expect(loaded.data.train.images).toEqual(train.images);
  expect(loaded.data.train.labels).toEqual(train.labels);
  expect(loaded.data.test.images).toEqual(test.images);
  expect(loaded.data.test.labels).toEqual(test.labels);
}

describe('loading MNIST', () => {
  it('downloads, checks and scales the four files, reporting progress up to the decompressed total', async () => {
    const files = fixture();
    const { fetchFn, requests } = server(files);
    const progress: DownloadProgress[] = [];
    const loaded = await loadMnist(BASE, { fetch: fetchFn, onProgress: (p) => progress.push(p), previewCount: 3 });
    expectSameData(loaded, files);
    expect(loaded.fromCache).toBe(false);
    expect(loaded.preview).toEqual(loaded.data.test.images.subarray(0, 3 * 784));
    const total = Object.values(files).reduce((sum, bytes) => sum + bytes.length, 0);
    expect(progress.at(-1)).toEqual({ loadedBytes: total, totalBytes: total });
    for (let i = 1; i < progress.length; i++) expect(progress[i].loadedBytes).toBeGreaterThanOrEqual(progress[i - 1].loadedBytes);
    // Only ever this origin's own files, fetched same-origin only.
    for (const { url, init } of requests) {
      expect(new URL(url).origin).toBe(new URL(BASE).origin);
      expect(init?.mode).toBe('same-origin');
    }
  });

  it('gunzips files a static host sends compressed as they are', async () => {
    const files = fixture();
    const loaded = await loadMnist(BASE, { fetch: server(files, { gzipped: true }).fetchFn, onProgress: () => undefined });
    expectSameData(loaded, files);
  });

  it('makes the floats only when they are first read, then keeps them', async () => {
    const files = fixture();
    const loaded = await loadMnist(BASE, { fetch: server(files).fetchFn, onProgress: () => undefined });
    const first = loaded.data.train.images;
    expect(loaded.data.train.images).toBe(first);
  });

  it('loads a second visit from the cache without downloading, and says so', async () => {
    const files = fixture();
    const { cache, entries } = memoryCache();
    const first = server(files);
    const one = await loadMnist(BASE, { fetch: first.fetchFn, cache, onProgress: () => undefined });
    expect(entries.size).toBe(0); // stored only when asked, after the page has the data
    await one.saveToCache();
    expect([...entries.keys()].sort()).toEqual(Object.values(MNIST_FILES).map((name) => `${DATA}${name}`).sort());
    for (const { headers } of entries.values()) expect(headers.get(CACHED_MD5_HEADER)).toMatch(/^[0-9a-f]{32}$/);

    const second = server(files);
    const two = await loadMnist(BASE, { fetch: second.fetchFn, cache, onProgress: () => undefined });
    expect(second.fileRequests()).toBe(0);
    expect(two.fromCache).toBe(true);
    expectSameData(two, files);
  });

  it('notices a damaged, cut or outdated cached copy, drops it and downloads that file again', async () => {
    const files = fixture();
    const damage: ((entry: { body: Uint8Array<ArrayBuffer>; headers: Headers }) => void)[] = [
      (entry) => {
        entry.body[entry.body.length - 5] ^= 0x40; // one flipped bit deep in the pixels: only the checksum sees it
      },
      (entry) => {
        entry.body = entry.body.slice(0, entry.body.length - 784); // a cut write
      },
      (entry) => {
        entry.headers = new Headers({ [CACHED_MD5_HEADER]: '0'.repeat(32) }); // an older version of the data
      },
      (entry) => {
        entry.body = new Uint8Array(0);
      },
    ];
    for (const harm of damage) {
      const { cache, entries } = memoryCache();
      await (await loadMnist(BASE, { fetch: server(files).fetchFn, cache, onProgress: () => undefined })).saveToCache();
      const key = `${DATA}${MNIST_FILES.trainImages}`;
      const entry = entries.get(key);
      if (!entry) throw new Error('not cached');
      harm(entry);
      const again = server(files);
      const progress: DownloadProgress[] = [];
      const loaded = await loadMnist(BASE, { fetch: again.fetchFn, cache, onProgress: (p) => progress.push(p) });
      expect(again.requests.map((r) => r.url).filter((url) => !url.endsWith('manifest.json'))).toEqual([key]);
      expect(loaded.fromCache).toBe(false);
      expectSameData(loaded, files);
      expect(progress.at(-1)?.loadedBytes).toBe(progress.at(-1)?.totalBytes);
      // The bad copy is gone; the good one replaces it once stored.
      expect(entries.has(key)).toBe(false);
      await loaded.saveToCache();
      expect(entries.get(key)?.body).toEqual(files[MNIST_FILES.trainImages]);
    }
  });

  it('downloads silently when storage fails (private window, quota)', async () => {
    const files = fixture();
    const { cache } = memoryCache(true);
    const loaded = await loadMnist(BASE, { fetch: server(files).fetchFn, cache, onProgress: () => undefined });
    expectSameData(loaded, files);
    await expect(loaded.saveToCache()).resolves.toBeUndefined();
    const unavailable = new ResponseCache(() => Promise.reject(new Error('SecurityError')));
    expectSameData(await loadMnist(BASE, { fetch: server(files).fetchFn, cache: unavailable, onProgress: () => undefined }), files);
  });

  it('does not cache a download that differs from the manifest’s checksum, but still uses it', async () => {
    const files = fixture();
    const served = files[MNIST_FILES.testImages].slice();
    served[100] ^= 1;
    const { cache, entries } = memoryCache();
    const loaded = await loadMnist(BASE, { fetch: server(files, { serve: { [MNIST_FILES.testImages]: served } }).fetchFn, cache, onProgress: () => undefined });
    await loaded.saveToCache();
    expect(entries.has(`${DATA}${MNIST_FILES.testImages}`)).toBe(false);
    expect(entries.size).toBe(3);
  });

  it('names what is wrong: a missing file, a file the manifest does not describe, a bad manifest', async () => {
    const files = fixture();
    const load = (options: ServerOptions) => loadMnist(BASE, { fetch: server(files, options).fetchFn, onProgress: () => undefined });
    const longer = encodeIdx(IDX_LABELS_MAGIC, [13], new Uint8Array(13));
    await expect(load({ serve: { [MNIST_FILES.trainLabels]: longer } })).rejects.toMatchObject({ code: 'checksum-mismatch' });
    await expect(load({ serve: { [MNIST_FILES.trainImages]: files[MNIST_FILES.trainImages].subarray(0, 500) } })).rejects.toMatchObject({ code: 'length-mismatch' });
    await expect(load({ manifest: { [MNIST_FILES.trainImages]: 9801223 } })).rejects.toMatchObject({ code: 'bad-manifest' });
    await expect(load({ manifest: [] })).rejects.toThrow(/has no entry for train-images-idx3-ubyte.gz/);
    const noServer: typeof fetch = async () => new Response('missing', { status: 404 });
    await expect(loadMnist(BASE, { fetch: noServer, onProgress: () => undefined })).rejects.toMatchObject({ code: 'fetch-failed' });
  });

  it('stops at once when aborted, rejecting with the abort and reporting no progress after it', async () => {
    const files = fixture();
    let release: () => void = () => undefined;
    let chunks = 0;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Two chunks through, then every file waits until the test lets it go.
    const beforeChunk = async () => {
      if (++chunks > 2) await gate;
    };
    const controller = new AbortController();
    let afterAbort = 0;
    const loading = loadMnist(BASE, {
      fetch: server(files, { beforeChunk }).fetchFn,
      signal: controller.signal,
      onProgress: () => {
        if (controller.signal.aborted) afterAbort++;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort(new DOMException('cancelled by the test', 'AbortError'));
    // Rejects while every body is still held: the reads are cancelled, not waited out.
    await expect(loading).rejects.toMatchObject({ name: 'AbortError', message: 'cancelled by the test' });
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(afterAbort).toBe(0);
  });
});
