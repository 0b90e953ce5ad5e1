/**
 * kNN graph alone on the reference latents (k = 46, as t-SNE at perplexity 15 asks): seconds and recall
 * against brute force on 300 evenly spread rows, for the default backend (brute force up to
 * EXACT_KNN_MAX_POINTS) and the JavaScript one (brute force up to JS_EXACT_MAX_POINTS, its own crossover).
 * Not part of the unit suite; run by hand from the repository root:
 *
 *   printf "export default { test: { include: ['tests/perf/knn.perf.test.ts'], testTimeout: 600000 } };" \
 *     > /tmp/vitest.knn.config.mjs && npx vitest run --config /tmp/vitest.knn.config.mjs --root .
 *
 * Environment: KNN_PERF_SIZES (default "5000,10000,60000"), KNN_PERF_BACKENDS (default "auto,js"),
 * KNN_PERF_K (default 46), AE_REFERENCE_DIR for the reference latents' folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { approximateKnn, exactKnn, exactKnnOfRows, EXACT_KNN_MAX_POINTS, knnRecall, type KnnBackend } from '../../src/analysis/knn';
import { mulberry32 } from '../../src/analysis/rng';

/** The JavaScript path's crossover from brute force to NN-descent (EXACT_KNN_MAX_POINTS without SIMD). */
const JS_EXACT_MAX_POINTS = 8_000;

it('kNN graph on the reference latents: seconds and recall', () => {
  const dir = process.env.AE_REFERENCE_DIR ? resolve(process.env.AE_REFERENCE_DIR) : resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference');
  const path = resolve(dir, 'latent_cnn_elu_train.f32');
  if (!existsSync(path)) throw new Error(`reference latents missing: ${path}`);
  const bytes = readFileSync(path);
  const latents = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const d = 64;
  const k = Number(process.env.KNN_PERF_K ?? '46');
  const sizes = (process.env.KNN_PERF_SIZES ?? '5000,10000,60000').split(',').map(Number);
  const backends = (process.env.KNN_PERF_BACKENDS ?? 'auto,js').split(',') as KnnBackend[];
  for (const n of sizes) {
    const data = latents.subarray(0, n * d);
    const sample = Int32Array.from({ length: 300 }, (_, r) => Math.floor((r * n) / 300));
    const truth = exactKnnOfRows(data, n, d, k, sample);
    for (const backend of backends) {
      const exact = n <= (backend === 'js' ? JS_EXACT_MAX_POINTS : EXACT_KNN_MAX_POINTS);
      const t0 = performance.now();
      const graph = exact ? exactKnn(data, n, d, k, undefined, backend) : approximateKnn(data, n, d, k, mulberry32(42), undefined, undefined, backend);
      const seconds = (performance.now() - t0) / 1000;
      const recall = knnRecall(graph, truth, k, sample);
      console.log(`n ${n} ${exact ? 'exact' : 'approximate'} ${backend}: ${seconds.toFixed(3)} s, recall ${recall.toFixed(4)}`);
    }
  }
});
