import { describe, expect, it } from 'vitest';
import { checkDivergence, describeDivergence } from '../../src/models/divergence';

describe('divergence check', () => {
  it('flags NaN and infinite losses at once', () => {
    expect(checkDivergence(Number.NaN, 0.23, 1)).toEqual({ kind: 'not-finite', loss: Number.NaN });
    expect(checkDivergence(Number.POSITIVE_INFINITY, 0.23, 2)?.kind).toBe('not-finite');
  });

  it('flags a loss that climbs well above its start, after the first few batches', () => {
    // cnn_elu at learning rate 10 on MNIST: 0.232 then ~0.34 — saturated, bounded, but diverged.
    expect(checkDivergence(0.344, 0.232, 2)).toBeNull();
    expect(checkDivergence(0.344, 0.232, 5)).toEqual({ kind: 'rose', loss: 0.344, firstLoss: 0.232 });
    expect(describeDivergence({ kind: 'rose', loss: 0.344, firstLoss: 0.232 })).toMatch(/rose to 0.3440, far above where it started \(0.2320\)/);
  });

  it('leaves healthy training alone, including a falling or flat loss', () => {
    for (const loss of [0.23, 0.1, 0.02, 0.28]) expect(checkDivergence(loss, 0.232, 50)).toBeNull();
  });
});
