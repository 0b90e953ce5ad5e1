import { describe, expect, it } from 'vitest';
import { KMeans, kmeans, kmeansFromCentroids, kmeansPlusPlus, kmeansPlusPlusTrials, type KMeansBackend, type KMeansResult, SeedBuffers, seedPlusPlus } from '../../src/analysis/kmeans';
import { LloydWorkspace } from '../../src/analysis/kmeans-workspace';
import { kmeansSimdModuleBytes, kmeansSimdSupported } from '../../src/analysis/wasm/kmeans-simd';
import { gaussian, mulberry32 } from '../../src/analysis/rng';

/**
 * The WebAssembly SIMD kernels promise the JavaScript loops' results bit for bit (same sums in the same
 * order, same decisions), so these tests compare with toBe/toEqual, not with a tolerance: any slip in a
 * kernel — a bound read from the wrong centre, a sum in another order — shows as a different label,
 * iteration count or inertia somewhere in a fit of a few hundred iterations.
 */

/** Overlapping Gaussian blobs (labels keep changing for many iterations), row-major. */
function blobs(n: number, d: number, k: number, sep: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: k * d }, () => sep * gaussian(rng));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * k);
    for (let t = 0; t < d; t++) data[i * d + t] = centres[c * d + t] + gaussian(rng);
  }
  return data;
}

function expectSame(wasm: KMeansResult, js: KMeansResult): void {
  expect(wasm.iterations).toBe(js.iterations);
  expect(wasm.bestInit).toBe(js.bestInit);
  expect(wasm.inertia).toBe(js.inertia);
  expect(Array.from(wasm.labels)).toEqual(Array.from(js.labels));
  expect(Array.from(wasm.centroids)).toEqual(Array.from(js.centroids));
}

function fit(data: ArrayLike<number>, n: number, d: number, k: number, seed: number, backend: KMeansBackend): KMeansResult {
  return kmeans(data, n, d, { k, nInit: 2, seed }, undefined, backend);
}

