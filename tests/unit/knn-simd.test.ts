import { describe, expect, it } from 'vitest';
import { approximateKnn, EXACT_KNN_MAX_POINTS, exactKnn, exactKnnOfRows, knnDiagnostics, knnRecall, type KnnGraph } from '../../src/analysis/knn';
import { gaussian, mulberry32 } from '../../src/analysis/rng';
import { heapStride, KnnSimd, knnSimdModuleBytes, knnSimdSupported, paddedWidth, wasmSimdValidates } from '../../src/analysis/wasm/knn-simd';

/**
 * The WebAssembly SIMD kernels of the kNN graphs against slow references. The exact search must give
 * the float64 brute force's neighbour sets (ties apart) and its distances; the kernels are checked one
 * by one on small data with known answers; NN-descent on the kernels must keep the JavaScript's recall.
 */

/** Every row's neighbours by sorting all float64 distances (difference form): the slow reference. */
function naive(data: Float32Array, n: number, d: number, k: number): { indices: number[][]; distances: number[][]; next: number[] } {
  const indices: number[][] = [];
  const distances: number[][] = [];
  const next: number[] = [];
  for (let i = 0; i < n; i++) {
    const row: [number, number][] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = data[i * d + t] - data[j * d + t];
        s += diff * diff;
      }
      row.push([s, j]);
    }
    row.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    indices.push(row.slice(0, k).map((e) => e[1]));
    distances.push(row.slice(0, k).map((e) => e[0]));
    next.push(k < row.length ? row[k][0] : Infinity);
  }
  return { indices, distances, next };
}

/**
 * The graph is the exact one: distances equal the reference's (both float64 in the same order, rounded
 * to float32), each listed neighbour really lies at its listed distance, and the sets agree wherever the
 * k-th distance is not tied with the next.
 */
function expectExact(graph: KnnGraph, data: Float32Array, d: number, ref: ReturnType<typeof naive>): void {
  const { n, k } = graph;
  for (let i = 0; i < n; i++) {
    const row = Array.from(graph.indices.subarray(i * k, (i + 1) * k));
    const dist = Array.from(graph.distances.subarray(i * k, (i + 1) * k));
    expect(dist).toEqual(ref.distances[i].map((v) => Math.fround(v)));
    expect(new Set(row).size).toBe(k);
    expect(row).not.toContain(i);
    for (let s = 0; s < k; s++) {
      let own = 0;
      for (let t = 0; t < d; t++) own += (data[i * d + t] - data[row[s] * d + t]) ** 2;
      expect(Math.fround(own)).toBe(dist[s]);
    }
    if (ref.distances[i][k - 1] < ref.next[i]) expect(new Set(row)).toEqual(new Set(ref.indices[i]));
  }
}

describe('kNN SIMD kernels: availability', () => {
  it('run in this Node (else every comparison below would test the JavaScript against itself)', () => {
    expect(knnSimdSupported()).toBe(true);
    expect(wasmSimdValidates()).toBe(true);
    expect(EXACT_KNN_MAX_POINTS).toBe(20_000);
    for (const dp of [4, 8, 12, 64, 68]) expect(WebAssembly.validate(knnSimdModuleBytes(dp))).toBe(true);
    expect(() => knnSimdModuleBytes(6)).toThrow();
    expect(paddedWidth(7)).toBe(8);
    expect(heapStride(4)).toBe(8);
    expect(heapStride(46)).toBe(48);
  });
});

