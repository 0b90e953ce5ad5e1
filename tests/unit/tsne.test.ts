import { describe, expect, it } from 'vitest';
import { exactKnn } from '../../src/analysis/knn';
import { knnAccuracy, trustworthiness } from '../../src/analysis/quality';
import { gaussian, mulberry32, type Rng } from '../../src/analysis/rng';
import {
  DEFAULT_TSNE_OPTIONS,
  exactAffinities,
  exactKl,
  neighboursForPerplexity,
  runTsne,
  Tsne,
  type TsneProgress,
} from '../../src/analysis/tsne';
import { calibrateRow, conditionalAffinities, jointAffinities, symmetrize } from '../../src/analysis/tsneAffinities';
import { exactRepulsion, klGradient, Repulsion } from '../../src/analysis/tsneGradient';
import { REFERENCE_DIM, loadReferenceLatents } from './reference-latents';

/** n points in `clusters` Gaussian blobs in d dimensions, centres `separation` apart on the axes. */
function blobs(n: number, d: number, clusters: number, separation: number, rng: Rng): { data: Float32Array; labels: Uint8Array } {
  const data = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels[i] = c;
    for (let t = 0; t < d; t++) data[i * d + t] = gaussian(rng) + (t === c % d ? separation : 0) * (c >= d ? -1 : 1);
  }
  return { data, labels };
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let e = 0; e < a.length; e++) {
    num += (a[e] - b[e]) ** 2;
    den += b[e] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('perplexity calibration', () => {
  it('hits the target entropy on every row, and rows sum to 1', () => {
    const rng = mulberry32(7);
    const k = 46;
    const dist = new Float64Array(k);
    const out = new Float64Array(k);
    for (const perplexity of [2, 5, 15, 30]) {
      for (let trial = 0; trial < 20; trial++) {
        // Squared distances over several orders of magnitude, as in real data.
        const scale = 10 ** (4 * rng() - 2);
        for (let s = 0; s < k; s++) dist[s] = scale * (1 + 5 * rng()) ** 2;
        const beta = calibrateRow(dist, 0, k, Math.log(perplexity), out);
        let sum = 0;
        let entropy = 0;
        for (let s = 0; s < k; s++) {
          sum += out[s];
          if (out[s] > 0) entropy -= out[s] * Math.log(out[s]);
        }
        expect(beta).toBeGreaterThan(0);
        expect(sum).toBeCloseTo(1, 12);
        expect(Math.abs(entropy - Math.log(perplexity))).toBeLessThan(1e-5);
      }
    }
  });

  it('symmetrises into P = (C + Cᵀ) / 2n, summing to 1', () => {
    const rng = mulberry32(8);
    const n = 40;
    const d = 3;
    const data = Float32Array.from({ length: n * d }, () => gaussian(rng));
    const graph = exactKnn(data, n, d, 10);
    const { conditional } = conditionalAffinities(graph, 4);
    const P = symmetrize(graph, conditional);
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < 10; s++) {
        const j = graph.indices[i * 10 + s];
        dense[i * n + j] += conditional[i * 10 + s] / (2 * n);
        dense[j * n + i] += conditional[i * 10 + s] / (2 * n);
      }
    }
    let total = 0;
    const seen = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) {
        const j = P.columns[e];
        expect(P.values[e]).toBeCloseTo(dense[i * n + j], 14);
        seen[i * n + j] = P.values[e];
        total += P.values[e];
      }
    }
    expect(total).toBeCloseTo(1, 12);
    // Every nonzero of the dense form is stored, and the stored matrix is symmetric.
    for (let e = 0; e < n * n; e++) expect(seen[e]).toBeCloseTo(dense[e], 14);
  });
});

