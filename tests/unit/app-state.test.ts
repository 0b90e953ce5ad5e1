import { describe, expect, it } from 'vitest';
import { INITIAL_STATE, focusRun, isTraining, reduce, runProgress, type AppState, type UiAction } from '../../src/state/app-state';
import type { EngineEvent } from '../../src/worker/protocol';

const engine = (event: EngineEvent): UiAction => ({ type: 'engine', event });
const ready: EngineEvent = {
  type: 'dataReady',
  name: 'MNIST',
  trainCount: 60_000,
  testCount: 10_000,
  millis: 900,
  previewImages: new Float32Array(16 * 784),
  previewLabels: new Uint8Array(16),
};
const apply = (state: AppState, ...actions: UiAction[]) => actions.reduce(reduce, state);

describe('app state reducer', () => {
  it('refuses to start training before the data is ready', () => {
    expect(reduce(INITIAL_STATE, { type: 'trainRequested' })).toBe(INITIAL_STATE);
  });

  it('starts a run with clamped settings and a fresh id', () => {
    const state = apply(
      INITIAL_STATE,
      engine(ready),
      { type: 'settingsChanged', settings: { epochs: 0, trainSize: 1e9 } },
      { type: 'trainRequested' },
    );
    expect(focusRun(state)?.runId).toBe(1);
    expect(focusRun(state)?.epochs).toBe(1);
    expect(focusRun(state)?.trainSize).toBe(60_000);
    expect(focusRun(state)?.status).toBe('queued');
    expect(state.nextRunId).toBe(2);
    expect(isTraining(state)).toBe(true);
    // A second click while that model trains changes nothing.
    expect(reduce(state, { type: 'trainRequested' })).toBe(state);
  });

  it('fails active runs and offers a restart when the engine crashes; an analysis crash fails only its job', () => {
    const training = apply(INITIAL_STATE, engine(ready), { type: 'trainRequested' });
    const crashed = reduce(training, { type: 'workerCrashed', worker: 'engine', message: 'Uncaught Error: boom' });
    expect(crashed.engineCrashed).toBe(true);
    expect(crashed.error).toMatch(/training engine crashed: Uncaught Error: boom/);
    expect(focusRun(crashed)?.status).toBe('failed');
    // A backend failure reported by the engine itself is shown, but is no crash.
    expect(reduce(training, engine({ type: 'error', message: 'No backend' })).engineCrashed).toBe(false);

    const analysisCrash = reduce(training, { type: 'workerCrashed', worker: 'analysis', message: 'boom' });
    expect(analysisCrash.engineCrashed).toBe(false);
    expect(analysisCrash.notice).toMatch(/analysis worker crashed \(boom\) and was restarted/);
    expect(focusRun(analysisCrash)?.status).toBe('queued');
  });

  it('carries the seed into the run, as a whole number in range', () => {
    const seeded = (seed: number) =>
      focusRun(apply(INITIAL_STATE, engine(ready), { type: 'settingsChanged', settings: { seed } }, { type: 'trainRequested' }))?.seed;
    expect(seeded(7)).toBe(7);
    expect(seeded(2.6)).toBe(3);
    expect(seeded(-5)).toBe(0);
    expect(seeded(NaN)).toBe(0);
    expect(seeded(2 ** 40)).toBe(2 ** 32 - 1);
  });

  it('follows a run through progress, epochs and its end, and ignores a stale run', () => {
    let state = apply(INITIAL_STATE, engine(ready), { type: 'settingsChanged', settings: { epochs: 2, trainSize: 512 } }, { type: 'trainRequested' });
    state = apply(
      state,
      engine({ type: 'trainStarted', runId: 1, arch: 'dense', epochs: 2, trainSize: 512, batchesPerEpoch: 2, initialTestMse: 0.23 }),
      engine({ type: 'trainProgress', runId: 1, epoch: 0, batch: 1, batchLosses: Float32Array.of(0.2) }),
    );
    expect(focusRun(state)?.status).toBe('running');
    expect(runProgress(focusRun(state) ?? fail())).toBeCloseTo(0.25);
    state = apply(
      state,
      engine({ type: 'trainProgress', runId: 1, epoch: 0, batch: 2, batchLosses: Float32Array.of(0.1) }),
      engine({
        type: 'epochEnd',
        runId: 1,
        record: { epoch: 1, trainLoss: 0.15, testMse: 0.09, trainSeconds: 1, samplesPerSec: 512 },
        reconstructions: new Float32Array(16 * 784),
      }),
      // An event of run 0 (cancelled long ago) must not touch run 1.
      engine({ type: 'trainProgress', runId: 0, epoch: 5, batch: 9, batchLosses: Float32Array.of(99) }),
    );
    expect(focusRun(state)?.batchLosses).toEqual([Math.fround(0.2), Math.fround(0.1)]);
    expect(focusRun(state)?.history).toHaveLength(1);
    expect(runProgress(focusRun(state) ?? fail())).toBeCloseTo(0.5);
    state = apply(state, { type: 'stopRequested', runId: 1 });
    expect(focusRun(state)?.status).toBe('stopping');
    state = apply(state, engine({ type: 'trainEnd', runId: 1, outcome: 'stopped', epochsCompleted: 1, message: 'Stopped', final: { testMse: 0.08, deadUnits: 3 } }));
    expect(focusRun(state)?.status).toBe('stopped');
    expect(isTraining(state)).toBe(false);
    expect(state.trained.dense).toEqual({ epochs: 1, testMse: 0.08 });
    // The stopped run keeps its history; a new run gets id 2.
    state = apply(state, { type: 'trainRequested' });
    expect(focusRun(state)?.runId).toBe(2);
  });

  it('queues all three architectures, each run taking only its own events', () => {
    let state = apply(INITIAL_STATE, engine(ready), { type: 'trainRequested', archs: ['dense', 'cnn_relu', 'cnn_elu'] });
    expect(state.runs.map((r) => [r.runId, r.arch, r.status])).toEqual([
      [1, 'dense', 'queued'],
      [2, 'cnn_relu', 'queued'],
      [3, 'cnn_elu', 'queued'],
    ]);
    state = apply(
      state,
      engine({ type: 'trainStarted', runId: 1, arch: 'dense', epochs: 20, trainSize: 60000, batchesPerEpoch: 235, initialTestMse: 0.23 }),
      { type: 'stopRequested', runId: 2 },
      engine({ type: 'trainEnd', runId: 2, outcome: 'stopped', epochsCompleted: 0, message: 'Removed from the queue' }),
    );
    expect(state.runs.map((r) => r.status)).toEqual(['running', 'stopped', 'queued']);
    expect(focusRun(state)?.runId).toBe(1);
    // Queuing the same architecture again while it trains does nothing; a stopped one can be queued again.
    const again = apply(state, { type: 'trainRequested', archs: ['dense', 'cnn_relu'] });
    expect(again.runs.map((r) => r.arch)).toEqual(['dense', 'cnn_relu', 'cnn_elu', 'cnn_relu']);
  });

  it('keeps what was computed when the data fails or the worker crashes', () => {
    let state = apply(INITIAL_STATE, engine(ready), { type: 'trainRequested' });
    state = apply(state, engine({ type: 'error', message: 'The engine worker crashed: out of memory' }));
    expect(state.error).toMatch(/crashed/);
    expect(focusRun(state)?.status).toBe('failed');
    expect(state.data.kind).toBe('ready');
    const failed = reduce(INITIAL_STATE, engine({ type: 'dataError', jobId: 0, code: 'bad-magic', message: 'bad file' }));
    expect(failed.data).toEqual({ kind: 'error', code: 'bad-magic', message: 'bad file' });
  });
});

function fail(): never {
  throw new Error('expected a run');
}
