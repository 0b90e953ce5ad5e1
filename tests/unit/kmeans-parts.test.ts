import { describe, expect, it } from 'vitest';
import { KMeans, runKMeans, restartRange, restartSeed, type KMeansResult } from '../../src/analysis/kmeans';
import { analysisWorkerCount, bestShare, claimsOf, combineProgress, combineShareEnds, shareRestarts, type ShareEnd } from '../../src/analysis/kmeans-parts';
import { gaussian, mulberry32 } from '../../src/analysis/rng';

/** N points around `k` random centres (spread 1, centres spread `sep`), row-major. */
function blobs(n: number, d: number, k: number, sep: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: k * d }, () => sep * gaussian(rng));
  return Float32Array.from({ length: n * d }, (_, i) => centres[(Math.floor(i / d) % k) * d + (i % d)] + gaussian(rng));
}

/** Everything a claimed fit's result says, for comparing fits exactly. */
function fingerprint(result: KMeansResult | null) {
  if (result === null) throw new Error('no result');
  return { inertia: result.inertia, bestInit: result.bestInit, iterations: result.iterations, labels: Array.from(result.labels), centroids: Array.from(result.centroids) };
}

/** The best of several shares' results, as the analysis client picks it. */
function bestOf(results: (KMeansResult | null)[]): KMeansResult {
  const done = results.filter((r): r is KMeansResult => r !== null).map((r) => ({ ...r, seconds: 0 }));
  return bestShare(done);
}