describe('exactKnn on the SIMD kernels', () => {
  // Odd n (not a multiple of the 4-row blocks, the 8-row panels or the 256-point local blocks), d not a
  // multiple of 4, k = n − 1, and sizes across several local and cache blocks.
  const shapes: [number, number, number][] = [
    [2, 1, 1],
    [9, 3, 8],
    [37, 3, 5],
    [50, 5, 49],
    [161, 7, 12],
    [300, 64, 46],
    [523, 13, 30],
    [1003, 16, 10],
    [2100, 6, 15],
  ];
  for (const [n, d, k] of shapes) {
    it(`equals the float64 brute force and the JavaScript path (n ${n}, d ${d}, k ${k})`, () => {
      const rng = mulberry32(n * 31 + d);
      const data = Float32Array.from({ length: n * d }, () => gaussian(rng) * (1 + (n % 3)));
      const simd = exactKnn(data, n, d, k);
      expect(knnDiagnostics.exactBackend).toBe('wasm');
      const ref = naive(data, n, d, k);
      expectExact(simd, data, d, ref);
      const js = exactKnn(data, n, d, k, undefined, 'js');
      expect(knnDiagnostics.exactBackend).toBe('js');
      for (let i = 0; i < n; i++) {
        if (ref.distances[i][k - 1] < ref.next[i]) {
          expect(new Set(simd.indices.subarray(i * k, (i + 1) * k))).toEqual(new Set(js.indices.subarray(i * k, (i + 1) * k)));
        }
      }
    });
  }

  it('stays exact far from the origin, where float32 norms lose most digits', () => {
    const rng = mulberry32(11);
    const n = 700;
    const d = 8;
    // Norms ~ 10⁶ against neighbour distances ~ 1: the float32 screen's error is of the order of the gaps.
    const data = Float32Array.from({ length: n * d }, (_, e) => (e % d === 0 ? 1000 : 0) + gaussian(rng) * 0.3);
    expectExact(exactKnn(data, n, d, 12), data, d, naive(data, n, d, 12));
    expect(knnDiagnostics.rowsConfirmed + knnDiagnostics.rowsSearchedAgain).toBe(n);
  });

  it('searches tied rows again in float64 and still returns the exact distances (integer grid, duplicates)', () => {
    const n = 400;
    const d = 3;
    // A 7 × 7 × 8 grid with every point twice: distances tie everywhere, so the float32 screen cannot
    // separate the k-th from the next and those rows take the float64 brute force.
    const data = Float32Array.from({ length: n * d }, (_, e) => {
      const i = Math.floor(e / d) % 200;
      return [i % 7, Math.floor(i / 7) % 7, Math.floor(i / 49)][e % d];
    });
    const graph = exactKnn(data, n, d, 10);
    expect(knnDiagnostics.exactBackend).toBe('wasm');
    expect(knnDiagnostics.rowsSearchedAgain).toBeGreaterThan(0);
    expectExact(graph, data, d, naive(data, n, d, 10));
  });

  it('leaves non-finite data to the JavaScript path', () => {
    const rng = mulberry32(12);
    const data = Float32Array.from({ length: 40 * 3 }, () => gaussian(rng));
    data[7] = Infinity;
    exactKnn(data, 40, 3, 5);
    expect(knnDiagnostics.exactBackend).toBe('js');
  });
});

