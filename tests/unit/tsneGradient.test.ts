import { describe, expect, it } from 'vitest';
import { exactKnn } from '../../src/analysis/knn';
import { gaussian, mulberry32, type Rng } from '../../src/analysis/rng';
import { Tsne, type SparseAffinities } from '../../src/analysis/tsne';
import { jointAffinities } from '../../src/analysis/tsneAffinities';
import { AttractionSimd, tsneSimdSupported } from '../../src/analysis/wasm/tsne-simd';
import {
  affinityPairs,
  Attraction,
  attractiveForces,
  attractivePairForces,
  klGradient,
  localityOrder,
  relabelAffinities,
  Repulsion,
} from '../../src/analysis/tsneGradient';

function randomP(n: number, k: number, rng: Rng): SparseAffinities {
  const data = Float32Array.from({ length: n * 3 }, () => gaussian(rng));
  return jointAffinities(exactKnn(data, n, 3, k), Math.max(1.5, k / 3));
}

function maxRelativeError(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (let e = 0; e < b.length; e++) scale = Math.max(scale, Math.abs(b[e]));
  let err = 0;
  for (let e = 0; e < a.length; e++) err = Math.max(err, Math.abs(a[e] - b[e]));
  return err / scale;
}

/** A symmetric CSR P from a list of unordered pairs (i, j, p); rows in the order the pairs come. */
function fromPairs(n: number, list: [number, number, number][]): SparseAffinities {
  const rows: [number, number][][] = Array.from({ length: n }, () => []);
  for (const [i, j, p] of list) {
    rows[i].push([j, p]);
    rows[j].push([i, p]);
  }
  const rowPtr = new Int32Array(n + 1);
  const columns: number[] = [];
  const values: number[] = [];
  rows.forEach((row, i) => {
    for (const [j, p] of row) {
      columns.push(j);
      values.push(p);
    }
    rowPtr[i + 1] = columns.length;
  });
  return { n, rowPtr, columns: Int32Array.from(columns), values: Float64Array.from(values) };
}

describe('attractive forces over pairs', () => {
  it('match the row-by-row reference on kNN affinities of odd sizes', () => {
    const rng = mulberry32(21);
    for (const [n, k] of [
      [2, 1],
      [7, 3],
      [61, 9],
      [333, 16],
    ]) {
      const P = randomP(n, k, rng);
      const pairs = affinityPairs(P);
      expect(pairs).not.toBeNull();
      if (!pairs) return;
      // Every stored entry of P is one pair, stored once.
      expect(2 * pairs.rowPtr[n]).toBe(P.rowPtr[n]);
      const y = Float64Array.from({ length: 2 * n }, () => 5 * gaussian(rng));
      const reference = new Float64Array(2 * n);
      attractiveForces(P, y, reference);
      const out = new Float64Array(2 * n);
      attractivePairForces(pairs, y, out);
      expect(maxRelativeError(out, reference)).toBeLessThan(1e-13);
      // Two row ranges into separate buffers add up to the whole.
      const half = Math.floor(n / 2);
      const a = new Float64Array(2 * n);
      const b = new Float64Array(2 * n);
      attractivePairForces(pairs, y, a, 0, half);
      attractivePairForces(pairs, y, b, half, n);
      for (let e = 0; e < 2 * n; e++) a[e] += b[e];
      expect(maxRelativeError(a, reference)).toBeLessThan(1e-13);
    }
  });

  it('handle points without neighbours (empty rows)', () => {
    const P = fromPairs(6, [
      [0, 3, 0.2],
      [3, 5, 0.5],
      [5, 0, 0.3],
    ]);
    const pairs = affinityPairs(P);
    expect(pairs).not.toBeNull();
    if (!pairs) return;
    const y = Float64Array.from([0, 0, 9, 9, 1, 2, 3, -1, -7, 7, 2, 5]);
    const reference = new Float64Array(12);
    attractiveForces(P, y, reference);
    const out = new Float64Array(12);
    attractivePairForces(pairs, y, out);
    expect(maxRelativeError(out, reference)).toBeLessThan(1e-15);
    for (const i of [1, 2, 4]) expect([out[2 * i], out[2 * i + 1]]).toEqual([0, 0]);
  });

  it('are refused (null) for a P that is not exactly symmetric', () => {
    const P = fromPairs(4, [
      [0, 1, 0.25],
      [1, 2, 0.5],
      [2, 3, 0.25],
    ]);
    expect(affinityPairs(P)).not.toBeNull();
    const changed = { ...P, values: P.values.slice() };
    changed.values[0] *= 1 + 1e-15;
    expect(affinityPairs(changed)).toBeNull();
    // Row 0 lists 1 but row 1 does not list 0.
    const oneWay: SparseAffinities = { n: 3, rowPtr: Int32Array.from([0, 1, 2, 3]), columns: Int32Array.from([1, 2, 1]), values: Float64Array.from([0.2, 0.4, 0.4]) };
    expect(affinityPairs(oneWay)).toBeNull();
    const diagonal: SparseAffinities = { n: 2, rowPtr: Int32Array.from([0, 2, 3]), columns: Int32Array.from([0, 1, 0]), values: Float64Array.from([0.1, 0.45, 0.45]) };
    expect(affinityPairs(diagonal)).toBeNull();
  });
});

