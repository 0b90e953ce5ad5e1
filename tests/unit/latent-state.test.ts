import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, reduce, type AppState, type UiAction } from '../../src/state/app-state';
import { pickMembers, spreadIndices } from '../../src/state/latent-state';
import type { AnalysisEvent, EngineEvent } from '../../src/worker/protocol';

const engine = (event: EngineEvent): UiAction => ({ type: 'engine', event });
const analysis = (event: AnalysisEvent): UiAction => ({ type: 'analysis', event });
const apply = (state: AppState, ...actions: UiAction[]) => actions.reduce(reduce, state);

/** A state with data loaded and a dense model trained (run 1 ended). */
function trainedState(): AppState {
  return apply(
    INITIAL_STATE,
    engine({ type: 'dataReady', name: 'MNIST', trainCount: 60000, testCount: 10000, millis: 1, previewImages: new Float32Array(0), previewLabels: new Uint8Array(0) }),
    { type: 'trainRequested' },
    engine({ type: 'trainStarted', runId: 1, arch: 'dense', epochs: 1, trainSize: 512, batchesPerEpoch: 2, initialTestMse: 0.23 }),
    engine({ type: 'trainEnd', runId: 1, outcome: 'completed', epochsCompleted: 1, final: { testMse: 0.1, deadUnits: 5 } }),
  );
}

