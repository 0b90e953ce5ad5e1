import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointInPolygon } from '../../src/analysis/polygon';
import { mulberry32 } from '../../src/analysis/rng';
import type { AppState } from '../../src/state/app-state';
import { complementSorted, imageOf, latentNeighbours, selectionFile, selectionStats, unionSorted } from '../../src/state/explorer';
import type { LatentJob } from '../../src/state/latent-state';
import { apply, engineEvent, initial, MNIST, ready, recordFor, requests, run } from './state-fixtures';

/** Brute-force k nearest rows (Euclidean, ties by lower row), excluding the row itself. */
function bruteNeighbours(latents: Float32Array, n: number, d: number, index: number, k: number): number[] {
  const rows = Array.from({ length: n }, (_, r) => r).filter((r) => r !== index);
  const dist = (r: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (latents[r * d + j] - latents[index * d + j]) ** 2;
    return s;
  };
  return rows.sort((a, b) => dist(a) - dist(b) || a - b).slice(0, k);
}

describe('latent neighbours', () => {
  it('equal a brute-force k-NN in the codes (not the map), with distances', () => {
    const random = mulberry32(11);
    const [n, d] = [300, 16];
    const latents = Float32Array.from({ length: n * d }, () => random());
    for (const index of [0, 17, 299]) {
      const found = latentNeighbours(latents, n, d, index, 10);
      expect(Array.from(found.indices)).toEqual(bruteNeighbours(latents, n, d, index, 10));
      const far = found.indices[9];
      let s = 0;
      for (let j = 0; j < d; j++) s += (latents[far * d + j] - latents[index * d + j]) ** 2;
      expect(found.distances[9]).toBeCloseTo(Math.sqrt(s), 5);
    }
    // Duplicated codes: ties go to the lower row; fewer rows than k give all the others.
    const same = new Float32Array(5 * 2);
    expect(Array.from(latentNeighbours(same, 5, 2, 2, 10).indices)).toEqual([0, 1, 3, 4]);
  });
});

describe('selection sets', () => {
  it('unions, complements and counts', () => {
    expect(Array.from(unionSorted(Int32Array.of(1, 3, 5), Int32Array.of(2, 3, 9)))).toEqual([1, 2, 3, 5, 9]);
    expect(Array.from(complementSorted(Int32Array.of(0, 2, 3), 6))).toEqual([1, 4, 5]);
    expect(Array.from(complementSorted(new Int32Array(0), 3))).toEqual([0, 1, 2]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 50 })), fc.integer({ min: 0, max: 60 }), (rows, n) => {
        const sorted = Int32Array.from(rows.filter((r) => r < n).sort((a, b) => a - b));
        const rest = complementSorted(sorted, n);
        expect(Array.from(unionSorted(sorted, rest))).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(rest.length + sorted.length).toBe(n);
      }),
    );
    const stats = selectionStats(Int32Array.of(0, 1, 3), Uint8Array.of(7, 7, 1, 2), { assignments: Int32Array.of(0, 1, 1, 1), k: 2 });
    expect(stats.digits).toEqual([0, 0, 1, 0, 0, 0, 0, 2, 0, 0]);
    expect(stats.clusters).toEqual([1, 2]);
  });

  it('names images by set and number, and exports CSV and JSON', () => {
    expect(imageOf(59_999, 'all', 60_000)).toEqual({ set: 'train', number: 59_999 });
    expect(imageOf(60_003, 'all', 60_000)).toEqual({ set: 'test', number: 3 });
    expect(imageOf(4, 'test', 60_000)).toEqual({ set: 'test', number: 4 });
    const latent = { runName: 'Dense · seed 0', split: 'all', dataset: MNIST } as Pick<LatentJob, 'runName' | 'split' | 'dataset'> as LatentJob;
    const context = { latent, labels: Uint8Array.of(5, 0, 4), assignments: Int32Array.of(2, 0, 1), trainCount: 2 };
    expect(selectionFile('csv', Int32Array.of(0, 2), context).text).toBe('set,image,digit,cluster\ntrain,0,5,2\ntest,0,4,1\n');
    const json = JSON.parse(selectionFile('json', Int32Array.of(1), { ...context, assignments: null }).text);
    expect(json).toEqual({ run: 'Dense · seed 0', dataset: 'MNIST', count: 1, images: [{ set: 'train', image: 1, digit: 0, cluster: null }] });
  });
});

/** Data, a run, latents of 6 test images and a finished PCA map with known positions. */
function mapped(): { state: AppState; embedding: Float32Array } {
  let state = apply(
    initial(),
    ready(),
    engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }),
    { type: 'latentsRequested', runId: 'a', split: 'test' },
  );
  const latentJob = state.space.latent?.jobId ?? -1;
  const latents = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.floor(i / 4));
  state = apply(state, engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels: Uint8Array.of(0, 1, 1, 2, 3, 1), count: 6, dim: 4, seconds: 0.1, method: 'sparse', threads: 1 }));
  state = apply(state, { type: 'pcaRequested', n: 6, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 0 });
  const mapJob = state.space.map?.jobId ?? -1;
  const embedding = Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3, 0.5, 2.5, 10, 10);
  state = apply(state, { type: 'analysis', event: { type: 'pcaDone', jobId: mapJob, embedding, explained: [0.9, 0.1], seconds: 0, quality: { kl: null, trustworthiness: null, knnAccuracy: 1 } } });
  return { state, embedding };
}