describe('gradient', () => {
  it('the exact gradient matches finite differences of KL(P‖Q)', () => {
    const rng = mulberry32(9);
    const n = 25;
    const data = Float32Array.from({ length: n * 4 }, () => gaussian(rng));
    const P = jointAffinities(exactKnn(data, n, 4, 8), 3);
    const y = Float64Array.from({ length: 2 * n }, () => gaussian(rng));
    const kl = (emb: Float64Array): number => {
      const dense = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let e = P.rowPtr[i]; e < P.rowPtr[i + 1]; e++) dense[i * n + P.columns[e]] = P.values[e];
      let z = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) z += 1 / (1 + (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2);
      let c = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const p = dense[i * n + j];
          if (i === j || p === 0) continue;
          const q = 1 / (1 + (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2) / z;
          c += p * Math.log(p / q);
        }
      }
      return c;
    };
    const grad = new Float64Array(2 * n);
    klGradient(P, y, 1, new Repulsion('exact', 0.5), grad, new Float64Array(2 * n), new Float64Array(2 * n));
    const h = 1e-6;
    for (let e = 0; e < 2 * n; e++) {
      const plus = y.slice();
      const minus = y.slice();
      plus[e] += h;
      minus[e] -= h;
      expect(grad[e]).toBeCloseTo((kl(plus) - kl(minus)) / (2 * h), 6);
    }
  });

  it('Barnes–Hut and FFT repulsion match the exact sums on clustered points', () => {
    const rng = mulberry32(10);
    const n = 400;
    // Scales from a fresh map (all within a grid cell) to a spread one (near-field split active).
    for (const scale of [0.01, 1, 8, 30]) {
      const y = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const c = i % 4;
        y[2 * i] = scale * (gaussian(rng) + 4 * (c & 1));
        y[2 * i + 1] = scale * (gaussian(rng) + 4 * (c >> 1));
      }
      const exact = new Float64Array(2 * n);
      const zExact = exactRepulsion(y, n, exact);
      for (const method of ['barnes-hut', 'fft'] as const) {
        const force = new Float64Array(2 * n);
        const z = new Repulsion(method, 0.5).compute(y, n, force);
        expect(Math.abs(z / zExact - 1)).toBeLessThan(method === 'fft' ? 2e-3 : 2e-2);
        expect(relativeError(force, exact)).toBeLessThan(3e-2);
      }
    }
  });
});

describe('exactKl', () => {
  it('equals the dense all-pairs KL divergence on a small case', () => {
    const rng = mulberry32(11);
    const n = 30;
    const d = 5;
    const data = Float32Array.from({ length: n * d }, () => gaussian(rng));
    const emb = Float32Array.from({ length: 2 * n }, () => 3 * gaussian(rng));
    const perplexity = 6;
    // Dense reference: calibrate each full row, symmetrise, Student-t Q.
    const cond = new Float64Array(n * n);
    const row = new Float64Array(n - 1);
    const out = new Float64Array(n - 1);
    for (let i = 0; i < n; i++) {
      let w = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let t = 0; t < d; t++) s += (data[i * d + t] - data[j * d + t]) ** 2;
        row[w++] = s;
      }
      calibrateRow(row, 0, n - 1, Math.log(perplexity), out, 1e-12, 200);
      w = 0;
      for (let j = 0; j < n; j++) if (j !== i) cond[i * n + j] = out[w++];
    }
    let z = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) z += 1 / (1 + (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2);
    let expected = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const p = (cond[i * n + j] + cond[j * n + i]) / (2 * n);
        const q = 1 / (1 + (emb[2 * i] - emb[2 * j]) ** 2 + (emb[2 * i + 1] - emb[2 * j + 1]) ** 2) / z;
        expected += p * Math.log(p / q);
      }
    }
    expect(exactKl(exactAffinities(data, n, d, perplexity), emb)).toBeCloseTo(expected, 8);
  });
});

