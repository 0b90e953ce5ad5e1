/**
 * t-SNE measurements on the reference latents: time per phase, exact KL, trustworthiness and 10-NN
 * accuracy, against the scikit-learn figures in shared/reference/figures.md. Not part of the unit
 * suite (minutes of CPU); run by hand from the repository root:
 *
 *   printf "export default { test: { include: ['tests/perf/*.test.ts'], testTimeout: 3600000 } };" \
 *     > /tmp/vitest.perf.config.mjs && npx vitest run --config /tmp/vitest.perf.config.mjs --root .
 *
 * Environment: TSNE_PERF_SIZES (default "5000,10000,60000"), TSNE_PERF_METHOD (default "fft"),
 * TSNE_PERF_KL=0 to skip the exact KL (≈ 10 s at 10,000 points), AE_REFERENCE_DIR for the reference latents' folder.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { EXACT_KNN_MAX_POINTS, exactKnnOfRows, knnRecall } from '../../src/analysis/knn';
import { knnAccuracy, trustworthiness } from '../../src/analysis/quality';
import { mulberry32 } from '../../src/analysis/rng';
import {
  DEFAULT_TSNE_OPTIONS,
  exactAffinities,
  exactKl,
  neighboursForPerplexity,
  Tsne,
  tsneKnn,
  type RepulsionMethod,
} from '../../src/analysis/tsne';
import { jointAffinities } from '../../src/analysis/tsneAffinities';

/** scikit-learn 1.2 (Barnes–Hut) on the same rows, from figures.md. */
const SKLEARN: Record<number, { time: string; kl: number; trust: number; acc: number }> = {
  5000: { time: '30.0 s (1 thread)', kl: 1.448, trust: 0.9848, acc: 0.9368 },
  10000: { time: '64.9 s (1 thread)', kl: 1.827, trust: 0.9901, acc: 0.9481 },
  60000: { time: '424.7 s (2 threads)', kl: NaN, trust: 0.9932, acc: 0.974 },
};

function load(): { latents: Float32Array; labels: Uint8Array } {
  // The full 60,000-row reference latents, as for `npm run bench`: AE_REFERENCE_DIR or ../shared/reference.
  const dir = process.env.AE_REFERENCE_DIR ? resolve(process.env.AE_REFERENCE_DIR) : resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference');
  const latentsPath = resolve(dir, 'latent_cnn_elu_train.f32');
  const labelsPath = resolve(dir, 'labels_train.u8');
  if (!existsSync(latentsPath) || !existsSync(labelsPath)) throw new Error(`reference files missing under ${dir}`);
  const bytes = readFileSync(latentsPath);
  const latents = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { latents, labels: new Uint8Array(readFileSync(labelsPath)) };
}

/** Wall and CPU seconds of `f`. */
function timed<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = f();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

it('t-SNE on the reference latents: time and quality', () => {
  const { latents, labels } = load();
  const d = 64;
  const sizes = (process.env.TSNE_PERF_SIZES ?? '5000,10000,60000').split(',').map(Number);
  const method = (process.env.TSNE_PERF_METHOD ?? 'fft') as RepulsionMethod;
  const withKl = process.env.TSNE_PERF_KL !== '0';
  const rows: string[] = [];
  for (const n of sizes) {
    const data = latents.subarray(0, n * d);
    const rng = mulberry32(DEFAULT_TSNE_OPTIONS.seed);
    const tsne = new Tsne({ method, rng });
    const knn = timed(() => tsneKnn(data, n, d, DEFAULT_TSNE_OPTIONS, rng));
    const aff = timed(() => jointAffinities(knn.value, DEFAULT_TSNE_OPTIONS.perplexity));
    const init = timed(() => tsne.initializeFromAffinities(aff.value, tsne.initialEmbedding(data, n, d)));
    const opt = timed(() => {
      while (!tsne.done) tsne.step();
    });
    const emb = tsne.embedding();
    const wall = knn.wall + aff.wall + init.wall + opt.wall;
    const cpu = knn.cpu + aff.cpu + init.cpu + opt.cpu;
    const acc = knnAccuracy(emb, 2, n, labels, 10);
    const trust = n <= 10_000 ? trustworthiness(data, d, emb, 2, n, 10) : NaN;
    const kl = withKl && n <= 10_000 ? exactKl(exactAffinities(data, n, d, DEFAULT_TSNE_OPTIONS.perplexity), emb) : NaN;
    let recall = 1;
    if (n > EXACT_KNN_MAX_POINTS) {
      // The approximate graph against brute force on 300 evenly spread rows.
      const sample = Int32Array.from({ length: 300 }, (_, r) => Math.floor((r * n) / 300));
      const k = neighboursForPerplexity(DEFAULT_TSNE_OPTIONS.perplexity, n);
      recall = knnRecall(knn.value, exactKnnOfRows(data, n, d, k, sample), k, sample);
    }
    const ref = SKLEARN[n];
    rows.push(
      `| ${n} | ${method} | ${wall.toFixed(1)} (cpu ${cpu.toFixed(1)}: kNN ${knn.cpu.toFixed(1)}, P ${aff.cpu.toFixed(1)}, ` +
        `init ${init.cpu.toFixed(1)}, 1000 its ${opt.cpu.toFixed(2)}; recall ${recall.toFixed(3)}) | ` +
        `${kl.toFixed(4)} | ${trust.toFixed(4)} | ${acc.toFixed(4)} | ` +
        (ref ? `${ref.time}, KL ${ref.kl}, T ${ref.trust}, 10-NN ${ref.acc}` : '–') +
        ' |',
    );
    console.log(rows[rows.length - 1]);
    if (ref && n <= 10_000) {
      expect(trust).toBeGreaterThanOrEqual(ref.trust - 0.005);
      expect(acc).toBeGreaterThanOrEqual(ref.acc - 0.01);
    }
  }
  console.log(
    ['| n | method | seconds (wall) | exact KL | trustworthiness | 10-NN accuracy | scikit-learn |', '|---|---|---|---|---|---|---|', ...rows].join('\n'),
  );
});