describe('locality relabelling', () => {
  it('is a permutation, and relabelled forces are the original ones relabelled', () => {
    const rng = mulberry32(22);
    const n = 257;
    const P = randomP(n, 10, rng);
    const order = localityOrder(P);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const Q = relabelAffinities(P, order);
    const y = Float64Array.from({ length: 2 * n }, () => 3 * gaussian(rng));
    const z = new Float64Array(2 * n);
    for (let a = 0; a < n; a++) {
      z[2 * a] = y[2 * order[a]];
      z[2 * a + 1] = y[2 * order[a] + 1];
    }
    const fy = new Float64Array(2 * n);
    const fz = new Float64Array(2 * n);
    attractiveForces(P, y, fy);
    attractiveForces(Q, z, fz);
    for (let a = 0; a < n; a++) {
      expect(fz[2 * a]).toBe(fy[2 * order[a]]);
      expect(fz[2 * a + 1]).toBe(fy[2 * order[a] + 1]);
    }
  });

  it('leaves Tsne steps equal, to rounding, to the gradient in the caller order', () => {
    const rng = mulberry32(23);
    const n = 150;
    const P = randomP(n, 12, rng);
    const initial = Float64Array.from({ length: 2 * n }, () => 1e-2 * gaussian(rng));
    const options = { method: 'exact' as const, learningRate: 50, exaggerationIterations: 3 };
    const tsne = new Tsne(options);
    tsne.initializeFromAffinities(P, initial);
    // The reference: plain gradient descent with scikit-learn's gains in the caller's order.
    const y = initial.slice();
    const update = new Float64Array(2 * n);
    const gains = new Float64Array(2 * n).fill(1);
    const grad = new Float64Array(2 * n);
    const repulsion = new Repulsion('exact', 0.5);
    for (let it = 0; it < 6; it++) {
      tsne.step();
      if (it === 3) {
        update.fill(0);
        gains.fill(1);
      }
      klGradient(P, y, it < 3 ? 12 : 1, repulsion, grad, new Float64Array(2 * n), new Float64Array(2 * n));
      for (let e = 0; e < 2 * n; e++) {
        const g = grad[e];
        const u = update[e];
        const gain = Math.max(0.01, u * g < 0 ? gains[e] + 0.2 : gains[e] * 0.8);
        gains[e] = gain;
        update[e] = 0.5 * u - 50 * gain * g;
        y[e] += update[e];
      }
      expect(maxRelativeError(tsne.lastGradient(), grad)).toBeLessThan(1e-9);
    }
    expect(maxRelativeError(Float64Array.from(tsne.embedding()), Float64Array.from(Float32Array.from(y)))).toBeLessThan(1e-6);
  });
});

describe('attractive forces in WebAssembly SIMD', () => {
  it('are available in Node (which has SIMD), so the tests below run', () => {
    expect(tsneSimdSupported()).toBe(true);
  });

  it('equal the JavaScript pair loop bit for bit (odd sizes, empty rows)', () => {
    const rng = mulberry32(24);
    const cases: SparseAffinities[] = [
      randomP(2, 1, rng),
      randomP(9, 4, rng),
      randomP(401, 17, rng),
      fromPairs(6, [
        [0, 3, 0.2],
        [3, 5, 0.5],
        [5, 0, 0.3],
      ]),
    ];
    for (const P of cases) {
      const n = P.n;
      const pairs = affinityPairs(P);
      if (!pairs) throw new Error('test P not symmetric');
      const simd = AttractionSimd.create(pairs);
      if (!simd) throw new Error('no SIMD kernel');
      for (const scale of [1e-3, 1, 40]) {
        const y = Float64Array.from({ length: 2 * n }, () => scale * gaussian(rng));
        const reference = new Float64Array(2 * n);
        attractivePairForces(pairs, y, reference);
        // Garbage in `out` must not leak into the result.
        const out = new Float64Array(2 * n).fill(7);
        simd.compute(y, out);
        expect(Array.from(out)).toEqual(Array.from(reference));
      }
    }
  });

  it('Attraction picks SIMD, JavaScript pairs or rows, all agreeing with the row reference', () => {
    const rng = mulberry32(25);
    const P = randomP(120, 9, rng);
    const y = Float64Array.from({ length: 240 }, () => 4 * gaussian(rng));
    const reference = new Float64Array(240);
    attractiveForces(P, y, reference);
    const asymmetric = { ...P, values: P.values.slice() };
    asymmetric.values[0] *= 2;
    const asymmetricReference = new Float64Array(240);
    attractiveForces(asymmetric, y, asymmetricReference);
    for (const [attraction, kernel, expected] of [
      [new Attraction(P), 'simd', reference],
      [new Attraction(P, { simd: false }), 'pairs', reference],
      [new Attraction(asymmetric), 'rows', asymmetricReference],
    ] as const) {
      expect(attraction.kernel).toBe(kernel);
      const out = new Float64Array(240).fill(3);
      attraction.compute(y, out);
      expect(maxRelativeError(out, expected)).toBeLessThan(1e-13);
    }
  });
});
