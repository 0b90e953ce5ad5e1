import { describe, expect, it } from 'vitest';
import { combineProgress } from '../../src/analysis/kmeans-parts';
import type { AppState, UiAction } from '../../src/state/app-state';
import { pickMembers, spreadIndices } from '../../src/state/latent-state';
import type { AnalysisJobEvent } from '../../src/worker/protocol';
import { apply, engineEvent, initial, MNIST, ready, recordFor, requests, run } from './state-fixtures';

const analysis = (event: AnalysisJobEvent): UiAction => ({ type: 'analysis', event });

/** A state with data loaded and one finished run 'a'. */
function trainedState(): AppState {
  return apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }));
}

const summary = (inertia: number) => ({
  assignments: Int32Array.of(0, 1, 1, 0),
  centroids: new Float32Array(128),
  k: 2,
  inertia,
  iterations: 2,
  bestInit: 0,
  seconds: 0.01,
  ari: 1,
  nmi: 1,
  purity: 1,
  contingency: Int32Array.of(2, 0, 0, 2),
});

describe('latent-space state', () => {
  it('refuses latents for a run that does not exist or is still training', () => {
    expect(run(trainedState(), { type: 'latentsRequested', runId: 'nope', split: 'test' }).commands).toEqual([]);
    const training = apply(trainedState(), { type: 'trainRequested' });
    expect(run(training, { type: 'latentsRequested', runId: 's-1', split: 'test' }).commands).toEqual([]);
  });

  it('follows latents → KMeans → decoded centres and members through commands, dropping stale job events', () => {
    const asked = run(trainedState(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = asked.state.space.latent?.jobId ?? -1;
    expect(requests(asked.commands)).toEqual([{ type: 'latents', jobId: latentJob, runId: 'a', split: 'test' }]);
    expect(asked.state.space.latent?.runName).toBe('Dense · seed 0 · lr 0.001');
    const latents = new Float32Array(4 * 64);
    const labels = Uint8Array.of(0, 1, 1, 0);
    let step = run(
      asked.state,
      engineEvent({ type: 'latentsProgress', jobId: latentJob, done: 2, total: 4 }),
      engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels, count: 4, dim: 64, seconds: 0.1, method: 'sparse', threads: 1 }),
      { type: 'kmeansRequested', options: { k: 2, nInit: 1, maxIter: 10, tol: 1e-4, seed: 1 } },
    );
    expect(step.state.space.latent).toMatchObject({ status: 'done', dataset: MNIST });
    const kmeans = step.state.space.kmeans;
    if (!kmeans) throw new Error('expected a KMeans job');
    // One KMeans command for the whole job: the analysis client spreads its restarts over the workers.
    expect(step.commands).toEqual([{ kind: 'kmeans', jobId: kmeans.jobId, latents, labels, count: 4, dim: 64, options: { k: 2, nInit: 1, maxIter: 10, tol: 1e-4, seed: 1 } }]);
    step = run(
      step.state,
      analysis({ type: 'kmeansProgress', jobId: kmeans.jobId - 100, progress: { init: 9, nInit: 10, iteration: 1, inertia: 1 } }),
      analysis({ type: 'kmeansDone', jobId: kmeans.jobId, summary: summary(3) }),
    );
    expect(step.state.space.kmeans?.progress).toBeNull();
    expect(Array.from(step.state.space.kmeans?.memberIndices?.subarray(0, 2) ?? [])).toEqual([0, 3]);
    expect(requests(step.commands).map((r) => r.type)).toEqual(['decode', 'images']);
    expect(requests(step.commands)[0]).toMatchObject({ type: 'decode', jobId: kmeans.centresJobId, runId: 'a', count: 2 });
    let state = apply(step.state, engineEvent({ type: 'decoded', jobId: kmeans.centresJobId, images: new Float32Array(2 * 784), count: 2 }));
    expect(state.space.kmeans?.centres?.length).toBe(2 * 784);
    // A late decode of an unknown job changes nothing.
    expect(apply(state, engineEvent({ type: 'decoded', jobId: 9999, images: new Float32Array(784), count: 1 }))).toBe(state);
    // New latents replace the clustering that belonged to the old ones.
    state = apply(state, { type: 'latentsRequested', runId: 'a', split: 'train' });
    expect(state.space.kmeans).toBeNull();
  });

  it('cancel sends the cancel command and keeps what was computed before', () => {
    const asked = apply(trainedState(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const jobId = asked.space.latent?.jobId ?? -1;
    const cancelling = run(asked, { type: 'cancelRequested', job: 'latent' });
    expect(requests(cancelling.commands)).toEqual([{ type: 'cancel', jobId }]);
    expect(cancelling.state.space.latent?.status).toBe('cancelling');
    const state = apply(cancelling.state, engineEvent({ type: 'jobEnded', jobId, outcome: 'cancelled', message: 'Cancelled' }));
    expect(state.space.latent?.status).toBe('cancelled');
    expect(state.runs.runs).toHaveLength(1);
  });

  it('map, hover and walk decode through the latents’ run', () => {
    const latents = Float32Array.from({ length: 4 * 64 }, (_, i) => i);
    let state = apply(trainedState(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(state, engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels: Uint8Array.of(0, 1, 1, 0), count: 4, dim: 64, seconds: 0.1, method: 'sparse', threads: 1 }));
    const map = run(state, { type: 'mapRequested', n: 4, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 2 });
    // The address follows the new map (kind and settings), so the view can be shared.
    expect(map.commands.map((c) => c.kind)).toEqual(['tsne', 'engine', 'replaceUrl']);
    expect(map.commands[2]).toEqual({ kind: 'replaceUrl', hash: 'map=tsne&points=4&perplexity=1&iterations=250' });
    // Thumbnails travel as bytes (784 per image), not floats; the answer lands in the map, a stale one does not.
    const thumbsJobId = map.state.space.map?.thumbsJobId ?? -1;
    expect(requests(map.commands)).toEqual([{ type: 'imageBytes', jobId: thumbsJobId, split: 'test', indices: Int32Array.of(0, 2) }]);
    const pixels = Uint8Array.from({ length: 2 * 784 }, (_, i) => i % 256);
    expect(apply(map.state, engineEvent({ type: 'imageBytes', jobId: thumbsJobId + 100, pixels, count: 2 })).space.map?.thumbs).toBeNull();
    expect(apply(map.state, engineEvent({ type: 'images', jobId: thumbsJobId, images: new Float32Array(2 * 784), count: 2 })).space.map?.thumbs).toBeNull();
    expect(apply(map.state, engineEvent({ type: 'imageBytes', jobId: thumbsJobId, pixels, count: 2 })).space.map?.thumbs).toBe(pixels);
    // All of a map's points as thumbnails: one request for every index, in order.
    const all = run(state, { type: 'pcaRequested', n: 4, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 4 });
    expect(requests(all.commands)).toMatchObject([{ type: 'imageBytes', indices: Int32Array.of(0, 1, 2, 3) }]);
    const hover = run(map.state, { type: 'mapHovered', index: 2 });
    expect(requests(hover.commands).map((r) => r.type)).toEqual(['images', 'decode']);
    expect(requests(hover.commands)[1]).toMatchObject({ runId: 'a', count: 1, codes: latents.slice(128, 192) });
    // A click focuses a point (its latent neighbours' images are fetched); a walk started there ends at the next click.
    const focused = run(hover.state, { type: 'mapClicked', index: 0 });
    expect(requests(focused.commands)).toMatchObject([{ type: 'images', indices: Int32Array.of(0, 1, 2, 3) }]);
    const walk = run(focused.state, { type: 'walkStarted', index: 0 }, { type: 'mapClicked', index: 3 });
    expect(requests(walk.commands).map((r) => r.type)).toEqual(['images', 'decode', 'images']);
    expect(requests(walk.commands)[1]).toMatchObject({ type: 'decode', runId: 'a', count: 10 });
    expect(requests(walk.commands)[2]).toMatchObject({ type: 'images', indices: Int32Array.of(0, 3) });
    const longer = run(walk.state, { type: 'walkStepsChanged', steps: 16 });
    expect(requests(longer.commands)[0]).toMatchObject({ type: 'decode', count: 16 });
    expect(run(longer.state, { type: 'walkStepsChanged', steps: 2 }).commands).toEqual([]);
  });

  it('a PCA map is one analysis command and lands as a finished map with its explained variance', () => {
    const latents = Float32Array.from({ length: 4 * 64 }, (_, i) => i % 7);
    let state = apply(trainedState(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(state, engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels: Uint8Array.of(0, 1, 1, 0), count: 4, dim: 64, seconds: 0.1, method: 'sparse', threads: 1 }));
    const asked = run(state, { type: 'pcaRequested', n: 3, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 0 });
    const map = asked.state.space.map;
    if (!map) throw new Error('expected a map job');
    expect(map).toMatchObject({ kind: 'pca', status: 'running', n: 3 });
    expect(asked.commands).toEqual([{ kind: 'pca', jobId: map.jobId, latents, labels: Uint8Array.of(0, 1, 1, 0), n: 3, dim: 64 }, { kind: 'replaceUrl', hash: 'map=pca&points=3' }]);
    // Another map is refused while this one runs; a late event of another job changes nothing.
    expect(run(asked.state, { type: 'mapRequested', n: 3, options: { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 }, thumbnails: 0 }).commands).toEqual([]);
    const embedding = Float32Array.of(1, 2, 3, 4, 5, 6);
    const quality = { kl: null, trustworthiness: null, knnAccuracy: 1 };
    const stale = apply(asked.state, analysis({ type: 'pcaDone', jobId: map.jobId + 50, embedding, explained: [0.6, 0.3], seconds: 0.01, quality }));
    expect(stale.space.map?.status).toBe('running');
    const done = apply(asked.state, analysis({ type: 'pcaDone', jobId: map.jobId, embedding, explained: [0.6, 0.3], seconds: 0.01, quality }));
    expect(done.space.map).toMatchObject({ kind: 'pca', status: 'done', embedding, explained: [0.6, 0.3], quality });
  });

  it('a UMAP map runs live, keeps the layout it replaces for the move, and ends with its quality', () => {
    const latents = Float32Array.from({ length: 4 * 64 }, (_, i) => i % 5);
    const labels = Uint8Array.of(0, 1, 1, 0);
    const tsneOptions = { perplexity: 1, learningRate: 100, iterations: 250, seed: 0 };
    let state = apply(trainedState(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(state, engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels, count: 4, dim: 64, seconds: 0.1, method: 'sparse', threads: 1 }));
    // First a PCA map of 4 points.
    const pcaAsked = apply(state, { type: 'pcaRequested', n: 4, options: tsneOptions, thumbnails: 0 });
    const pcaJob = pcaAsked.space.map?.jobId ?? -1;
    expect(pcaAsked.space.map?.previous).toBeNull();
    const pcaLayout = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const quality = { kl: null, trustworthiness: null, knnAccuracy: 1 };
    state = apply(pcaAsked, analysis({ type: 'pcaDone', jobId: pcaJob, embedding: pcaLayout, explained: [0.6, 0.3], seconds: 0.01, quality }));
    // Then UMAP of the same 4: the PCA layout is kept as the one to move from.
    const umap = { nNeighbors: 3, minDist: 0.1, seed: 7 };
    const asked = run(state, { type: 'umapRequested', n: 4, options: tsneOptions, umap, thumbnails: 0 });
    const map = asked.state.space.map;
    if (!map) throw new Error('expected a map job');
    expect(map).toMatchObject({ kind: 'umap', status: 'running', n: 4, umapOptions: umap, previous: pcaLayout, embedding: null });
    expect(asked.commands[0]).toEqual({ kind: 'umap', jobId: map.jobId, latents, labels, n: 4, dim: 64, options: umap });
    expect(asked.commands.slice(1).map((c) => c.kind)).toEqual(['replaceUrl']);
    const progress = { phase: 'optimise' as const, iteration: 40, iterations: 500, fraction: 0.08 };
    let live = apply(asked.state, analysis({ type: 'umapProgress', jobId: map.jobId, progress }));
    expect(live.space.map).toMatchObject({ progress, iteration: 40 });
    const frame = Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3);
    live = apply(live, analysis({ type: 'umapFrame', jobId: map.jobId, epoch: 42, embedding: frame }));
    expect(live.space.map).toMatchObject({ embedding: frame, iteration: 42, previous: pcaLayout });
    const final = Float32Array.of(9, 9, 8, 8, 7, 7, 6, 6);
    const umapQuality = { kl: null, trustworthiness: 0.9, knnAccuracy: 0.75 };
    const done = apply(live, analysis({ type: 'umapDone', jobId: map.jobId, embedding: final, epochs: 500, stopped: false, seconds: 1.5, quality: umapQuality }));
    expect(done.space.map).toMatchObject({ status: 'done', embedding: final, iteration: 500, quality: umapQuality, message: null });
    // A map of other points has nothing to move from; neither does the next map keep a chain of layouts.
    expect(run(done, { type: 'pcaRequested', n: 3, options: tsneOptions, thumbnails: 0 }).state.space.map?.previous).toBeNull();
    expect(run(done, { type: 'mapRequested', n: 4, options: tsneOptions, thumbnails: 0 }).state.space.map?.previous).toBe(final);
    // A stopped UMAP keeps its map so far and says where it stopped.
    const stopped = apply(live, analysis({ type: 'umapDone', jobId: map.jobId, embedding: frame, epochs: 42, stopped: true, seconds: 1, quality: null }));
    expect(stopped.space.map).toMatchObject({ status: 'cancelled', message: 'Stopped after 42 epochs; the map so far stays.' });
  });

  it('combines KMeans shares’ progress as one job', () => {
    expect(combineProgress([{ init: 2, nInit: 5, iteration: 7, inertia: 9 }, { init: 3, nInit: 5, iteration: 4, inertia: 8 }], 10)).toEqual({ init: 5, nInit: 10, iteration: 7, inertia: 8 });
    expect(combineProgress([null, null], 10)).toBeNull();
  });

  it('picks the first members of each cluster and spreads thumbnails evenly', () => {
    expect(Array.from(pickMembers(Int32Array.of(1, 0, 1, 1, 2), 3, 2))).toEqual([1, -1, 0, 2, 4, -1]);
    expect(Array.from(spreadIndices(10, 4))).toEqual([0, 2, 5, 7]);
    expect(Array.from(spreadIndices(3, 10))).toEqual([0, 1, 2]);
  });
});
