import { describe, expect, it } from 'vitest';
import { exactKnn } from '../../src/analysis/knn';
import { gaussian, mulberry32 } from '../../src/analysis/rng';
import { Tsne } from '../../src/analysis/tsne';
import {
  LocalAttraction,
  SharedAttraction,
  serveAttraction,
  serveOnePending,
  sharedAttractionMemory,
  type AttractionSource,
  type SharedAttractionMemory,
} from '../../src/analysis/tsne-attraction';
import { jointAffinities, type SparseAffinities } from '../../src/analysis/tsneAffinities';
import { Attraction, attractiveForces } from '../../src/analysis/tsneGradient';

/** Affinities of n random points in d dimensions (perplexity 5) and a random map. */
function problem(n: number, seed: number): { P: SparseAffinities; y: Float64Array; data: Float32Array } {
  const rng = mulberry32(seed);
  const d = 6;
  const data = Float32Array.from({ length: n * d }, () => gaussian(rng) + (Math.floor(rng() * 3) - 1) * 4);
  const P = jointAffinities(exactKnn(data, n, d, 16), 5);
  const y = Float64Array.from({ length: 2 * n }, () => gaussian(rng) * 10);
  return { P, y, data };
}

describe('attraction on a helper thread (shared-memory protocol, helper simulated on this thread)', () => {
  it('answers with exactly the forces computed here, step after step', () => {
    const { P, y } = problem(120, 1);
    const memory = sharedAttractionMemory(P);
    const shared = new SharedAttraction(memory);
    const expected = new Float64Array(2 * P.n);
    const got = new Float64Array(2 * P.n);
    for (let step = 0; step < 3; step++) {
      for (let e = 0; e < y.length; e++) y[e] += step; // a different map each step
      // The first step: the helper has not said READY yet, so the forces are computed here.
      shared.begin(y);
      if (step > 0) expect(serveOnePending(memory)).toBe(true);
      shared.end(got);
      new Attraction(P).compute(y, expected);
      expect(got).toEqual(expected);
      if (step === 0) expect(serveOnePending(memory)).toBe(false); // nothing was asked of it
    }
    expect(shared.helperActive).toBe(true);
  });

  it('falls back to this thread when the helper misses its deadline, and stops counting on it', () => {
    const { P, y } = problem(60, 2);
    const memory = sharedAttractionMemory(P);
    const shared = new SharedAttraction(memory, 20);
    serveOnePending(memory); // READY, with nothing pending
    const expected = new Float64Array(2 * P.n);
    new Attraction(P).compute(y, expected);
    const got = new Float64Array(2 * P.n);
    shared.begin(y); // delegated; nobody answers
    shared.end(got);
    expect(got).toEqual(expected);
    expect(shared.helperActive).toBe(false);
    expect(serveOnePending(memory)).toBe(true); // the late helper answers the old request, which nobody reads
    shared.begin(y);
    expect(serveOnePending(memory)).toBe(false); // not delegated again: no new request
    shared.end(got);
    expect(got).toEqual(expected);
  });

  it('releases the helper on dispose: its loop ends at once', () => {
    const { P } = problem(40, 3);
    const memory = sharedAttractionMemory(P);
    let released = 0;
    const shared = new SharedAttraction(memory, 1000, () => released++);
    shared.dispose();
    shared.dispose();
    expect(released).toBe(1);
    expect(serveAttraction(memory)).toBe(0);
    expect(serveOnePending(memory)).toBe(false);
  });

  it('gives a t-SNE run the same map, bit for bit, as the forces computed in place', () => {
    const { P, data } = problem(150, 4);
    const reference = new Tsne({ iterations: 60, perplexity: 5 });
    reference.initializeFromAffinities(P, reference.initialEmbedding(data, 150, 6));
    let served = 0;
    let memory: SharedAttractionMemory | null = null;
    const threaded = new Tsne({ iterations: 60, perplexity: 5 }, (affinities): AttractionSource => {
      memory = sharedAttractionMemory(affinities);
      const shared = new SharedAttraction(memory);
      return {
        begin: (y) => {
          shared.begin(y);
          if (memory && serveOnePending(memory)) served++;
        },
        end: (out) => shared.end(out),
        dispose: () => shared.dispose(),
      };
    });
    threaded.initializeFromAffinities(P, threaded.initialEmbedding(data, 150, 6));
    while (!reference.done) reference.step();
    while (!threaded.done) threaded.step();
    expect(threaded.embedding()).toEqual(reference.embedding());
    expect(served).toBe(59); // every step but the first, before the helper said READY
    threaded.dispose();
    expect(memory === null ? -1 : serveAttraction(memory)).toBe(0);
  });

  it('computes the same forces as the plain row loop, to rounding (the fast kernels sum in another order)', () => {
    const { P, y } = problem(90, 6);
    const local = new LocalAttraction(P);
    const got = new Float64Array(2 * P.n);
    const rows = new Float64Array(2 * P.n);
    local.begin(y);
    local.end(got);
    attractiveForces(P, y, rows);
    let worst = 0;
    let scale = 0;
    for (let e = 0; e < rows.length; e++) {
      worst = Math.max(worst, Math.abs(got[e] - rows[e]));
      scale = Math.max(scale, Math.abs(rows[e]));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(1e-12 * scale);
  });

  it('LocalAttraction refuses end() before begin()', () => {
    const { P } = problem(30, 5);
    const local = new LocalAttraction(P);
    expect(() => local.end(new Float64Array(60))).toThrow(/before begin/);
  });
});