describe('latent-space state', () => {
  it('refuses latents for a model that was never trained', () => {
    const state = apply(INITIAL_STATE, { type: 'latentsRequested', arch: 'cnn_elu', split: 'test' });
    expect(state.space.latent).toBeNull();
  });

  it('follows latents → KMeans → decoded centres and members, dropping stale job events', () => {
    let state = apply(trainedState(), { type: 'latentsRequested', arch: 'dense', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(
      state,
      engine({ type: 'latentsProgress', jobId: latentJob, done: 2000, total: 4 }),
      engine({ type: 'latentsReady', jobId: latentJob, arch: 'dense', split: 'test', latents: new Float32Array(4 * 64), labels: Uint8Array.of(0, 1, 1, 0), count: 4, seconds: 0.1 }),
      { type: 'kmeansRequested', options: { k: 2, nInit: 1, maxIter: 10, tol: 1e-4, seed: 1 } },
    );
    expect(state.space.latent?.status).toBe('done');
    const kmeans = state.space.kmeans;
    if (!kmeans) throw new Error('expected a KMeans job');
    const summary = (inertia: number, seconds: number) => ({
      assignments: Int32Array.of(0, 1, 1, 0),
      centroids: new Float32Array(128),
      k: 2,
      inertia,
      iterations: 2,
      seconds,
      ari: 1,
      nmi: 1,
      purity: 1,
      contingency: Int32Array.of(2, 0, 0, 2),
    });
    // The restarts are split across two workers; nInit 1 leaves one share.
    expect(kmeans.shares).toHaveLength(1);
    state = apply(
      state,
      // Progress of an older KMeans job is ignored.
      analysis({ type: 'kmeansProgress', jobId: kmeans.jobId - 100, part: 0, progress: { init: 9, nInit: 10, iteration: 1, inertia: 1 } }),
      analysis({ type: 'kmeansDone', jobId: kmeans.jobId, part: 0, summary: summary(3, 0.01) }),
    );
    expect(state.space.kmeans?.progress).toBeNull();
    expect(Array.from(state.space.kmeans?.memberIndices?.subarray(0, 2) ?? [])).toEqual([0, 3]);
    state = apply(state, engine({ type: 'decoded', jobId: kmeans.centresJobId, images: new Float32Array(2 * 784), count: 2 }));
    expect(state.space.kmeans?.centres?.length).toBe(2 * 784);
    // New latents replace the clustering that belonged to the old ones.
    state = apply(state, { type: 'latentsRequested', arch: 'dense', split: 'train' });
    expect(state.space.kmeans).toBeNull();
  });

  it('waits for every share of the restarts and keeps the best, timed by the slowest', () => {
    let state = apply(trainedState(), { type: 'latentsRequested', arch: 'dense', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(
      state,
      engine({ type: 'latentsReady', jobId: latentJob, arch: 'dense', split: 'test', latents: new Float32Array(4 * 64), labels: Uint8Array.of(0, 1, 1, 0), count: 4, seconds: 0.1 }),
      { type: 'kmeansRequested', options: { k: 2, nInit: 10, maxIter: 10, tol: 1e-4, seed: 42 } },
    );
    const kmeans = state.space.kmeans;
    if (!kmeans) throw new Error('expected a KMeans job');
    expect(kmeans.shares.map((s) => [s.nInit, s.seed])).toEqual([
      [5, 42],
      [5, 43],
    ]);
    const result = (inertia: number, seconds: number) => ({
      assignments: Int32Array.of(0, 0, 1, 1),
      centroids: new Float32Array(128),
      k: 2,
      inertia,
      iterations: 3,
      seconds,
      ari: 0,
      nmi: 0,
      purity: 0.5,
      contingency: Int32Array.of(1, 1, 1, 1),
    });
    state = apply(
      state,
      analysis({ type: 'kmeansProgress', jobId: kmeans.jobId, part: 0, progress: { init: 2, nInit: 5, iteration: 7, inertia: 9 } }),
      analysis({ type: 'kmeansProgress', jobId: kmeans.jobId, part: 1, progress: { init: 3, nInit: 5, iteration: 4, inertia: 8 } }),
    );
    expect(state.space.kmeans?.progress).toEqual({ init: 5, nInit: 10, iteration: 7, inertia: 8 });
    state = apply(state, analysis({ type: 'kmeansDone', jobId: kmeans.jobId, part: 1, summary: result(5, 2) }));
    expect(state.space.kmeans?.status).toBe('running');
    state = apply(state, analysis({ type: 'kmeansDone', jobId: kmeans.jobId, part: 0, summary: result(6, 3) }));
    expect(state.space.kmeans?.status).toBe('done');
    expect(state.space.kmeans?.summary?.inertia).toBe(5);
    expect(state.space.kmeans?.summary?.seconds).toBe(3);
  });

  it('a cancelled job keeps what was computed before it', () => {
    let state = apply(trainedState(), { type: 'latentsRequested', arch: 'dense', split: 'test' });
    const jobId = state.space.latent?.jobId ?? -1;
    state = apply(state, { type: 'cancelRequested', job: 'latent' });
    expect(state.space.latent?.status).toBe('cancelling');
    state = apply(state, engine({ type: 'jobEnded', jobId, outcome: 'cancelled', message: 'Cancelled' }));
    expect(state.space.latent?.status).toBe('cancelled');
    expect(state.trained.dense).toEqual({ epochs: 1, testMse: 0.1 });
    expect(state.runs).toHaveLength(1);
  });

  it('picks the first members of each cluster and spreads thumbnails evenly', () => {
    expect(Array.from(pickMembers(Int32Array.of(1, 0, 1, 1, 2), 3, 2))).toEqual([1, -1, 0, 2, 4, -1]);
    expect(Array.from(spreadIndices(10, 4))).toEqual([0, 2, 5, 7]);
    expect(Array.from(spreadIndices(3, 10))).toEqual([0, 1, 2]);
  });

  it('restores saved models as finished runs', () => {
    const state = apply(
      INITIAL_STATE,
      engine({
        type: 'modelsLoaded',
        jobId: null,
        models: [
          {
            record: { arch: 'cnn_elu', savedAt: '2026-11-27T10:00:00Z', epochs: 20, trainSize: 60000, history: [], initialTestMse: 0.23, backend: 'wasm', batchLosses: [0.2, 0.1] },
            final: { testMse: 0.0051, deadUnits: 0 },
          },
        ],
      }),
    );
    expect(state.runs[0]).toMatchObject({ arch: 'cnn_elu', status: 'completed', epochs: 20, final: { testMse: 0.0051, deadUnits: 0 } });
    expect(state.trained.cnn_elu).toEqual({ epochs: 20, testMse: 0.0051 });
  });
});
