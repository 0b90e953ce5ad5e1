/**
 * The statistics behind the bench's seed comparisons (scripts/seed-stats.mjs), on small cases with known answers and
 * against brute-force enumeration.
 */
import { describe, expect, it } from 'vitest';
import { agreementChance, median, medianOfDraws, rankTestP } from '../../scripts/seed-stats.mjs';

/** Every sequence of n draws from the pool, each equally likely (pool.length ** n of them). */
function* allDraws(pool: readonly number[], n: number): Generator<number[]> {
  if (n === 0) {
    yield [];
    return;
  }
  for (const rest of allDraws(pool, n - 1)) for (const v of pool) yield [...rest, v];
}

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});

describe('rankTestP', () => {
  it('gives the exact two-sided p of fully separated groups', () => {
    // 2 of the C(6, 3) = 20 splits are as extreme: all low or all high.
    expect(rankTestP([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.1, 12);
    expect(rankTestP([5, 6, 7, 8], [1, 2, 3, 4])).toBeCloseTo(2 / 70, 12);
  });

  it("matches R's wilcox.test on a textbook example (W = 17, p = 0.1111)", () => {
    expect(rankTestP([19, 22, 16, 29, 24], [20, 11, 17, 12])).toBeCloseTo(14 / 126, 12);
  });

  it('is 1 for groups with the same values, ties and all', () => {
    expect(rankTestP([1, 2], [2, 1])).toBe(1);
    expect(rankTestP([0.5, 0.5, 0.7], [0.5, 0.7, 0.5])).toBe(1);
  });

  it('does not depend on which group comes first', () => {
    const a = [0.0158, 0.0183, 0.0127, 0.0175];
    const b = [0.021, 0.0125, 0.0123, 0.0183, 0.0143];
    expect(rankTestP(a, b)).toBeCloseTo(rankTestP(b, a), 12);
  });

  it('refuses groups too large to enumerate', () => {
    expect(() => rankTestP(new Array(13).fill(1), new Array(13).fill(2))).toThrow(/more than it enumerates/);
    expect(() => rankTestP([], [1])).toThrow();
  });
});

describe('medianOfDraws', () => {
  it('matches counting every sequence of draws, with ties in the pool', () => {
    const pool = [0.2, 0.2, 0.5, 1.3, 0.9];
    for (const n of [1, 3, 5]) {
      const counts = new Map<number, number>();
      let total = 0;
      for (const draws of allDraws(pool, n)) {
        const m = median(draws);
        counts.set(m, (counts.get(m) ?? 0) + 1);
        total++;
      }
      const exact = medianOfDraws(pool, n);
      expect(exact.reduce((s, [, p]) => s + p, 0)).toBeCloseTo(1, 12);
      for (const [value, probability] of exact) expect(probability).toBeCloseTo((counts.get(value) ?? 0) / total, 12);
    }
  });

  it('refuses an even number of draws and an empty pool', () => {
    expect(() => medianOfDraws([1, 2], 2)).toThrow(/odd/);
    expect(() => medianOfDraws([], 3)).toThrow();
  });
});

describe('agreementChance', () => {
  it('matches counting every pair of draws', () => {
    const pool = [1, 1.05, 1.3, 2];
    const n = 3;
    let agree = 0;
    let total = 0;
    const medians = [...allDraws(pool, n)].map(median);
    for (const x of medians) {
      for (const y of medians) {
        if (Math.abs(x / y - 1) <= 0.1) agree++;
        total++;
      }
    }
    expect(agreementChance(pool, n, 0.1)).toBeCloseTo(agree / total, 12);
  });

  it('is certain for a pool of one value and one half for two far-apart values drawn once', () => {
    expect(agreementChance([0.006, 0.006, 0.006], 3, 0.1)).toBeCloseTo(1, 12);
    expect(agreementChance([1, 10], 1, 0.1)).toBeCloseTo(0.5, 12);
  });
});