describe('selection in the page state', () => {
  it('a lasso selects exactly the points inside the polygon and fetches their means and images', () => {
    const { state, embedding } = mapped();
    const polygon = [-0.5, -0.5, 2.5, -0.5, 2.5, 3, -0.5, 3];
    const lasso = run(state, { type: 'lassoDrawn', polygon, add: false });
    const expected = [0, 1, 2, 3, 4, 5].filter((i) => pointInPolygon(embedding[2 * i], embedding[2 * i + 1], polygon));
    expect(expected).toEqual([0, 1, 2, 4]);
    expect(Array.from(lasso.state.space.selection?.indices ?? [])).toEqual(expected);
    expect(requests(lasso.commands)).toMatchObject([
      { type: 'meanImages', runId: 'a', split: 'test', indices: Int32Array.from(expected) },
      { type: 'images', split: 'test', indices: Int32Array.from(expected) },
    ]);
    // Shift-click adds and removes; invert; clear; a digit; export.
    const toggled = apply(lasso.state, { type: 'pointToggled', index: 5 }, { type: 'pointToggled', index: 0 });
    expect(Array.from(toggled.space.selection?.indices ?? [])).toEqual([1, 2, 4, 5]);
    const inverted = apply(toggled, { type: 'selectionInverted' });
    expect(Array.from(inverted.space.selection?.indices ?? [])).toEqual([0, 3]);
    expect(apply(inverted, { type: 'selectionCleared' }).space.selection).toBeNull();
    const ones = apply(inverted, { type: 'digitSelected', digit: 1 });
    expect(Array.from(ones.space.selection?.indices ?? [])).toEqual([1, 2, 5]);
    expect(run(ones, { type: 'digitSelected', digit: 10 }).commands).toEqual([]);
    const exported = run(ones, { type: 'selectionExportRequested', format: 'csv' });
    expect(exported.commands).toMatchObject([{ kind: 'download', fileName: 'selection-3.csv' }]);
    // A lasso added to the selection keeps it.
    const added = apply(ones, { type: 'lassoDrawn', polygon: [9, 9, 11, 9, 11, 11, 9, 11], add: true });
    expect(Array.from(added.space.selection?.indices ?? [])).toEqual([1, 2, 5]);
    const addedMore = apply(ones, { type: 'lassoDrawn', polygon: [-1, -1, 0.5, -1, 0.5, 0.5, -1, 0.5], add: true });
    expect(Array.from(addedMore.space.selection?.indices ?? [])).toEqual([0, 1, 2, 5]);
  });

  it('keeps the means of the latest selection only, and carries the selection onto a new map', () => {
    const { state } = mapped();
    const first = run(state, { type: 'digitSelected', digit: 1 });
    const second = run(first.state, { type: 'digitSelected', digit: 0 });
    const [oldMeans] = requests(first.commands);
    const [newMeans] = requests(second.commands);
    const means = { image: new Float32Array(784).fill(0.5), reconstruction: new Float32Array(784).fill(0.25), count: 1 };
    const stale = apply(second.state, engineEvent({ type: 'meanImages', jobId: oldMeans.type === 'meanImages' ? oldMeans.jobId : -1, ...means }));
    expect(stale.space.selection?.means).toBeNull();
    const fresh = apply(second.state, engineEvent({ type: 'meanImages', jobId: newMeans.type === 'meanImages' ? newMeans.jobId : -1, ...means }));
    expect(fresh.space.selection?.means?.image).toBe(means.image);
    // A map of the first 4 rows keeps selected rows below 4 (digit 1 → rows 1, 2) and fetches their means again.
    const ones = apply(fresh, { type: 'digitSelected', digit: 1 });
    const smaller = run(ones, { type: 'pcaRequested', n: 4, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 0 });
    expect(Array.from(smaller.state.space.selection?.indices ?? [])).toEqual([1, 2]);
    expect(requests(smaller.commands).map((r) => r.type)).toEqual(['meanImages', 'images']);
  });

  it('focuses a clicked point with its latent neighbours, and refuses points off the map', () => {
    const { state } = mapped();
    const focused = run(state, { type: 'pointFocused', index: 2 });
    // Codes are row numbers repeated: row 2's nearest are rows 1 and 3 (tie: lower first), then 0 and 4, then 5.
    expect(Array.from(focused.state.space.focus?.neighbours ?? [])).toEqual([1, 3, 0, 4, 5]);
    expect(Array.from(focused.state.space.focus?.distances ?? [])).toEqual([2, 2, 4, 4, 6]);
    expect(run(state, { type: 'pointFocused', index: 6 }).commands).toEqual([]);
    expect(run(state, { type: 'pointFocused', index: -1 }).commands).toEqual([]);
    expect(apply(focused.state, { type: 'focusCleared' }).space.focus).toBeNull();
  });
});

describe('codes as CSV', () => {
  it('writes one line per image with its set, number, digit and code at float32 precision', async () => {
    const { codesFile } = await import('../../src/state/explorer');
    const latent = { runName: 'r', split: 'all', dataset: MNIST, count: 2, latents: Float32Array.of(0.1, -2, 3.25, 1e-7), labels: Uint8Array.of(4, 9), dim: 2, status: 'done' } as Partial<LatentJob> as LatentJob;
    const text = codesFile(latent, 1) ?? '';
    const [header, first, second] = text.trim().split('\n');
    expect(header).toBe('set,image,digit,z0,z1');
    expect(first).toBe('train,0,4,0.100000001,-2');
    expect(second).toBe('test,0,9,3.25,1.00000001e-7');
    expect(Math.fround(Number(first.split(',')[3]))).toBe(Math.fround(0.1));
  });
});
