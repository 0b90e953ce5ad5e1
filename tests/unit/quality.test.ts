import { describe, expect, it } from 'vitest';
import { knnAccuracy, trustworthiness } from '../../src/analysis/quality';
import { gaussian, mulberry32 } from '../../src/analysis/rng';

/** scikit-learn's trustworthiness, transcribed literally: full argsort ranks. */
function sklearnTrustworthiness(high: Float32Array, dh: number, low: Float32Array, dl: number, n: number, k: number): number {
  const dist = (x: Float32Array, d: number, i: number, j: number): number => {
    let s = 0;
    for (let t = 0; t < d; t++) s += (x[i * d + t] - x[j * d + t]) ** 2;
    return s;
  };
  let t = 0;
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i);
    const byHigh = [...others].sort((a, b) => dist(high, dh, i, a) - dist(high, dh, i, b));
    const rank = new Map(byHigh.map((j, r) => [j, r + 1]));
    const byLow = [...others].sort((a, b) => dist(low, dl, i, a) - dist(low, dl, i, b)).slice(0, k);
    for (const j of byLow) t += Math.max(0, (rank.get(j) ?? 0) - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * t;
}

describe('trustworthiness', () => {
  it('matches a hand computation (5 points on a line, k = 1)', () => {
    // High: 0, 1, 3, 7, 12. Low order p0, p4, p1, p3, p2 at 0, 1, 2.5, 5, 9.
    // Low nearest neighbours and their high ranks: 0→4 (4), 4→0 (4), 1→4 (4), 3→1 (3), 2→3 (3):
    // penalties 3 + 3 + 3 + 2 + 2 = 13, T = 1 − 2/(5·1·(10 − 3 − 1))·13 = 1 − 13/15.
    const high = new Float32Array([0, 1, 3, 7, 12]);
    const low1 = new Float32Array([0, 2.5, 9, 5, 1]);
    expect(trustworthiness(high, 1, low1, 1, 5, 1)).toBeCloseTo(1 - 13 / 15, 12);
    // The same map in 2-D takes the bucket-grid neighbour path.
    const low2 = new Float32Array([0, 0, 2.5, 0, 9, 0, 5, 0, 1, 0]);
    expect(trustworthiness(high, 1, low2, 2, 5, 1)).toBeCloseTo(1 - 13 / 15, 12);
  });

  it('is 1 for a map that keeps every neighbourhood, and equals scikit-learn’s formula on random maps', () => {
    const rng = mulberry32(6);
    const n = 120;
    const high = Float32Array.from({ length: n * 5 }, () => gaussian(rng));
    const scaled = Float32Array.from(high, (v) => 3 * v);
    expect(trustworthiness(high, 5, scaled, 5, n, 10)).toBe(1);
    for (const k of [1, 5, 10]) {
      const low = Float32Array.from({ length: n * 2 }, () => gaussian(rng));
      expect(trustworthiness(high, 5, low, 2, n, k)).toBeCloseTo(sklearnTrustworthiness(high, 5, low, 2, n, k), 12);
    }
  });

  it('rejects k ≥ n/2', () => {
    expect(() => trustworthiness(new Float32Array(4), 1, new Float32Array(4), 1, 4, 2)).toThrow();
  });
});

describe('knnAccuracy', () => {
  it('matches a hand computation, ties going to the smallest label', () => {
    // 1-D points and labels; k = 2.
    //  x:      0  1  2  10 11 12 30 31
    //  label:  0  0  1  1  1  0  2  1
    // p0: {1(0), 2(1)} tie → 0 ✓; p1: {0(0), 2(1)} tie → 0 ✓; p2: {1(0), 0(0)} → 0 ✗;
    // p3: {4(1), 5(0)} tie → 0 ✗; p4: {3(1), 5(0)} tie → 0 ✗; p5: {4(1), 3(1)} → 1 ✗;
    // p6: {7(1), 5(0)} tie → 0 ✗; p7: {6(2), 5(0)} tie → 0 ✗. Correct: 2 of 8.
    const points = new Float32Array([0, 1, 2, 10, 11, 12, 30, 31]);
    const labels = new Uint8Array([0, 0, 1, 1, 1, 0, 2, 1]);
    expect(knnAccuracy(points, 1, 8, labels, 2)).toBe(2 / 8);
  });

  it('is 1 on separated clusters and agrees between the 2-D grid path and brute force', () => {
    const rng = mulberry32(7);
    const n = 400;
    const points = new Float32Array(2 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 4;
      points[2 * i] = gaussian(rng) + 50 * (i % 4);
      points[2 * i + 1] = gaussian(rng);
    }
    expect(knnAccuracy(points, 2, n, labels, 10)).toBe(1);
    const noisy = Float32Array.from(points, (v) => v + 40 * gaussian(rng));
    // The same coordinates as 3-D points with a zero third axis go through brute force.
    const as3d = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      as3d[3 * i] = noisy[2 * i];
      as3d[3 * i + 1] = noisy[2 * i + 1];
    }
    expect(knnAccuracy(noisy, 2, n, labels, 10)).toBe(knnAccuracy(as3d, 3, n, labels, 10));
  });
});