describe('kNN SIMD kernels one by one', () => {
  function instance(mode: 'exact' | 'descent', n: number, d: number, k: number, maxC = 0, seed = 1): { simd: KnnSimd; data: Float32Array } {
    const rng = mulberry32(seed);
    const data = Float32Array.from({ length: n * d }, () => gaussian(rng));
    const simd = KnnSimd.create(mode, n, d, k, maxC);
    if (simd === null) throw new Error('no SIMD');
    for (let i = 0; i < n; i++) simd.setRow(i, data, i);
    return { simd, data };
  }

  /** Row i's heap as sorted [key, index] pairs, checking the max-heap order and the root copy. */
  function heapRow(simd: KnnSimd, i: number): [number, number][] {
    const { keys, idx, root } = simd.buffers;
    const base = i * simd.stride;
    for (let s = 1; s < simd.k; s++) expect(keys[base + Math.floor((s - 1) / 2)]).toBeGreaterThanOrEqual(keys[base + s]);
    expect(keys[base + simd.k]).toBe(-Infinity);
    expect(idx[base + simd.k]).toBe(-1);
    expect(root[i]).toBe(keys[base]);
    const row: [number, number][] = [];
    for (let s = 0; s < simd.k; s++) row.push([keys[base + s], idx[base + s]]);
    return row.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  it('dist2 is Σ(x − y)² to float32 accuracy, for d with and without leftover features', () => {
    for (const d of [1, 4, 7, 64, 66]) {
      const { simd, data } = instance('descent', 20, d, 3, 2, d);
      for (let a = 0; a < 20; a++) {
        for (let b = 0; b < 20; b++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += (data[a * d + t] - data[b * d + t]) ** 2;
          expect(simd.kernels.dist2(a, b)).toBeCloseTo(s, 4);
          expect(simd.kernels.dist2(a, b)).toBe(simd.kernels.dist2(b, a));
        }
      }
    }
  });

  it('project gives the normal’s dot products in perm order', () => {
    const d = 9;
    const { simd, data } = instance('descent', 30, d, 3, 2, 5);
    const { normal, perm, proj } = simd.buffers;
    for (let t = 0; t < d; t++) normal[t] = t - 4;
    for (let s = 0; s < 30; s++) perm[s] = (s * 7) % 30;
    simd.kernels.project(3, 27);
    for (let s = 3; s < 27; s++) {
      let v = 0;
      for (let t = 0; t < d; t++) v += normal[t] * data[perm[s] * d + t];
      expect(proj[s]).toBeCloseTo(v, 4);
    }
  });

  it('push keeps the k smallest offers per row (exact mode, no duplicate check)', () => {
    const k = 7;
    const { simd } = instance('exact', 12, 4, k);
    const rng = mulberry32(3);
    const offered: [number, number][][] = Array.from({ length: 12 }, () => []);
    for (let e = 0; e < 400; e++) {
      const i = Math.floor(rng() * 12);
      const key = Math.fround(rng() * 100);
      // Offers are screened by the caller (the tile kernel), as here.
      if (key < simd.buffers.root[i]) simd.kernels.push(i, e, key);
      offered[i].push([key, e]);
    }
    for (let i = 0; i < 12; i++) {
      const best = offered[i].sort((a, b) => a[0] - b[0]).slice(0, k);
      expect(heapRow(simd, i).map((e) => e[1]).sort((a, b) => a - b)).toEqual(best.map((e) => e[1]).sort((a, b) => a - b));
    }
  });

  it('pushChecked skips duplicates, keeps the k smallest, and flags entries new', () => {
    const k = 8;
    const { simd } = instance('descent', 10, 4, k, 4);
    const rng = mulberry32(4);
    const best = new Map<number, Map<number, number>>();
    let inserted = 0;
    for (let e = 0; e < 600; e++) {
      const i = Math.floor(rng() * 10);
      const j = Math.floor(rng() * 40);
      const key = Math.fround(j * 0.5 + 1); // A given j always comes with the same key, as a distance would.
      const row = best.get(i) ?? new Map<number, number>();
      best.set(i, row);
      const wasIn = heapRow(simd, i).some((entry) => entry[1] === j);
      const ok = simd.kernels.pushChecked(i, j, key);
      if (ok) inserted++;
      if (wasIn) expect(ok).toBe(0);
      row.set(j, key);
    }
    expect(inserted).toBeGreaterThan(0);
    for (const [i, row] of best) {
      const want = [...row.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, k);
      const got = heapRow(simd, i).filter((e) => e[1] >= 0);
      expect(got.map((e) => e[0])).toEqual(want.map((e) => e[1]));
      for (let s = 0; s < k; s++) if (simd.buffers.idx[i * simd.stride + s] >= 0) expect(simd.buffers.flags[i * simd.stride + s]).toBe(1);
    }
  });

  it('sample draws distinct candidates from the offered neighbours in both directions, and clearSampled ages them', () => {
    const n = 60;
    const k = 6;
    const maxC = 5;
    const { simd } = instance('descent', n, 3, k, maxC);
    const rng = mulberry32(9);
    const { idx, flags, newCand, oldCand } = simd.buffers;
    // A random graph with random new/old flags.
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        simd.kernels.pushChecked(i, (i + 1 + Math.floor(rng() * (n - 1))) % n, Math.fround(rng()));
      }
      for (let s = 0; s < k; s++) flags[i * simd.stride + s] = rng() < 0.5 ? 1 : 0;
    }
    const offeredNew = Array.from({ length: n }, () => new Set<number>());
    const offeredOld = Array.from({ length: n }, () => new Set<number>());
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        const j = idx[i * simd.stride + s];
        if (j < 0) continue;
        const sets = flags[i * simd.stride + s] ? offeredNew : offeredOld;
        sets[i].add(j);
        sets[j].add(i);
      }
    }
    const flagsBefore = flags.slice();
    simd.kernels.sample(12345);
    const cstride = heapStride(maxC);
    for (const [cand, offered] of [
      [newCand, offeredNew],
      [oldCand, offeredOld],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const got = Array.from(cand.subarray(i * cstride, i * cstride + maxC)).filter((j) => j >= 0);
        expect(new Set(got).size).toBe(got.length);
        expect(got.length).toBe(Math.min(maxC, offered[i].size));
        for (const j of got) expect(offered[i].has(j)).toBe(true);
        for (let c = maxC; c < cstride; c++) expect(cand[i * cstride + c]).toBe(-1);
      }
    }
    simd.kernels.clearSampled();
    for (let i = 0; i < n; i++) {
      const sampled = new Set(Array.from(newCand.subarray(i * cstride, i * cstride + maxC)));
      for (let s = 0; s < k; s++) {
        const e = i * simd.stride + s;
        // (Empty slots, index −1, mean nothing either way.)
        if (idx[e] >= 0) expect(flags[e]).toBe(flagsBefore[e] && !sampled.has(idx[e]) ? 1 : 0);
      }
    }
    // The same seed draws the same sample from the same flags.
    const first = newCand.slice();
    flags.set(flagsBefore);
    simd.kernels.sample(12345);
    expect(Array.from(newCand)).toEqual(Array.from(first));
  });

  it('leafPairs and localJoin offer exactly the pairs they should', () => {
    const n = 40;
    const k = 5;
    const maxC = 4;
    const { simd } = instance('descent', n, 5, k, maxC, 21);
    const { perm, newCand, oldCand } = simd.buffers;
    const cstride = heapStride(maxC);
    for (let s = 0; s < n; s++) perm[s] = n - 1 - s;
    simd.kernels.leafPairs(10, 16);
    // Points perm[10…15] = 29…24 each hold the k = 5 others of the leaf, nobody else anything.
    for (let i = 0; i < n; i++) {
      const got = heapRow(simd, i)
        .filter((e) => e[1] >= 0)
        .map((e) => e[1])
        .sort((a, b) => a - b);
      const want = i >= 24 && i <= 29 ? [24, 25, 26, 27, 28, 29].filter((j) => j !== i) : [];
      expect(got).toEqual(want);
    }
    newCand.fill(-1);
    oldCand.fill(-1);
    // Point 0: new {1, 2}, old {3}: pairs 1–2, 1–3, 2–3 measured; 3's own row gains 1 and 2.
    newCand.set([1, 2], 0);
    oldCand.set([3], 0);
    const updates = simd.kernels.localJoin(0, n);
    expect(updates).toBe(6);
    for (const [i, want] of [
      [1, [2, 3]],
      [2, [1, 3]],
      [3, [1, 2]],
    ] as const) {
      expect(
        heapRow(simd, i)
          .filter((e) => e[1] >= 0)
          .map((e) => e[1])
          .sort((a, b) => a - b),
      ).toEqual(want);
    }
    expect(newCand.length).toBe(n * cstride);
  });
});