describe('KMeans restarts shared across workers', () => {
  it('shares: one counter for all where memory can be shared, else consecutive ranges as even as possible', () => {
    const shared = shareRestarts(10, 2, true);
    expect(shared).toHaveLength(2);
    expect(shared.every((s) => s.kind === 'shared' && s.counter === (shared[0].kind === 'shared' ? shared[0].counter : null))).toBe(true);
    expect(shareRestarts(10, 2, false)).toEqual([
      { kind: 'range', first: 0, count: 5 },
      { kind: 'range', first: 5, count: 5 },
    ]);
    expect(shareRestarts(3, 2, false)).toEqual([
      { kind: 'range', first: 0, count: 2 },
      { kind: 'range', first: 2, count: 1 },
    ]);
    // One restart, or one worker: one share, a plain range.
    expect(shareRestarts(1, 2, true)).toEqual([{ kind: 'range', first: 0, count: 1 }]);
    expect(shareRestarts(10, 1, true)).toEqual([{ kind: 'range', first: 0, count: 10 }]);
  });

  it('uses a worker per core up to 4 (per core pair beyond), never fewer than 2', () => {
    expect([1, 2, 3, 4, 6, 8, 16, Number.NaN, 0].map(analysisWorkerCount)).toEqual([2, 2, 3, 4, 3, 4, 4, 2, 2]);
  });

  it('claims from a shared counter hand out every restart exactly once, however the claims interleave', () => {
    const [a, b] = shareRestarts(7, 2, true).map((share) => claimsOf(share, 7));
    const order = [a, a, b, a, b, b, a, b, a];
    expect(order.map((claims) => claims.next())).toEqual([0, 1, 2, 3, 4, 5, 6, null, null]);
    const range = claimsOf({ kind: 'range', first: 3, count: 2 }, 7);
    expect([range.next(), range.next(), range.next()]).toEqual([3, 4, null]);
  });

  it('seeds each restart from the job’s seed and its index: distinct, and not the plain fit’s stream', () => {
    const seeds = new Set(Array.from({ length: 100 }, (_, i) => restartSeed(42, i)));
    expect(seeds.size).toBe(100);
    expect(restartSeed(42, 0)).not.toBe(restartSeed(43, 0));
    expect(restartSeed(42, 1)).not.toBe(restartSeed(43, 0));
    expect(restartSeed(42, 3)).toBe(restartSeed(42, 3));
  });

  it('gives the same fit whether one worker runs every restart, two run fixed halves, or two claim them one at a time', async () => {
    const [n, d] = [1200, 6];
    const data = blobs(n, d, 6, 1.2, 5);
    const options = { k: 6, nInit: 6, seed: 11 };
    const whole = await runKMeans(data, n, d, options, {}, restartRange(0, 6));
    if (whole.status !== 'completed') throw new Error('not completed');
    const halves = await Promise.all([runKMeans(data, n, d, options, {}, restartRange(0, 3)), runKMeans(data, n, d, options, {}, restartRange(3, 3))]);
    // Two fits stepping in turn (one a step ahead) claim from one counter, as two workers do.
    const [claimsA, claimsB] = shareRestarts(6, 2, true).map((share) => claimsOf(share, 6));
    const fitA = new KMeans(options, undefined, 'auto', claimsA);
    const fitB = new KMeans(options, undefined, 'auto', claimsB);
    fitA.initialize(data, n, d);
    fitB.initialize(data, n, d);
    let [doneA, doneB] = [fitA.step(), false];
    while (!doneA || !doneB) {
      if (!doneB) doneB = fitB.step();
      if (!doneA) doneA = fitA.step();
    }
    expect(fitA.completedInits + fitB.completedInits).toBe(6);
    expect(fitA.completedInits).toBeGreaterThan(0);
    expect(fitB.completedInits).toBeGreaterThan(0);
    const want = fingerprint(whole.result);
    expect(fingerprint(bestOf(halves.map((h) => (h.status === 'completed' ? h.result : null))))).toEqual(want);
    expect(fingerprint(bestOf([fitA.getResult(), fitB.getResult()]))).toEqual(want);
    // The restarts differ (else the comparison above would prove little), and the best is the lowest of them.
    const singles = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => runKMeans(data, n, d, options, {}, restartRange(i, 1))));
    const inertias = singles.map((s) => (s.status === 'completed' ? (s.result?.inertia ?? NaN) : NaN));
    expect(new Set(inertias).size).toBeGreaterThan(1);
    expect(want.inertia).toBe(Math.min(...inertias));
    expect(inertias.indexOf(want.inertia)).toBe(want.bestInit);
  });

  it('ends a worker that finds every restart taken with no result, and the job still ends with the best', async () => {
    const data = blobs(300, 4, 3, 3, 2);
    const [claimsA, claimsB] = shareRestarts(2, 2, true).map((share) => claimsOf(share, 2));
    claimsA.next();
    claimsA.next();
    const empty = await runKMeans(data, 300, 4, { k: 3, nInit: 2, seed: 1 }, {}, claimsB);
    expect(empty).toMatchObject({ status: 'completed', result: null, completedInits: 0 });
    type Summary = { inertia: number; bestInit: number; seconds: number };
    const ends: ShareEnd<Summary>[] = [
      { status: 'done', summary: { inertia: 5, bestInit: 1, seconds: 2 }, completedInits: 2 },
      { status: 'done', summary: null, completedInits: 0 },
    ];
    expect(combineShareEnds(ends, 2)).toEqual({ status: 'done', summary: { inertia: 5, bestInit: 1, seconds: 2 } });
  });

  it('keeps the lowest inertia, ties to the lower restart, and the slowest share’s time', () => {
    const s = (inertia: number, bestInit: number, seconds: number) => ({ inertia, bestInit, seconds });
    expect(bestShare([s(7, 0, 1), s(5, 3, 3), s(6, 1, 2)])).toEqual(s(5, 3, 3));
    expect(bestShare([s(5, 4, 1), s(5, 2, 2)])).toEqual(s(5, 2, 2));
    expect(bestShare([s(5, 2, 2), s(5, 4, 1)])).toEqual(s(5, 2, 2));
    expect(() => bestShare([])).toThrow();
  });

  it('sums the shares’ finished restarts into one progress', () => {
    expect(combineProgress([null, null], 10)).toBeNull();
    expect(
      combineProgress(
        [
          { init: 3, nInit: 10, iteration: 4, inertia: 9 },
          { init: 2, nInit: 10, iteration: 7, inertia: 8 },
        ],
        10,
      ),
    ).toEqual({ init: 5, nInit: 10, iteration: 7, inertia: 8 });
  });

  it('ends the job once every share has: the best result, or one cancellation counting all shares’ finished restarts', () => {
    type Summary = { inertia: number; bestInit: number; seconds: number };
    const done = (inertia: number, seconds: number, completedInits: number): ShareEnd<Summary> => ({ status: 'done', summary: { inertia, bestInit: 0, seconds }, completedInits });
    const cancelled = (completedInits: number): ShareEnd<Summary> => ({ status: 'cancelled', completedInits });
    // Still running: nothing to report yet, whatever the other share did.
    expect(combineShareEnds([done(5, 1, 5), null], 10)).toBeNull();
    expect(combineShareEnds([null, cancelled(2)], 10)).toBeNull();
    expect(combineShareEnds([done(7, 1, 5), done(5, 3, 5)], 10)).toEqual({ status: 'done', summary: { inertia: 5, bestInit: 0, seconds: 3 } });
    // Both cancelled: 4 + 3 of 10, not one share's "4 of 5".
    expect(combineShareEnds([cancelled(4), cancelled(3)], 10)).toEqual({
      status: 'cancelled',
      completedInits: 7,
      message: 'Cancelled after 7 of 10 initialisations.',
    });
    // One share finished before the cancel reached it: the restarts it ran count.
    expect(combineShareEnds([done(5, 1, 2), cancelled(0)], 3)).toEqual({
      status: 'cancelled',
      completedInits: 2,
      message: 'Cancelled after 2 of 3 initialisations.',
    });
  });
});
