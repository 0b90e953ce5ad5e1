import { describe, expect, it } from 'vitest';
import { DEFAULT_KMEANS_OPTIONS } from '../../src/analysis/kmeans';
import { bestShare, splitRestarts } from '../../src/analysis/kmeans-parts';

describe('KMeans restarts split across workers', () => {
  it('divides n_init as evenly as possible with one seed per share', () => {
    expect(splitRestarts({ ...DEFAULT_KMEANS_OPTIONS, nInit: 10 }, 2).map((o) => [o.nInit, o.seed])).toEqual([
      [5, 42],
      [5, 43],
    ]);
    expect(splitRestarts({ ...DEFAULT_KMEANS_OPTIONS, nInit: 3 }, 2).map((o) => o.nInit)).toEqual([2, 1]);
    expect(splitRestarts({ ...DEFAULT_KMEANS_OPTIONS, nInit: 1 }, 2)).toHaveLength(1);
  });

  it('keeps the lowest inertia and the slowest share’s time', () => {
    expect(bestShare([{ inertia: 7, seconds: 1 }, { inertia: 5, seconds: 3 }, { inertia: 6, seconds: 2 }])).toEqual({ inertia: 5, seconds: 3 });
    expect(() => bestShare([])).toThrow();
  });
});
