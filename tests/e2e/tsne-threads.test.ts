/**
 * t-SNE's helper thread in the production build: the analysis worker starts it (a nested worker sharing memory, on
 * a cross-origin-isolated page), it takes each step's attraction, and the map is bit for bit the map of one thread.
 * Runs the built analysis worker directly on the 2,000-row reference-latent fixture (tests/fixtures/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const FIXTURE = 'tests/fixtures/latent_cnn_elu_train_2000.f32';
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

interface MapOutcome {
  type: string;
  threads?: number;
  embedding?: number[];
  message?: string;
}

describe('t-SNE on two threads', () => {
  it('gives the same map as one thread, with the attraction on the helper thread', async () => {
    const worker = readdirSync('dist/assets').find((name) => /^analysis\.worker-.*\.js$/.test(name));
    expect(worker).toBeDefined();
    const page = await harness.browser.newPage();
    await page.route('**/fixture/latents.f32', (route) => route.fulfill({ body: readFileSync(FIXTURE) }));
    // A blank page on the app's origin, isolated as the app is (the app itself would start its own work).
    await page.route('**/fixture/blank.html', (route) => route.fulfill({ contentType: 'text/html', headers: ISOLATION, body: '<!doctype html><title>t-SNE threads</title>' }));
    await page.goto(`${harness.url}fixture/blank.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const run = (threads: number) =>
      page.evaluate(
        async ({ workerUrl, threads }) => {
          const bytes = await (await fetch('fixture/latents.f32')).arrayBuffer();
          const n = 1500;
          const data = new Float32Array(bytes, 0, n * 64).slice();
          const labels = new Uint8Array(n);
          const analysis = new Worker(workerUrl, { type: 'module' });
          return new Promise<MapOutcome>((resolve) => {
            analysis.onmessage = ({ data: event }: MessageEvent<MapOutcome & { embedding?: Float32Array }>) => {
              if (event.type !== 'tsneDone' && event.type !== 'jobEnded') return;
              analysis.terminate();
              resolve({ type: event.type, threads: event.threads, message: event.message, embedding: event.embedding ? Array.from(event.embedding) : undefined });
            };
            analysis.postMessage({ type: 'tsne', jobId: 1, data, n, d: 64, labels, options: { perplexity: 15, learningRate: 100, iterations: 300, seed: 0 }, threads }, [data.buffer]);
          });
        },
        { workerUrl: `${harness.url}assets/${worker}`, threads },
      );
    const one = await run(1);
    const two = await run(2);
    expect(one.type, one.message).toBe('tsneDone');
    expect(two.type, two.message).toBe('tsneDone');
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.embedding?.length).toBe(3000);
    expect(two.embedding).toEqual(one.embedding);
    await page.close();
  });
});
