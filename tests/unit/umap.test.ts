import { describe, expect, it } from 'vitest';
import { knnAccuracy } from '../../src/analysis/quality';
import { gaussian, mulberry32 } from '../../src/analysis/rng';
import { fitCurve, fuzzyGraph, runUmap, smoothKnnDistances, Umap, umapEpochs } from '../../src/analysis/umap';

/** Three well-separated Gaussian blobs in 10-d (σ 1, centres 10 apart), 100 points each. */
function blobs(seed = 1): { data: Float32Array; labels: Uint8Array; n: number; d: number } {
  const rng = mulberry32(seed);
  const n = 300;
  const d = 10;
  const data = new Float32Array(n * d);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let t = 0; t < d; t++) data[i * d + t] = (t === label ? 10 : 0) + gaussian(rng);
  }
  return { data, labels, n, d };
}

describe('UMAP building blocks', () => {
  it('calibrates ρ and σ like umap-learn on a hand-computed row', () => {
    // Neighbourhood of 4 (the point + 3 others) at distances 1, 2, 3: ρ = 1 and σ solves
    // 1 + exp(−1/σ) + exp(−2/σ) = log2(4) = 2, i.e. with q = exp(−1/σ): q² + q − 1 = 0, q = (√5 − 1)/2.
    const { rho, sigma } = smoothKnnDistances(Float32Array.of(1, 2, 3), 1, 3);
    expect(rho[0]).toBe(1);
    expect(sigma[0]).toBeCloseTo(-1 / Math.log((Math.sqrt(5) - 1) / 2), 4);
    // A point with duplicates: ρ is the first non-zero distance.
    const dup = smoothKnnDistances(Float32Array.of(0, 0.5, 2), 1, 3);
    expect(dup.rho[0]).toBe(0.5);
    // All neighbours at the same distance: every membership is 1 whatever σ, so σ hits its floor or search end, and stays finite.
    const flat = smoothKnnDistances(Float32Array.of(1, 1, 1), 1, 3);
    expect(Number.isFinite(flat.sigma[0]) && flat.sigma[0] > 0).toBe(true);
  });

  it('symmetrises by fuzzy union a + aᵀ − a·aᵀ, both directions listed', () => {
    // Two points, each the other's only neighbour (membership 1 both ways), and a third that points at 0 only.
    const indices = Int32Array.of(1, 0, 0);
    const distances = Float32Array.of(1, 1, 2);
    const graph = fuzzyGraph(indices, distances, 3, 1);
    const edges = new Map<string, number>();
    for (let e = 0; e < graph.head.length; e++) edges.set(`${graph.head[e]}-${graph.tail[e]}`, graph.weight[e]);
    expect(edges.get('0-1')).toBe(1);
    expect(edges.get('1-0')).toBe(1);
    // 2 → 0 has membership 1 (its nearest), 0 → 2 none: union 1, listed both ways.
    expect(edges.get('2-0')).toBe(1);
    expect(edges.get('0-2')).toBe(1);
    expect(graph.head.length).toBe(4);
    // Mutual neighbours whose memberships underflow to 0 are still one pair, listed once each way.
    const faint = fuzzyGraph(Int32Array.of(1, 0), Float32Array.of(1, 1), 2, 1, { rho: Float64Array.of(0, 0), sigma: Float64Array.of(1e-3, 1e-3) });
    expect(Array.from(faint.head)).toEqual([0, 1]);
    expect(Array.from(faint.tail)).toEqual([1, 0]);
    expect(Array.from(faint.weight)).toEqual([0, 0]);
  });

  it('fits a and b to min_dist 0.1, spread 1 as umap-learn does (a ≈ 1.577, b ≈ 0.895)', () => {
    const { a, b } = fitCurve(0.1, 1);
    expect(a).toBeCloseTo(1.577, 2);
    expect(b).toBeCloseTo(0.895, 2);
    // min_dist 0.5: umap-learn's find_ab_params gives a ≈ 0.583, b ≈ 1.334.
    const wide = fitCurve(0.5, 1);
    expect(wide.a).toBeCloseTo(0.583, 2);
    expect(wide.b).toBeCloseTo(1.334, 2);
    const edge = fitCurve(1, 1);
    expect(Number.isFinite(edge.a) && Number.isFinite(edge.b) && edge.a > 0 && edge.b > 0).toBe(true);
  });

  it('runs umap-learn’s epoch counts', () => {
    expect(umapEpochs(9_999, null)).toBe(500);
    expect(umapEpochs(10_000, null)).toBe(200);
    expect(umapEpochs(60_000, 50)).toBe(50);
  });
});

describe('UMAP map', () => {
  it('separates three Gaussian blobs: 10-NN accuracy ≥ 0.95 in 2-D, no NaN', async () => {
    const { data, labels, n, d } = blobs();
    const result = await runUmap(data, n, d, { seed: 3, epochs: 200 });
    expect(result.stopped).toBe(false);
    expect(result.epochs).toBe(200);
    expect(result.embedding.every(Number.isFinite)).toBe(true);
    expect(knnAccuracy(result.embedding, 2, n, labels, 10)).toBeGreaterThanOrEqual(0.95);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const { data, n, d } = blobs(2);
    const one = await runUmap(data, n, d, { seed: 5, epochs: 30 });
    const two = await runUmap(data, n, d, { seed: 5, epochs: 30 });
    const other = await runUmap(data, n, d, { seed: 6, epochs: 30 });
    expect(Array.from(two.embedding)).toEqual(Array.from(one.embedding));
    expect(Array.from(other.embedding)).not.toEqual(Array.from(one.embedding));
  });

  it('stops when asked, keeping the map so far, and reports frames and phases', async () => {
    const { data, n, d } = blobs(4);
    const phases = new Set<string>();
    let frames = 0;
    let polls = 0;
    const result = await runUmap(data, n, d, { epochs: 500 }, {
      chunkMs: 0,
      onFrame: (embedding) => {
        frames++;
        expect(embedding.length).toBe(2 * n);
      },
      onProgress: (progress) => phases.add(progress.phase),
      // Allow a few chunks, then stop.
      shouldStop: () => ++polls > 4,
    });
    expect(result.stopped).toBe(true);
    expect(result.epochs).toBeGreaterThan(0);
    expect(result.epochs).toBeLessThan(500);
    expect(result.embedding.every(Number.isFinite)).toBe(true);
    expect(frames).toBeGreaterThan(0);
    expect([...phases]).toEqual(['knn', 'graph', 'optimise']);
  });

  it('refuses impossible settings and data', () => {
    expect(() => new Umap({ nNeighbors: 1 })).toThrow(/nNeighbors/);
    expect(() => new Umap({ minDist: 2 })).toThrow(/minDist/);
    expect(() => new Umap({ epochs: 0 })).toThrow(/epochs/);
    expect(() => new Umap().initialize(new Float32Array(4), 2, 2)).toThrow(/three points/);
    expect(() => new Umap().step()).toThrow(/before initialize/);
  });
});
