import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { adjustedRandIndex, contingencyTable, normalizedMutualInfo, purity } from '../../src/analysis/metrics';
import { mulberry32, shuffleInPlace } from '../../src/analysis/rng';

/** ARI by brute force over all unordered pairs of points: the definition, O(N²), for small N. */
function slowAdjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let both = 0;
  let onlyA = 0;
  let onlyB = 0;
  let neither = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const sameA = a[i] === a[j];
      const sameB = b[i] === b[j];
      if (sameA && sameB) both++;
      else if (sameA) onlyA++;
      else if (sameB) onlyB++;
      else neither++;
    }
  }
  if (onlyA === 0 && onlyB === 0) return 1;
  const pairs = both + onlyA + onlyB + neither;
  const expected = ((both + onlyA) * (both + onlyB)) / pairs;
  const max = (both + onlyA + (both + onlyB)) / 2;
  return (both - expected) / (max - expected);
}

/** Relabels ids 0…k−1 through a random permutation drawn from `seed`. */
function relabel(labels: Int32Array, k: number, seed: number): Int32Array {
  const perm = new Int32Array(k);
  for (let i = 0; i < k; i++) perm[i] = i;
  shuffleInPlace(perm, mulberry32(seed));
  return labels.map((v) => perm[v]);
}

/** Two labelings of the same points, each with ids below its own bound. */
const labelingPair = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 60 }))
  .chain(([ka, kb, n]) =>
    fc.record({
      ka: fc.constant(ka),
      kb: fc.constant(kb),
      a: fc.array(fc.integer({ min: 0, max: ka - 1 }), { minLength: n, maxLength: n }).map((v) => Int32Array.from(v)),
      b: fc.array(fc.integer({ min: 0, max: kb - 1 }), { minLength: n, maxLength: n }).map((v) => Int32Array.from(v)),
      seed: fc.integer(),
    }),
  );

describe('contingencyTable', () => {
  it('counts points per (cluster, class), row-major', () => {
    const t = contingencyTable(Int32Array.from([0, 0, 1, 2, 2, 2]), Uint8Array.from([1, 1, 0, 0, 1, 1]), 3, 2);
    expect(t.nClusters).toBe(3);
    expect(t.nClasses).toBe(2);
    expect(Array.from(t.table)).toEqual([0, 2, 1, 0, 1, 2]);
  });

  it('defaults its size to one past the largest id, and can be padded', () => {
    expect(contingencyTable([0, 2], [1, 0]).table.length).toBe(3 * 2);
    expect(contingencyTable([0, 2], [1, 0], 10, 10).table.length).toBe(100);
  });

  it('rejects mismatched lengths and labels outside the table', () => {
    expect(() => contingencyTable([0, 1], [0])).toThrow(RangeError);
    expect(() => contingencyTable([0, -1], [0, 0])).toThrow(/cluster label -1/);
    expect(() => contingencyTable([0, 1], [0, 3], 2, 3)).toThrow(/class label 3/);
    expect(() => contingencyTable([0, 0.5], [0, 0])).toThrow(RangeError);
  });
});

