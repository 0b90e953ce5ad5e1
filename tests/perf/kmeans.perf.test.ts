/**
 * KMeans on the reference latents (60,000 × 64, k 10, n_init 10, one thread): seconds, iterations per restart
 * and inertia. Not part of the unit suite; run by hand from the repository root:
 *
 *   printf "export default { test: { include: ['tests/perf/kmeans.perf.test.ts'], testTimeout: 600000 } };" \
 *     > /tmp/vitest.perf.config.mjs && npx vitest run --config /tmp/vitest.perf.config.mjs --root .
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { kmeans } from '../../src/analysis/kmeans';

it('KMeans on the reference latents: time per restart', () => {
  const dir = process.env.AE_REFERENCE_DIR ? resolve(process.env.AE_REFERENCE_DIR) : resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference');
  const path = resolve(dir, 'latent_cnn_elu_train.f32');
  if (!existsSync(path)) throw new Error(`reference latents missing: ${path}`);
  const bytes = readFileSync(path);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const n = data.length / 64;
  const nInit = Number(process.env.KMEANS_PERF_NINIT ?? '5');
  const t0 = performance.now();
  const result = kmeans(data, n, 64, { nInit, seed: 42 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`n ${n}, n_init ${nInit}: ${seconds.toFixed(2)} s, inertia ${result.inertia.toFixed(0)}, kept run ${result.iterations} iterations`);
});
