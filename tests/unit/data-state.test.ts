import { describe, expect, it } from 'vitest';
import { reduce, type AppState, type UiAction } from '../../src/state/app-state';
import { initial, MNIST, run } from './state-fixtures';
import { MNIST_INITIAL_JOB_ID, type EngineEvent } from '../../src/worker/protocol';

const engine = (event: EngineEvent): UiAction => ({ type: 'engine', event });
const apply = (state: AppState, ...actions: UiAction[]) => actions.reduce(reduce, state);
const progress = (jobId: number, loadedBytes: number): UiAction => engine({ type: 'dataProgress', jobId, loadedBytes, totalBytes: 1000 });
const ready = (fromCache?: boolean): UiAction =>
  engine({ type: 'dataReady', dataset: MNIST, millis: 800, fromCache, previewImages: new Float32Array(784), previewLabels: new Uint8Array(1), sampleImages: new Float32Array(784), sampleLabels: new Uint8Array(1) });
const INITIAL_STATE = initial();
const fakeFile = new File([new Uint8Array(4)], 'train-images-idx3-ubyte');

describe('the MNIST download in the page state', () => {
  it('starts as job MNIST_INITIAL_JOB_ID and follows its progress', () => {
    expect(INITIAL_STATE.data).toEqual({ kind: 'loading', jobId: MNIST_INITIAL_JOB_ID, loadedBytes: 0, totalBytes: 0 });
    expect(apply(INITIAL_STATE, progress(MNIST_INITIAL_JOB_ID, 300)).data).toEqual({ kind: 'loading', jobId: 0, loadedBytes: 300, totalBytes: 1000 });
  });

  it('shows a cancel at once and drops the cancelled download’s late progress and error', () => {
    const cancelled = apply(INITIAL_STATE, progress(0, 300), { type: 'mnistCancelRequested' });
    expect(cancelled.data).toEqual({ kind: 'cancelled', jobId: 0 });
    const late = apply(cancelled, progress(0, 600), engine({ type: 'dataError', jobId: 0, code: 'fetch-failed', message: 'aborted' }));
    expect(late).toBe(cancelled);
    // The worker's confirmation changes nothing visible; cancelling twice is harmless.
    expect(apply(cancelled, engine({ type: 'dataCancelled', jobId: 0 }))).toBe(cancelled);
    expect(reduce(cancelled, { type: 'mnistCancelRequested' })).toBe(cancelled);
  });

  it('loads again under a new job id, taking only the new download’s events', () => {
    const again = apply(INITIAL_STATE, { type: 'mnistCancelRequested' }, { type: 'mnistRequested' });
    expect(again.data).toEqual({ kind: 'loading', jobId: INITIAL_STATE.nextJobId, loadedBytes: 0, totalBytes: 0 });
    expect(again.nextJobId).toBe(INITIAL_STATE.nextJobId + 1);
    const jobId = INITIAL_STATE.nextJobId;
    expect(apply(again, progress(0, 999))).toBe(again);
    expect(apply(again, engine({ type: 'dataCancelled', jobId: 0 }))).toBe(again);
    expect(apply(again, progress(jobId, 200)).data).toMatchObject({ kind: 'loading', jobId, loadedBytes: 200 });
    expect(apply(again, ready(true)).data).toMatchObject({ kind: 'ready', fromCache: true });
    // Only one download at a time: asking again while it runs does nothing.
    expect(reduce(again, { type: 'mnistRequested' })).toBe(again);
  });

  it('offers loading again after a failure, not while data is ready or a dropped set is being read', () => {
    const failed = apply(INITIAL_STATE, engine({ type: 'dataError', jobId: 0, code: 'fetch-failed', message: 'HTTP 404' }));
    expect(failed.data).toEqual({ kind: 'error', code: 'fetch-failed', message: 'HTTP 404' });
    expect(reduce(failed, { type: 'mnistRequested' }).data.kind).toBe('loading');
    const loaded = apply(INITIAL_STATE, ready());
    expect(reduce(loaded, { type: 'mnistRequested' })).toBe(loaded);
    const reading = apply(INITIAL_STATE, { type: 'mnistCancelRequested' }, { type: 'datasetChosen', files: [fakeFile] });
    expect(reading.datasetJob?.status).toBe('running');
    expect(reduce(reading, { type: 'mnistRequested' })).toBe(reading);
  });

  it('lets a person drop their own files after a cancel, but not during the download', () => {
    expect(reduce(INITIAL_STATE, { type: 'datasetChosen', files: [fakeFile] })).toBe(INITIAL_STATE);
    const cancelled = reduce(INITIAL_STATE, { type: 'mnistCancelRequested' });
    expect(reduce(cancelled, { type: 'datasetChosen', files: [fakeFile] }).datasetJob?.status).toBe('running');
  });

  it('sends cancel, loadMnist and loadDataset as commands', () => {
    expect(run(INITIAL_STATE, { type: 'mnistCancelRequested' }).commands).toEqual([{ kind: 'engine', request: { type: 'cancel', jobId: 0 } }]);
    const again = run(INITIAL_STATE, { type: 'mnistCancelRequested' }, { type: 'mnistRequested' });
    expect(again.commands.at(-1)).toEqual({ kind: 'engine', request: { type: 'loadMnist', jobId: INITIAL_STATE.nextJobId, baseUrl: 'http://127.0.0.1/' } });
    const dropped = run(again.state, ready(), { type: 'datasetChosen', files: [fakeFile] });
    expect(dropped.commands).toEqual([{ kind: 'engine', request: { type: 'loadDataset', jobId: dropped.state.datasetJob?.jobId, files: [{ name: fakeFile.name, blob: fakeFile }] } }]);
  });

  it('keeps a refused drop’s message when MNIST reports itself ready again later', () => {
    const dropped = run(apply(INITIAL_STATE, ready()), { type: 'datasetChosen', files: [fakeFile] }).state;
    const jobId = dropped.datasetJob?.jobId ?? -1;
    const refused = apply(dropped, engine({ type: 'jobEnded', jobId, outcome: 'failed', message: 'truncated' }));
    expect(refused.datasetJob).toMatchObject({ status: 'failed', message: 'truncated' });
    expect(apply(refused, ready()).datasetJob).toMatchObject({ status: 'failed', message: 'truncated' });
    // A running job is completed by the data it asked for.
    expect(apply(dropped, ready()).datasetJob).toMatchObject({ status: 'done', message: null });
  });

  it('shows a cancel the worker reports for the download in progress', () => {
    expect(apply(INITIAL_STATE, engine({ type: 'dataCancelled', jobId: 0 })).data).toEqual({ kind: 'cancelled', jobId: 0 });
  });

  it('takes data that finished before the cancel reached the worker: the engine holds it', () => {
    const cancelled = reduce(INITIAL_STATE, { type: 'mnistCancelRequested' });
    expect(reduce(cancelled, ready()).data).toMatchObject({ kind: 'ready', dataset: { trainCount: 60_000 }, fromCache: false });
  });
});