describe('small exact cases', () => {
  it('scores identical labelings 1 on every metric', () => {
    const a = Int32Array.from([0, 0, 1, 1, 2, 2, 2]);
    expect(adjustedRandIndex(a, a)).toBe(1);
    expect(normalizedMutualInfo(a, a)).toBeCloseTo(1, 15);
    expect(purity(a, a)).toBe(1);
  });

  it('scores the same partition under other names 1', () => {
    const a = Int32Array.from([0, 0, 1, 1, 2, 2, 2]);
    const b = Uint8Array.from([7, 7, 3, 3, 0, 0, 0]);
    expect(adjustedRandIndex(a, b)).toBe(1);
    expect(normalizedMutualInfo(a, b)).toBeCloseTo(1, 15);
    expect(purity(a, b)).toBe(1);
  });

  it('matches the example in scikit-learn’s documentation, worked by hand', () => {
    const classes = [0, 0, 1, 1];
    const clusters = [0, 0, 1, 2];
    // Pairs (6 in all): together in both: {0,1} = 1; together only in `classes`: {2,3} = 1; none only in
    // `clusters`; apart in both: 4. Σ C(n_ij, 2) = 1, Σ C(class size, 2) = 2, Σ C(cluster size, 2) = 1,
    // expected index = 2·1/6 = 1/3, max = (2 + 1)/2 = 3/2, ARI = (1 − 1/3)/(3/2 − 1/3) = 4/7.
    expect(adjustedRandIndex(clusters, classes)).toBeCloseTo(4 / 7, 14);
    // MI = ½·ln(½/(½·½)) + 2·¼·ln(¼/(½·¼)) = ln 2; H(classes) = ln 2; H(clusters) = 1.5 ln 2;
    // NMI = ln 2 / (1.25 ln 2) = 0.8.
    expect(normalizedMutualInfo(clusters, classes)).toBeCloseTo(0.8, 14);
    // Every cluster is pure; the other way round class 1 is split, so 3 of 4 points are in the majority.
    expect(purity(clusters, classes)).toBe(1);
    expect(purity(classes, clusters)).toBe(0.75);
  });

  it('matches the clustering example of Manning, Raghavan & Schütze (IR book, §16.3), worked by hand', () => {
    // 17 points, 3 clusters × 3 classes (x, o, ◇): cluster 1 = 5x 1o, cluster 2 = 1x 4o 1◇, cluster 3 = 2x 3◇.
    const clusters = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2];
    const classes = [0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 2, 0, 0, 2, 2, 2];
    const t = contingencyTable(clusters, classes);
    expect(Array.from(t.table)).toEqual([5, 1, 0, 1, 4, 1, 2, 0, 3]);
    // Purity = (5 + 4 + 3)/17, the book's 0.71.
    expect(purity(t)).toBeCloseTo(12 / 17, 15);
    // Σ C(n_ij, 2) = 10 + 6 + 1 + 3 = 20 (the book's TP); cluster sizes 6, 6, 5 → Σ C = 40; class sizes
    // 8, 5, 4 → Σ C = 44; C(17, 2) = 136. Expected = 40·44/136 = 220/17, max = 42,
    // ARI = (20 − 220/17)/(42 − 220/17) = 120/494 = 60/247 ≈ 0.24291. (Unadjusted RI = 92/136, the book's 0.68.)
    expect(adjustedRandIndex(t)).toBeCloseTo(60 / 247, 14);
    // MI = Σ (n_ij/17)·ln(17·n_ij/(a_i b_j)) = 0.391937; H(clusters) = 1.095078, H(classes) = 1.055102 nats;
    // NMI = 0.391937 / 1.075090 = 0.364562 (the book's 0.36, which uses the same arithmetic mean).
    expect(normalizedMutualInfo(t)).toBeCloseTo(0.36456177185718985, 12);
  });

  it('follows scikit-learn on the degenerate cases', () => {
    // One group on both sides, or no points: nothing to disagree about.
    expect(adjustedRandIndex([0, 0, 0], [1, 1, 1])).toBe(1);
    expect(normalizedMutualInfo([0, 0, 0], [1, 1, 1])).toBe(1);
    expect(adjustedRandIndex([], [])).toBe(1);
    expect(normalizedMutualInfo([], [])).toBe(1);
    expect(purity([], [])).toBe(1);
    // One side one group, the other all singletons: no information, index at its chance value.
    expect(normalizedMutualInfo([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
  });

  it('gives the same answers from a table as from the label arrays', () => {
    const a = Int32Array.from([0, 1, 1, 2, 0, 2, 2, 1, 0, 0]);
    const b = Uint8Array.from([1, 1, 0, 2, 1, 2, 0, 0, 1, 2]);
    const t = contingencyTable(a, b);
    expect(adjustedRandIndex(t)).toBe(adjustedRandIndex(a, b));
    expect(normalizedMutualInfo(t)).toBe(normalizedMutualInfo(a, b));
    expect(purity(t)).toBe(purity(a, b));
  });

  it('does not care about empty rows or columns in a padded table', () => {
    const a = [0, 0, 2, 2, 2];
    const b = [1, 1, 0, 3, 3];
    const padded = contingencyTable(a, b, 10, 10);
    expect(adjustedRandIndex(padded)).toBeCloseTo(adjustedRandIndex(a, b), 15);
    expect(normalizedMutualInfo(padded)).toBeCloseTo(normalizedMutualInfo(a, b), 15);
    expect(purity(padded)).toBe(purity(a, b));
  });
});

describe('properties', () => {
  it('ARI matches brute-force pair counting', () => {
    fc.assert(
      fc.property(labelingPair, ({ a, b }) => {
        expect(adjustedRandIndex(a, b)).toBeCloseTo(slowAdjustedRandIndex(a, b), 10);
      }),
    );
  });

  it('ARI and NMI are symmetric', () => {
    fc.assert(
      fc.property(labelingPair, ({ a, b }) => {
        expect(adjustedRandIndex(a, b)).toBeCloseTo(adjustedRandIndex(b, a), 12);
        expect(normalizedMutualInfo(a, b)).toBeCloseTo(normalizedMutualInfo(b, a), 12);
      }),
    );
  });

  it('every metric ignores the names of clusters and classes', () => {
    fc.assert(
      fc.property(labelingPair, ({ a, b, ka, kb, seed }) => {
        const a2 = relabel(a, ka, seed);
        const b2 = relabel(b, kb, seed + 1);
        expect(adjustedRandIndex(a2, b2)).toBeCloseTo(adjustedRandIndex(a, b), 12);
        expect(normalizedMutualInfo(a2, b2)).toBeCloseTo(normalizedMutualInfo(a, b), 12);
        expect(purity(a2, b2)).toBeCloseTo(purity(a, b), 12);
      }),
    );
  });

  it('stays in range: ARI ≤ 1, NMI in [0, 1], purity at least the largest class share', () => {
    fc.assert(
      fc.property(labelingPair, ({ a, b }) => {
        expect(adjustedRandIndex(a, b)).toBeLessThanOrEqual(1 + 1e-12);
        const nmi = normalizedMutualInfo(a, b);
        expect(nmi).toBeGreaterThanOrEqual(0);
        expect(nmi).toBeLessThanOrEqual(1 + 1e-12);
        if (a.length > 0) {
          const counts = new Map<number, number>();
          for (const y of b) counts.set(y, (counts.get(y) ?? 0) + 1);
          const largest = Math.max(...counts.values());
          expect(purity(a, b)).toBeGreaterThanOrEqual(largest / a.length - 1e-12);
          expect(purity(a, b)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});