describe('approximateKnn on the SIMD kernels', () => {
  it('keeps the JavaScript path’s recall on clustered data, deterministically per seed', () => {
    const rng = mulberry32(3);
    const n = 4000;
    const d = 16;
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) data[i * d + t] = gaussian(rng) + (i % 10 === t ? 6 : 0);
    const k = 20;
    const rows = Int32Array.from({ length: 200 }, (_, r) => r * 20);
    const truth = exactKnnOfRows(data, n, d, k, rows);
    const simd = approximateKnn(data, n, d, k, mulberry32(4));
    expect(knnDiagnostics.approximateBackend).toBe('wasm');
    const js = approximateKnn(data, n, d, k, mulberry32(4), undefined, undefined, 'js');
    expect(knnDiagnostics.approximateBackend).toBe('js');
    const recallSimd = knnRecall(simd, truth, k, rows);
    expect(recallSimd).toBeGreaterThan(0.97);
    expect(recallSimd).toBeGreaterThanOrEqual(knnRecall(js, truth, k, rows) - 0.01);
    const again = approximateKnn(data, n, d, k, mulberry32(4));
    expect(Array.from(again.indices)).toEqual(Array.from(simd.indices));
    expect(Array.from(again.distances)).toEqual(Array.from(simd.distances));
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        const j = simd.indices[i * k + s];
        expect(j).not.toBe(i);
        let own = 0;
        for (let t = 0; t < d; t++) own += (data[i * d + t] - data[j * d + t]) ** 2;
        expect(simd.distances[i * k + s]).toBeCloseTo(own, 3);
        if (s > 0) expect(simd.distances[i * k + s]).toBeGreaterThanOrEqual(simd.distances[i * k + s - 1]);
      }
    }
  });

  it('returns k distinct real neighbours on awkward sizes (k close to n, odd d)', () => {
    const rng = mulberry32(6);
    for (const [n, d, k] of [
      [10, 3, 9],
      [70, 5, 46],
      [301, 7, 46],
    ]) {
      const data = Float32Array.from({ length: n * d }, () => gaussian(rng));
      const g = approximateKnn(data, n, d, k, mulberry32(n), { trees: 2, leafSize: 8, maxIterations: 2, maxCandidates: 4, delta: 0.5 });
      expect(knnDiagnostics.approximateBackend).toBe('wasm');
      for (let i = 0; i < n; i++) {
        const row = Array.from(g.indices.subarray(i * k, (i + 1) * k));
        expect(new Set(row).size).toBe(k);
        expect(row).not.toContain(i);
        for (const j of row) expect(j >= 0 && j < n).toBe(true);
      }
    }
  });
});
