import { describe, expect, it } from 'vitest';
import { DEFAULT_KMEANS_OPTIONS } from '../../src/analysis/kmeans';
import { bestShare, combineShareEnds, splitRestarts, type ShareEnd } from '../../src/analysis/kmeans-parts';

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

  it('ends the job once every share has: the best result, or one cancellation counting all shares’ finished restarts', () => {
    type Summary = { inertia: number; seconds: number };
    const done = (inertia: number, seconds: number): ShareEnd<Summary> => ({ status: 'done', summary: { inertia, seconds } });
    const cancelled = (completedInits: number): ShareEnd<Summary> => ({ status: 'cancelled', completedInits });
    // Still running: nothing to report yet, whatever the other share did.
    expect(combineShareEnds([done(5, 1), null], [5, 5], 10)).toBeNull();
    expect(combineShareEnds([null, cancelled(2)], [5, 5], 10)).toBeNull();
    expect(combineShareEnds([done(7, 1), done(5, 3)], [5, 5], 10)).toEqual({ status: 'done', summary: { inertia: 5, seconds: 3 } });
    // Both cancelled: 4 + 3 of 10, not one share's "4 of 5".
    expect(combineShareEnds([cancelled(4), cancelled(3)], [5, 5], 10)).toEqual({
      status: 'cancelled',
      completedInits: 7,
      message: 'Cancelled after 7 of 10 initialisations.',
    });
    // One share finished before the cancel reached it: all its restarts count.
    expect(combineShareEnds([done(5, 1), cancelled(0)], [2, 1], 3)).toEqual({
      status: 'cancelled',
      completedInits: 2,
      message: 'Cancelled after 2 of 3 initialisations.',
    });
  });
});
