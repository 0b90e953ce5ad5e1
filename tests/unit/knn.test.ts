import { describe, expect, it } from 'vitest';
import {
  approximateKnn,
  exactKnn,
  exactKnn2d,
  exactKnnOfRows,
  knnGraph,
  knnRecall,
  type KnnGraph,
} from '../../src/analysis/knn';
import { gaussian, mulberry32 } from '../../src/analysis/rng';

/** Brute-force neighbours by sorting each row: the slow reference. */
function naive(data: Float32Array, n: number, d: number, k: number): { indices: number[][]; distances: number[][] } {
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += (data[i * d + t] - data[j * d + t]) ** 2;
      row.push([s, j]);
    }
    row.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    indices.push(row.slice(0, k).map((e) => e[1]));
    distances.push(row.slice(0, k).map((e) => e[0]));
  }
  return { indices, distances };
}

function expectMatches(graph: KnnGraph, ref: { indices: number[][]; distances: number[][] }): void {
  for (let i = 0; i < graph.n; i++) {
    const row = Array.from(graph.indices.subarray(i * graph.k, (i + 1) * graph.k));
    const dist = Array.from(graph.distances.subarray(i * graph.k, (i + 1) * graph.k));
    for (let s = 0; s < graph.k; s++) expect(dist[s]).toBeCloseTo(ref.distances[i][s], 4);
    // Indices agree except where distances tie.
    expect(new Set(row)).toEqual(new Set(ref.indices[i]));
  }
}

describe('exactKnn', () => {
  it('matches sorting every row, for odd sizes that exercise the tile edges', () => {
    const rng = mulberry32(1);
    for (const [n, d, k] of [
      [2, 1, 1],
      [37, 3, 5],
      [161, 7, 12],
      [300, 64, 46],
    ]) {
      const data = Float32Array.from({ length: n * d }, () => gaussian(rng));
      expectMatches(exactKnn(data, n, d, k), naive(data, n, d, k));
    }
  });

  it('excludes the point itself even among duplicates, and rejects bad k', () => {
    const data = new Float32Array([0, 0, 0, 0, 1, 1, 5, 5]);
    const g = exactKnn(data, 4, 2, 2);
    for (let i = 0; i < 4; i++) expect(Array.from(g.indices.subarray(2 * i, 2 * i + 2))).not.toContain(i);
    expect(g.distances[0]).toBe(0);
    expect(() => exactKnn(data, 4, 2, 4)).toThrow();
  });
});

describe('exactKnn2d', () => {
  it('agrees with brute force on uniform, clustered and duplicated points', () => {
    const rng = mulberry32(2);
    const n = 500;
    const layouts: Float32Array[] = [
      Float32Array.from({ length: 2 * n }, () => rng() * 100),
      Float32Array.from({ length: 2 * n }, (_, e) => gaussian(rng) * (e % 4 < 2 ? 0.01 : 30) + (e % 3) * 50),
      Float32Array.from({ length: 2 * n }, (_, e) => Math.floor(e / 20)),
    ];
    for (const points of layouts) {
      const grid = exactKnn2d(points, n, 15);
      const ref = naive(points, n, 2, 15);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < 15; s++) expect(grid.distances[i * 15 + s]).toBeCloseTo(ref.distances[i][s], 3);
      }
    }
  });
});

describe('approximateKnn', () => {
  it('finds ≥ 97% of the true neighbours of clustered 16-d data, deterministically per seed', () => {
    const rng = mulberry32(3);
    const n = 4000;
    const d = 16;
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) data[i * d + t] = gaussian(rng) + (i % 10 === t ? 6 : 0);
    const k = 20;
    const approx = approximateKnn(data, n, d, k, mulberry32(4));
    const rows = Int32Array.from({ length: 200 }, (_, r) => r * 20);
    expect(knnRecall(approx, exactKnnOfRows(data, n, d, k, rows), k, rows)).toBeGreaterThan(0.97);
    const again = approximateKnn(data, n, d, k, mulberry32(4));
    expect(Array.from(again.indices)).toEqual(Array.from(approx.indices));
    // Rows are sorted and exclude the point itself.
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        expect(approx.indices[i * k + s]).not.toBe(i);
        if (s > 0) expect(approx.distances[i * k + s]).toBeGreaterThanOrEqual(approx.distances[i * k + s - 1]);
      }
    }
  });

  it('knnGraph is exact for small inputs', () => {
    const rng = mulberry32(5);
    const data = Float32Array.from({ length: 200 * 4 }, () => gaussian(rng));
    expect(Array.from(knnGraph(data, 200, 4, 6, rng).indices)).toEqual(Array.from(exactKnn(data, 200, 4, 6).indices));
  });
});

describe('approximateKnn on awkward sizes', () => {
  it('always returns k real neighbours, even when k is close to n', () => {
    const rng = mulberry32(6);
    for (const [n, k] of [
      [10, 9],
      [70, 46],
      [300, 46],
    ]) {
      const data = Float32Array.from({ length: n * 3 }, () => gaussian(rng));
      const g = approximateKnn(data, n, 3, k, mulberry32(n), { trees: 2, leafSize: 8, maxIterations: 2, maxCandidates: 4, delta: 0.5 });
      for (let e = 0; e < n * k; e++) {
        expect(g.indices[e]).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(g.distances[e])).toBe(true);
      }
    }
  });
});
