import { describe, expect, it } from 'vitest';
import { DEAD_VARIANCE_SHARE, deadUnits, unitStats } from '../../src/analysis/latent-stats';
import { REFERENCE_COUNT, REFERENCE_DIM, loadReferenceLatents } from './reference-latents';

describe('per-unit statistics of latent vectors', () => {
  it('gives mean, population variance, range, order and dead flags on a small exact case', () => {
    // 4 rows × 3 units: unit 0 = 0,1,2,3 (var 1.25), unit 1 constant 5 (dead), unit 2 = −2,2,−2,2 (var 4).
    const latents = Float32Array.of(0, 5, -2, 1, 5, 2, 2, 5, -2, 3, 5, 2);
    const stats = unitStats(latents, 4, 3);
    expect(Array.from(stats.mean)).toEqual([1.5, 5, 0]);
    expect(Array.from(stats.variance)).toEqual([1.25, 0, 4]);
    expect(Array.from(stats.min)).toEqual([0, 5, -2]);
    expect(Array.from(stats.max)).toEqual([3, 5, 2]);
    expect(stats.dead).toEqual([false, true, false]);
    expect(Array.from(stats.order)).toEqual([2, 0, 1]);
  });

  it('uses a threshold relative to the liveliest unit, so the code scale does not matter', () => {
    // Unit 1's std is 0.5% of unit 0's (variance share 2.5e-5) → dead; unit 2's is 2% (share 4e-4) → alive.
    // Scaled by 1000 or by 0.001, the same.
    const rows = [0, 1, 2, 3].map((i) => (i % 2 === 0 ? [-1, -0.005, -0.02] : [1, 0.005, 0.02]));
    for (const scale of [1, 1000, 0.001]) {
      const stats = unitStats(Float32Array.from(rows.flat(), (v) => v * scale), 4, 3);
      expect(stats.dead).toEqual([false, true, false]);
      expect(stats.variance[1] / stats.variance[0]).toBeLessThan(DEAD_VARIANCE_SHARE);
      expect(stats.variance[2] / stats.variance[0]).toBeGreaterThan(DEAD_VARIANCE_SHARE);
    }
  });

  it('orders equal variances by unit index and handles no rows', () => {
    expect(Array.from(unitStats(Float32Array.of(1, -1, 1, -1, 1, -1), 2, 3).order)).toEqual([0, 1, 2]);
    const empty = unitStats(new Float32Array(0), 0, 2);
    expect(Array.from(empty.variance)).toEqual([0, 0]);
    expect(Array.from(empty.min)).toEqual([0, 0]);
  });

  it('finds the reference CNN · ELU model’s 21 saturated units and one that fires on a single digit in 2,000', () => {
    const { data } = loadReferenceLatents();
    const stats = unitStats(data, REFERENCE_COUNT, REFERENCE_DIM);
    const neverAboveZero = deadUnits(data, REFERENCE_COUNT, REFERENCE_DIM);
    expect(stats.dead.filter(Boolean).length).toBe(22);
    const extra = stats.dead.flatMap((dead, j) => (dead && !neverAboveZero[j] ? [j] : []));
    expect(extra).toEqual([32]);
    const above = Array.from({ length: REFERENCE_COUNT }, (_, i) => data[i * REFERENCE_DIM + 32]).filter((v) => v > 0);
    expect(above.length).toBe(1);
    for (let j = 0; j < REFERENCE_DIM; j++) if (neverAboveZero[j]) expect(stats.dead[j]).toBe(true);
    // The dead units come last in the order, the live ones first.
    const order = Array.from(stats.order);
    expect(order.slice(0, 42).every((j) => !stats.dead[j])).toBe(true);
    for (let k = 1; k < order.length; k++) expect(stats.variance[order[k - 1]]).toBeGreaterThanOrEqual(stats.variance[order[k]]);
  });
});