describe('Tsne', () => {
  it('uses scikit-learn 1.2 settings by default', () => {
    expect(DEFAULT_TSNE_OPTIONS).toMatchObject({
      perplexity: 15,
      learningRate: 100,
      iterations: 1000,
      earlyExaggeration: 12,
      exaggerationIterations: 250,
      initialMomentum: 0.5,
      finalMomentum: 0.8,
      momentumSwitchIteration: 250,
      minGain: 0.01,
      init: 'pca',
    });
    expect(neighboursForPerplexity(15, 10_000)).toBe(46);
    expect(neighboursForPerplexity(15, 20)).toBe(19);
  });

  it('separates well-separated Gaussian blobs (every method) and is deterministic for a seed', () => {
    const { data, labels } = blobs(240, 8, 4, 12, mulberry32(12));
    const embeddings: Float32Array[] = [];
    for (const method of ['exact', 'barnes-hut', 'fft'] as const) {
      const tsne = new Tsne({ method, iterations: 400, perplexity: 10 });
      tsne.initialize(data, 240, 8);
      while (!tsne.done) tsne.step();
      expect(tsne.iteration).toBe(400);
      const emb = tsne.embedding();
      embeddings.push(emb);
      expect(knnAccuracy(emb, 2, 240, labels, 10)).toBe(1);
      // Blob centroids lie far apart compared with each blob's spread.
      const cx = new Float64Array(4);
      const cy = new Float64Array(4);
      for (let i = 0; i < 240; i++) {
        cx[labels[i]] += emb[2 * i] / 60;
        cy[labels[i]] += emb[2 * i + 1] / 60;
      }
      let spread = 0;
      for (let i = 0; i < 240; i++) spread = Math.max(spread, Math.hypot(emb[2 * i] - cx[labels[i]], emb[2 * i + 1] - cy[labels[i]]));
      for (let a = 0; a < 4; a++) {
        for (let b = a + 1; b < 4; b++) expect(Math.hypot(cx[a] - cx[b], cy[a] - cy[b])).toBeGreaterThan(2 * spread);
      }
    }
    const again = new Tsne({ method: 'fft', iterations: 400, perplexity: 10 });
    again.initialize(data, 240, 8);
    while (!again.done) again.step();
    expect(Array.from(again.embedding())).toEqual(Array.from(embeddings[2]));
  });

  it('FFT and exact repulsion give maps of the same quality', () => {
    const { data } = blobs(300, 10, 3, 4, mulberry32(13));
    const exactP = exactAffinities(data, 300, 10, 15);
    // One run's KL is a draw from a spread of local minima: over 24 seeds the FFT maps measured
    // 0.911 ± 0.016 (and mere rounding changes, such as a new summation order, move a run within
    // that spread), the exact ones ~0.89. So the methods are compared on means over seeds; the
    // failure this guards against (maps shrunk by a too-weak near repulsion) costs ~20%.
    const meanKl = (method: 'exact' | 'fft'): number => {
      const seeds = [0, 1, 2, 3, 4, 5];
      let sum = 0;
      for (const seed of seeds) {
        const tsne = new Tsne({ method, iterations: 500, seed });
        tsne.initialize(data, 300, 10);
        while (!tsne.done) tsne.step();
        sum += exactKl(exactP, tsne.embedding());
      }
      return sum / seeds.length;
    };
    const exact = meanKl('exact');
    expect(Math.abs(meanKl('fft') - exact)).toBeLessThan(0.05 * exact);
  });
});

describe('runTsne', () => {
  it('reports phases, sends frames, and stops when asked, keeping the map so far', async () => {
    const { data } = blobs(150, 5, 3, 8, mulberry32(14));
    const phases = new Set<string>();
    const frames: number[] = [];
    let last: TsneProgress | null = null;
    const result = await runTsne(data, 150, 5, { iterations: 100 }, {
      frameEvery: 25,
      chunkMs: 1,
      onProgress: (p) => {
        phases.add(p.phase);
        last = p;
      },
      onFrame: (emb, iteration) => {
        expect(emb.length).toBe(300);
        frames.push(iteration);
      },
    });
    expect([...phases]).toEqual(['knn', 'affinities', 'optimise']);
    expect(frames).toEqual([25, 50, 75, 100]);
    expect(result.iterations).toBe(100);
    expect(result.stopped).toBe(false);
    expect(last).toMatchObject({ phase: 'optimise', iteration: 100, fraction: 1 });

    let polls = 0;
    const stopped = await runTsne(data, 150, 5, { iterations: 1000 }, { chunkMs: 1, shouldStop: () => ++polls > 3 });
    expect(stopped.stopped).toBe(true);
    expect(stopped.iterations).toBeGreaterThan(0);
    expect(stopped.iterations).toBeLessThan(1000);
    expect(stopped.embedding.every(Number.isFinite)).toBe(true);
  });
});

describe('reference latents (first 2,000 rows of the CNN-ELU training latents)', () => {
  it('reaches scikit-learn-level trustworthiness and 10-NN accuracy', () => {
    const n = 2000;
    const d = REFERENCE_DIM;
    const { data, digits: labels } = loadReferenceLatents(n);
    const tsne = new Tsne();
    tsne.initialize(data, n, d);
    while (!tsne.done) tsne.step();
    const emb = tsne.embedding();
    // Measured at 2,000 (seeds 0–2): T ≈ 0.976 and 10-NN ≈ 0.893–0.896 for FFT, 0.898 for
    // Barnes–Hut; 10-NN in the 64-d latent space itself is 0.902. scikit-learn 1.2 on these same rows
    // (TSNE perplexity 15, learning rate 100, 1,000 iterations, PCA init, Barnes–Hut, seeds 0–2): T 0.9756–0.9762,
    // 10-NN 0.8965–0.901 — the 2-D map keeps the labels' neighbourhoods, within 0.006 of the 64-d figure.
    expect(trustworthiness(data, d, emb, 2, n, 10)).toBeGreaterThan(0.97);
    const latentAccuracy = knnAccuracy(data, d, n, labels, 10);
    expect(knnAccuracy(emb, 2, n, labels, 10)).toBeGreaterThan(latentAccuracy - 0.02);
  });
});
