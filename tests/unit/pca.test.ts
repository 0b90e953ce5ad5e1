import { describe, expect, it } from 'vitest';
import { covariance, pca, symmetricEigen } from '../../src/analysis/pca';
import { mulberry32 } from '../../src/analysis/rng';

describe('exact PCA', () => {
  it('finds the axes of a hand-made cloud, with variances, ratios and projections', () => {
    // Points on the axes: x spread 2, y spread 1, then shifted by (5, −3).
    const data = Float32Array.of(7, -3, 3, -3, 5, -2, 5, -4);
    const result = pca(data, 4, 2);
    expect(Array.from(result.mean)).toEqual([5, -3]);
    expect(result.variances[0]).toBeCloseTo(8 / 3, 12);
    expect(result.variances[1]).toBeCloseTo(2 / 3, 12);
    expect(result.explainedRatio[0]).toBeCloseTo(0.8, 12);
    expect(Array.from(result.components).map((x) => Math.abs(x) < 1e-12 ? 0 : x)).toEqual([1, 0, 0, 1]);
    expect(Array.from(result.projection)).toEqual([2, 0, -2, 0, 0, 1, 0, -1]);
  });

  it('decomposes a random symmetric matrix exactly: V·A·Vᵀ is diagonal, V orthonormal', () => {
    const d = 12;
    const random = mulberry32(7);
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) m[i * d + j] = m[j * d + i] = random() * 2 - 1;
    const { values, vectors } = symmetricEigen(m, d);
    for (let i = 1; i < d; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
    // Rebuild: A = Σ λ_k v_k v_kᵀ
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let sum = 0;
        for (let k = 0; k < d; k++) sum += values[k] * vectors[k * d + i] * vectors[k * d + j];
        expect(sum).toBeCloseTo(m[i * d + j], 10);
        let dot = 0;
        for (let k = 0; k < d; k++) dot += vectors[i * d + k] * vectors[j * d + k];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
    // The sign convention: each vector's largest-magnitude entry is positive.
    for (let k = 0; k < d; k++) {
      const row = Array.from(vectors.subarray(k * d, (k + 1) * d));
      const largest = row.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
      expect(largest).toBeGreaterThan(0);
    }
  });

  it('recovers a known rotated Gaussian: eigenvalues close to the planted variances, projections with those variances', () => {
    const random = mulberry32(3);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const n = 20_000;
    const angle = 0.6;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      const [u, v, w] = [3 * gauss(), 1 * gauss(), 0.1 * gauss()];
      data.set([c * u - s * v, s * u + c * v, w], i * 3);
    }
    const result = pca(data, n, 3, 3);
    expect(result.variances[0]).toBeCloseTo(9, 0);
    expect(result.variances[1]).toBeCloseTo(1, 1);
    expect(result.variances[2]).toBeCloseTo(0.01, 2);
    expect(Math.abs(result.components[0] * c + result.components[1] * s)).toBeCloseTo(1, 3);
    // The projection on each component has that component's variance.
    const { cov } = covariance(result.projection, n, 3);
    for (let k = 0; k < 3; k++) expect(cov[k * 3 + k]).toBeCloseTo(result.variances[k], 3);
    expect(Math.abs(cov[1])).toBeLessThan(1e-3);
  });

  it('refuses a bad component count and short data', () => {
    expect(() => pca(new Float32Array(4), 2, 2, 3)).toThrow(/components/);
    expect(() => pca(new Float32Array(3), 2, 2)).toThrow(/2 × 2/);
  });
});
