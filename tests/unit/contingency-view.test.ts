import { describe, expect, it } from 'vitest';
import { cellLabel, countRows, rowPercentages } from '../../src/ui/contingency-view';

describe('cluster × digit heatmap values', () => {
  // 3 clusters × 4 digits: a big mixed cluster, a small pure one, an empty one.
  const counts = Int32Array.of(30, 10, 50, 10, 0, 7, 0, 0, 0, 0, 0, 0);

  it('splits the counts into rows', () => {
    expect(countRows(counts, 3, 4)).toEqual([
      [30, 10, 50, 10],
      [0, 7, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(() => countRows(counts, 4, 4)).toThrow(/4 × 4/);
  });

  it('normalises each cluster to 100 %, leaving an empty cluster at zero', () => {
    const rows = rowPercentages(counts, 3, 4);
    expect(rows[0]).toEqual([30, 10, 50, 10]);
    expect(rows[1]).toEqual([0, 100, 0, 0]);
    expect(rows[2]).toEqual([0, 0, 0, 0]);
    const uneven = rowPercentages(Int32Array.of(1, 2, 0), 1, 3)[0];
    expect(uneven[0]).toBeCloseTo(100 / 3, 12);
    expect(uneven.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 12);
  });

  it('prints counts as they are and shares as whole percentages', () => {
    expect(cellLabel(1234, false)).toBe('1234');
    expect(cellLabel(33.4, true)).toBe('33%');
    expect(cellLabel(0.2, true)).toBe('<1%');
    expect(cellLabel(0, true)).toBe('0%');
  });
});