describe('WebAssembly SIMD k-means kernels', () => {
  it('are available in this Node (the other tests would otherwise compare JavaScript with itself)', () => {
    expect(kmeansSimdSupported()).toBe(true);
    const km = new KMeans({ k: 2, nInit: 1 });
    km.initialize(Float32Array.from([0, 1, 2, 3]), 4, 1);
    expect(km.backendInUse).toBe('wasm');
    const js = new KMeans({ k: 2, nInit: 1 }, undefined, 'js');
    js.initialize(Float32Array.from([0, 1, 2, 3]), 4, 1);
    expect(js.backendInUse).toBe('js');
    for (const rowType of ['f32', 'f64'] as const) {
      expect(WebAssembly.validate(kmeansSimdModuleBytes({ rowType, d: 7, k: 3 }))).toBe(true);
    }
  });

  // Shapes that reach every branch of the generated code: D a multiple of the dot product's step, D
  // with leftover quads and leftover features, D below one quad; odd and even K, K above the unrolled
  // limit, K = 1; N not a multiple of the row groups.
  const shapes: { n: number; d: number; k: number; sep: number }[] = [
    { n: 1501, d: 64, k: 10, sep: 1.2 },
    { n: 1203, d: 7, k: 5, sep: 1.5 },
    { n: 998, d: 3, k: 9, sep: 1.0 },
    { n: 640, d: 1, k: 4, sep: 2.0 },
    { n: 777, d: 23, k: 2, sep: 0.8 },
    { n: 600, d: 5, k: 70, sep: 1.5 },
    { n: 301, d: 6, k: 1, sep: 1.0 },
    // More rows than one kernel call takes (the calls go in chunks of rows).
    { n: 9001, d: 4, k: 6, sep: 1.0 },
  ];
  for (const { n, d, k, sep } of shapes) {
    it(`give the JavaScript's fit exactly for float32 rows (n ${n}, d ${d}, k ${k})`, () => {
      const data = blobs(n, d, k, sep, n + d + k);
      for (const seed of [1, 2]) expectSame(fit(data, n, d, k, seed, 'wasm'), fit(data, n, d, k, seed, 'js'));
    });
  }

  it('give the JavaScript’s fit exactly for float64 rows that float32 cannot hold', () => {
    for (const { n, d, k } of [{ n: 1001, d: 21, k: 6 }, { n: 500, d: 5, k: 3 }]) {
      const f32 = blobs(n, d, k, 1.2, 7 * n);
      // Perturb below float32 resolution, so the float32 kernel would round these rows.
      const data = Float64Array.from(f32, (v, i) => v + (i % 3) * 1e-9);
      expect(data.some((v) => Math.fround(v) !== v)).toBe(true);
      expectSame(fit(data, n, d, k, 3, 'wasm'), fit(data, n, d, k, 3, 'js'));
    }
  });

  it('take plain arrays of float32-exact numbers on the float32 kernel with the same result', () => {
    const n = 400;
    const d = 3;
    const data = Array.from(blobs(n, d, 4, 1.5, 99));
    expectSame(fit(data, n, d, 4, 5, 'wasm'), fit(data, n, d, 4, 5, 'js'));
  });

  it('seed k-means++ with the same rows', () => {
    const n = 2001;
    const d = 10;
    const data = blobs(n, d, 8, 2, 4);
    for (const seed of [1, 2, 3]) {
      expect(Array.from(kmeansPlusPlus(data, n, d, 8, mulberry32(seed), 'wasm'))).toEqual(
        Array.from(kmeansPlusPlus(data, n, d, 8, mulberry32(seed), 'js')),
      );
    }
  });

  it('run Lloyd from given centroids the same way, unbounded start and empty clusters included', () => {
    const n = 900;
    const d = 4;
    const data = blobs(n, d, 3, 3, 13);
    // The third centroid is far from every row, so the first assignment leaves its cluster empty.
    const init = Float32Array.from([...data.subarray(0, d), ...data.subarray(d, 2 * d), 1e4, 1e4, 1e4, 1e4]);
    for (const maxIter of [1, 3, 300]) {
      expectSame(kmeansFromCentroids(data, n, d, init, { maxIter }, 'wasm'), kmeansFromCentroids(data, n, d, init, { maxIter }, 'js'));
    }
    const many = blobs(1200, 9, 6, 0.7, 21);
    const start = many.slice(0, 6 * 9);
    expectSame(kmeansFromCentroids(many, 1200, 9, start, {}, 'wasm'), kmeansFromCentroids(many, 1200, 9, start, {}, 'js'));
  });

  it('handle duplicate rows and ties the same way', () => {
    // Few distinct values: many exact distance ties, zero distances and clusters that empty out.
    const rng = mulberry32(8);
    const n = 500;
    const d = 2;
    const data = Float32Array.from({ length: n * d }, () => Math.floor(rng() * 4));
    expectSame(fit(data, n, d, 6, 1, 'wasm'), fit(data, n, d, 6, 1, 'js'));
  });

  it('settle a row equally far from two centres by exact distances, the lower index winning, on both paths', () => {
    // Float32 rows: the assignment bounds distances from float32 dot products, and for the row at the
    // midpoint the two centres' bounds overlap, so the exact distances decide: a tie, which goes to
    // the lower index (scikit-learn's argmin) whichever centre is listed first.
    const d = 3;
    const left = [-1, 0.5, 2];
    const right = [1, 0.5, 2];
    const rows = [left, left, left, right, right, right, [0, 0.5, 2]];
    const data = Float32Array.from(rows.flat());
    for (const [first, second] of [[left, right], [right, left]]) {
      const init = Float32Array.from([...first, ...second]);
      for (const backend of ['js', 'wasm'] as const) {
        const fit = kmeansFromCentroids(data, rows.length, d, init, { maxIter: 1 }, backend);
        // The midpoint row joined centre 0, whose mean moved a quarter of the way towards it.
        expect(fit.labels[6]).toBe(0);
        expect(fit.centroids[0]).toBe(first[0] * 0.75);
        expect(Array.from(fit.labels.subarray(0, 6))).toEqual(first === left ? [0, 0, 0, 1, 1, 1] : [1, 1, 1, 0, 0, 0]);
      }
    }
  });

  it('take a block of rows densely when most fail the quick tests, settling near-ties by exact distances', () => {
    // Every row far from the origin and almost equidistant from two centres (±1 along the first feature):
    // the squared distances differ by 4·|t| ≤ 0.004, where float32 dot products of numbers near 1,000 are
    // off by ~1, so the float32 bounds of the two centres always overlap and only the exact distances can
    // tell t > 0 (centre 0) from t < 0 (centre 1). With no bounds yet, every row is listed: a dense block.
    const rng = mulberry32(17);
    for (const { d, k } of [{ d: 8, k: 2 }, { d: 8, k: 3 }, { d: 6, k: 2 }]) {
      const n = 300;
      const base = Array.from({ length: d }, () => 1000);
      const centres = [1, -1, 40].slice(0, k).map((shift) => base.map((v, t) => (t === 0 ? v + shift : v)));
      const ts: number[] = [];
      const data = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        // Multiples of 2⁻¹⁴, exact in float32 next to 1,000; never 0, so there is no true tie.
        const t = (1 + Math.floor(rng() * 16)) * 2 ** -14 * (rng() < 0.5 ? -1 : 1);
        ts.push(t);
        for (let f = 0; f < d; f++) data[i * d + f] = f === 0 ? 1000 + t : 1000 + Math.floor(rng() * 8) * 2 ** -10;
      }
      for (const backend of ['js', 'wasm'] as const) {
        const ws = new LloydWorkspace(data, n, d, k, 0, backend);
        expect(ws.approximate).toBe(true);
        ws.centres.set(centres.flat());
        ws.refreshCentreGeometry();
        ws.resetDrift();
        ws.upperRel.fill(Infinity);
        ws.lowerRel.fill(0);
        ws.slackRel.fill(-Infinity);
        ws.labels.fill(k - 1);
        ws.recomputeSums();
        ws.assign();
        expect(Array.from(ws.labels)).toEqual(ts.map((t) => (t > 0 ? 0 : 1)));
      }
    }
  });

  it('seed k-means++ leaving valid bounds on both paths, the float32 distances’ error included', () => {
    // Far from the origin, where ‖x‖² + ‖c‖² − 2·x·c cancels and float32 is off by more than the
    // distances themselves: bounds without the error bound would be wrong for most rows.
    const n = 600;
    const d = 16;
    const k = 5;
    const data = blobs(n, d, k, 3, 41).map((v) => v + 1000);
    const states = (['js', 'wasm'] as const).map((backend) => {
      const ws = new LloydWorkspace(data, n, d, k, kmeansPlusPlusTrials(k), backend);
      expect(ws.approximate).toBe(true);
      seedPlusPlus(ws, mulberry32(5), new SeedBuffers(k));
      let loose = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += (data[i * d + t] - ws.centres[j * d + t]) ** 2;
          const exact = Math.sqrt(s);
          expect(ws.lowerRel[i * k + j]).toBeLessThanOrEqual(exact * (1 + 1e-12));
          if (j === ws.labels[i]) {
            expect(ws.upperRel[i]).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
            if (ws.upperRel[i] - exact > 0.01 * exact) loose++;
          }
        }
      }
      expect(loose).toBeGreaterThan(n / 2);
      // What the next draw would search: running sums of D², each row's squared distance to its centre.
      let running = 0;
      for (let i = 0; i < n; i++) {
        running += ws.dist2[i];
        expect(ws.cum[i]).toBe(running);
      }
      return { labels: Array.from(ws.labels), upper: Array.from(ws.upperRel), lower: Array.from(ws.lowerRel), dist2: Array.from(ws.dist2) };
    });
    expect(states[1]).toEqual(states[0]);
  });

  it('reject non-finite values with the JavaScript’s message', () => {
    const bad = Float32Array.from([0, 0, 1, 1, 2, Infinity, 3, 3]);
    expect(() => kmeans(bad, 4, 2, { k: 2 }, undefined, 'wasm')).toThrow(/non-finite value Infinity at row 2, column 1/);
    expect(() => kmeans(bad, 4, 2, { k: 2 }, undefined, 'js')).toThrow(/non-finite value Infinity at row 2, column 1/);
    const nan = Float64Array.from([0, 0.1, NaN, 1]);
    expect(() => kmeans(nan, 2, 2, { k: 2 }, undefined, 'wasm')).toThrow(/non-finite value NaN at row 1, column 0/);
    expect(() => kmeans(nan, 2, 2, { k: 2 }, undefined, 'js')).toThrow(/non-finite value NaN at row 1, column 0/);
  });

  it('accept finite values whose squared norms overflow (the non-finite scan then finds nothing)', () => {
    // A finite sum of the norms is what skips the scan; here the sum is +Infinity with every value finite.
    const huge = Float64Array.from([1e200, 0, 0, 1e200, -1e200, 0, 0, -1e200]);
    for (const backend of ['wasm', 'js'] as const) {
      const ws = new LloydWorkspace(huge, 4, 2, 2, 0, backend);
      expect(ws.totalNorm).toBe(Infinity);
      expect(() => kmeansPlusPlus(huge, 4, 2, 2, mulberry32(1), backend)).not.toThrow();
    }
  });

  it('sum the features’ squared deviations as the JavaScript does, bit for bit', () => {
    const rng = mulberry32(11);
    for (const { n, d } of [{ n: 1001, d: 64 }, { n: 333, d: 7 }, { n: 10, d: 1 }, { n: 257, d: 2 }]) {
      // Far from the origin, so that a mean subtracted in another order or precision would show.
      const f32 = Float32Array.from({ length: n * d }, () => 1000 + 3 * gaussian(rng));
      const f64 = Float64Array.from({ length: n * d }, () => 1000 + 3 * gaussian(rng) + 1e-9 * rng());
      for (const data of [f32, f64]) {
        const [wasm, js] = (['wasm', 'js'] as const).map((backend) => new LloydWorkspace(data, n, d, 1, 0, backend).featureDeviations());
        expect(wasm).toBe(js);
        // About N·D·9 (variance 9 per feature), whatever the offset (checked where N·D makes it tight).
        if (n * d >= 500) {
          expect(wasm / (n * d)).toBeGreaterThan(7);
          expect(wasm / (n * d)).toBeLessThan(11);
        }
      }
    }
  });

  describe('step by step against the JavaScript, on the whole state', () => {
    /** Everything an assignment reads or writes (copied out of the views). */
    function state(ws: LloydWorkspace) {
      return {
        labels: Array.from(ws.labels),
        upperRel: Array.from(ws.upperRel),
        lowerRel: Array.from(ws.lowerRel),
        slackRel: Array.from(ws.slackRel),
        sums: Array.from(ws.sums),
        counts: Array.from(ws.counts),
        centres: Array.from(ws.centres),
        drift: Array.from(ws.drift),
        maxDrift: ws.maxDrift,
      };
    }

    /** Both workspaces from the same rows and starting centres, with the unbounded start. */
    function pair(data: Float32Array | Float64Array, n: number, d: number, k: number, seed: number): [LloydWorkspace, LloydWorkspace] {
      const rng = mulberry32(seed);
      const start = new Float64Array(k * d);
      for (let j = 0; j < k; j++) {
        const row = Math.floor(rng() * n);
        start.set(data.subarray(row * d, row * d + d), j * d);
      }
      const made = (['js', 'wasm'] as const).map((backend) => {
        const ws = new LloydWorkspace(data, n, d, k, 4, backend);
        expect(ws.simd === null).toBe(backend === 'js');
        ws.centres.set(start);
        ws.refreshCentreGeometry();
        ws.resetDrift();
        ws.upperRel.fill(Infinity);
        ws.lowerRel.fill(0);
        ws.slackRel.fill(-Infinity);
        ws.labels.fill(0);
        ws.recomputeSums();
        return ws;
      });
      return [made[0], made[1]];
    }

    // Bounds and slacks only loosen when they are wrong in the safe direction, which leaves the labels
    // right and would slip past the fits above; comparing the whole state after every step does not.
    for (const { n, d, k } of [{ n: 1003, d: 16, k: 7 }, { n: 800, d: 5, k: 12 }, { n: 500, d: 64, k: 3 }]) {
      it(`keeps labels, bounds, slacks and sums equal through Lloyd iterations (n ${n}, d ${d}, k ${k})`, () => {
        const data = blobs(n, d, k, 1.0, 3 * n + k);
        const [js, wasm] = pair(data, n, d, k, 17);
        expect(Array.from(wasm.xNorm)).toEqual(Array.from(js.xNorm));
        expect(state(wasm)).toEqual(state(js));
        let changed = 0;
        for (let iteration = 0; iteration < 60; iteration++) {
          const changes = js.assign();
          expect(wasm.assign()).toBe(changes);
          changed += changes;
          expect(state(wasm)).toEqual(state(js));
          js.relocateEmptyClusters();
          wasm.relocateEmptyClusters();
          expect(wasm.updateCentres()).toBe(js.updateCentres());
          expect(wasm.exactInertia()).toBe(js.exactInertia());
          if (iteration % 7 === 3) {
            js.refreshAllSlacks();
            wasm.refreshAllSlacks();
            js.recomputeSums();
            wasm.recomputeSums();
          }
          expect(state(wasm)).toEqual(state(js));
        }
        // The test only means something if rows kept moving.
        expect(changed).toBeGreaterThan(n);
      });
    }

    it('computes the k-means++ candidates’ distances and potentials as the JavaScript does', () => {
      // Float32 rows and float64 ones (another kernel each); more rows than one kernel call takes, so
      // the potentials are summed on across calls; odd N for the float64 kernel's last-row path.
      const cases = [
        { n: 1001, d: 64, f64: false },
        { n: 998, d: 7, f64: false },
        { n: 5, d: 1, f64: false },
        { n: 9001, d: 4, f64: false },
        { n: 9001, d: 5, f64: true },
        { n: 333, d: 64, f64: true },
      ];
      for (const { n, d, f64 } of cases) {
        const f32 = blobs(n, d, 4, 1.0, n + d);
        const data = f64 ? Float64Array.from(f32, (v, i) => v + (i % 3) * 1e-9) : f32;
        const [js, wasm] = pair(data, n, d, 3, 5);
        expect(js.approximate).toBe(!f64);
        const rng = mulberry32(n);
        // D² of some earlier centre: smaller than a candidate's distance for some rows, larger for others.
        const dist2 = Float64Array.from({ length: n }, () => 4 * d * rng());
        for (const ws of [js, wasm]) ws.dist2.set(dist2);
        for (let round = 0; round < 3; round++) {
          const c = Array.from({ length: 5 }, () => Math.floor(rng() * n));
          for (const ws of [js, wasm]) ws.candidateDistances4(0, c[0], c[1], c[2], c[3]);
          for (let t = 0; t < 4; t++) expect(Array.from(wasm.candDist[t])).toEqual(Array.from(js.candDist[t]));
          expect(Array.from(wasm.candPot.subarray(0, 4))).toEqual(Array.from(js.candPot.subarray(0, 4)));
          // The potential is what it says, and not every row took the candidate's distance.
          let expected = 0;
          let taken = 0;
          for (let i = 0; i < n; i++) {
            expected += Math.min(js.candDist[2][i], dist2[i]);
            if (js.candDist[2][i] < dist2[i]) taken++;
          }
          expect(js.candPot[2]).toBe(expected);
          if (n > 100) expect(taken).toBeGreaterThan(0);
          if (n > 100) expect(taken).toBeLessThan(n);
          for (const ws of [js, wasm]) ws.candidateDistances1(3, c[4], true);
          expect(Array.from(wasm.candDist[3])).toEqual(Array.from(js.candDist[3]));
          expect(wasm.candPot[3]).toBe(js.candPot[3]);
        }
      }
    });
  });
});
