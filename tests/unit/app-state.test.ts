/**
 * The page's transitions as data: each flow (train, stop, continue, diverge, reload, data change, delete
 * with undo) checked by the state it leads to AND the commands it sends.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS } from '../../src/config/train-options';
import { finishedRuns, focusRun, isTraining, positionText, runProgress, trainedElsewhere, visibleRuns, type AppState } from '../../src/state/app-state';
import { batchLossEpochs, defaultExtraEpochs, startingNow, UNDO_DELETE_MS } from '../../src/state/runs';
import { apply, engineEvent, initial, MNIST, OWN, ready, recordFor, requests, run } from './state-fixtures';

function startedRun(state: AppState, runId: string, epochs = 2): AppState {
  const record = recordFor(runId, { outcome: 'stopped', position: { epochsCompleted: 0, batch: 0, batchesPerEpoch: 2 }, history: [], batchLosses: [], final: null });
  return apply(state, engineEvent({ type: 'trainStarted', runId, record: { ...record, settings: { ...record.settings, epochs } } }));
}

describe('training runs in the page state', () => {
  it('refuses to start before the data is ready, and refuses invalid settings with the reason', () => {
    const before = run(initial(), { type: 'trainRequested' });
    expect(before.state.runs.runs).toHaveLength(0);
    expect(before.commands).toEqual([]);
    for (const bad of [{ epochs: 0 }, { epochs: Number.NaN }, { trainSize: 1e9 }, { learningRate: -1 }, { seed: 2 ** 32 }, { seed: 2.5 }, { batchSize: 0 }]) {
      const refused = run(initial(), ready(), { type: 'settingsChanged', settings: bad }, { type: 'trainRequested' });
      expect(refused.state.runs.runs).toHaveLength(0);
      expect(refused.commands).toEqual([]);
      expect(Object.values(refused.state.trainErrors).join(' ')).toMatch(/must/);
    }
  });

  it('every Train click makes a new run with its own id, name and full settings, sent as one train command', () => {
    const first = run(initial(), ready(), { type: 'settingsChanged', settings: { epochs: 3, trainSize: 1024, learningRate: 0.01, seed: 1 } }, { type: 'trainRequested' });
    expect(requests(first.commands)).toEqual([
      { type: 'train', runId: 's-1', name: 'Dense · seed 1 · lr 0.01', settings: { arch: 'dense', epochs: 3, trainSize: 1024, learningRate: 0.01, seed: 1, batchSize: 256, latentDim: 64, noise: { kind: 'none' } } },
    ]);
    // The same architecture again, even while the first trains: a second run, nothing replaced.
    const second = run(first.state, { type: 'trainRequested' });
    expect(second.state.runs.runs.map((r) => [r.id, r.settings.arch, r.status])).toEqual([
      ['s-1', 'dense', 'queued'],
      ['s-2', 'dense', 'queued'],
    ]);
    expect(requests(second.commands).map((r) => r.type)).toEqual(['train']);
    const all = run(second.state, { type: 'trainRequested', archs: ['dense', 'cnn_relu', 'cnn_elu'] });
    expect(all.state.runs.runs.map((r) => r.id)).toEqual(['s-1', 's-2', 's-3', 's-4', 's-5']);
    expect(isTraining(all.state)).toBe(true);
  });

  it('a chosen code size and input noise travel with the run; the Model panel asks for that size’s summary once', () => {
    const chosen = run(initial(), ready(), { type: 'settingsChanged', settings: { latentDim: 2 } });
    expect(requests(chosen.commands)).toEqual([{ type: 'summary', arch: 'dense', latentDim: 2 }]);
    const summarised = apply(chosen.state, engineEvent({ type: 'summary', arch: 'dense', latentDim: 2, layers: [], totalParams: 619_362 }));
    expect(summarised.summaries['dense/2']?.totalParams).toBe(619_362);
    // Known already: not asked again; another architecture at this size is.
    expect(requests(run(summarised, { type: 'settingsChanged', settings: { latentDim: 2 } }).commands)).toEqual([]);
    expect(requests(run(summarised, { type: 'settingsChanged', settings: { arch: 'cnn_elu' } }).commands)).toEqual([{ type: 'summary', arch: 'cnn_elu', latentDim: 2 }]);
    const noisy = run(summarised, { type: 'settingsChanged', settings: { noise: { kind: 'gaussian', sigma: 0.25 } } }, { type: 'trainRequested' });
    expect(requests(noisy.commands)).toEqual([
      { type: 'train', runId: 's-1', name: 'Dense · seed 0 · lr 0.001 · code 2 · Gaussian σ 0.25', settings: { ...DEFAULT_TRAIN_SETTINGS, trainSize: expect.any(Number), latentDim: 2, noise: { kind: 'gaussian', sigma: 0.25 } } },
    ]);
    const refused = run(summarised, { type: 'settingsChanged', settings: { noise: { kind: 'saltPepper', fraction: 0.9 } } }, { type: 'trainRequested' });
    expect(requests(refused.commands)).toEqual([]);
    expect(refused.state.trainErrors.noise).toMatch(/at most 0.5/);
  });

  it('follows a run through progress and epochs; events of unknown runs change nothing', () => {
    let state = apply(initial(), ready(), { type: 'trainRequested' });
    state = startedRun(state, 's-1');
    state = apply(state, engineEvent({ type: 'trainProgress', runId: 's-1', epoch: 0, batch: 1, batchLosses: Float32Array.of(0.2) }));
    const running = focusRun(state);
    expect(running?.status).toBe('running');
    expect(running && runProgress(running)).toBeCloseTo(0.25);
    expect(running && positionText(running)).toBe('epoch 1 of 2 · batch 1 of 2');
    const stale = apply(state, engineEvent({ type: 'trainProgress', runId: 'old-9', epoch: 5, batch: 9, batchLosses: Float32Array.of(99) }));
    expect(stale).toBe(state);
    state = apply(
      state,
      engineEvent({ type: 'trainProgress', runId: 's-1', epoch: 0, batch: 2, batchLosses: Float32Array.of(0.1) }),
      engineEvent({ type: 'epochEnd', runId: 's-1', record: { epoch: 1, trainLoss: 0.15, testMse: 0.09, trainSeconds: 1, samplesPerSec: 512 }, reconstructions: new Float32Array(16 * 784) }),
    );
    expect(focusRun(state)?.batchLosses).toEqual([Math.fround(0.2), Math.fround(0.1)]);
    expect(focusRun(state)?.position).toEqual({ epochsCompleted: 1, batch: 0, batchesPerEpoch: 2 });
    // A checkpoint saved the run at the end of epoch 1: the runs list says so while it trains on.
    state = apply(state, engineEvent({ type: 'trainProgress', runId: 's-1', epoch: 1, batch: 1, batchLosses: Float32Array.of(0.09) }));
    state = apply(state, engineEvent({ type: 'trainCheckpoint', runId: 's-1', epochsCompleted: 1, batch: 0 }));
    const saved = focusRun(state);
    expect(saved && positionText(saved)).toBe('epoch 2 of 2 · batch 1 of 2 · saved after epoch 1');
    // One inside an epoch (a long one) says where in it.
    const inside = focusRun(apply(state, engineEvent({ type: 'trainCheckpoint', runId: 's-1', epochsCompleted: 1, batch: 1 })));
    expect(inside && positionText(inside)).toBe('epoch 2 of 2 · batch 1 of 2 · saved in epoch 2 at batch 1');
    // Measuring the test MSE after an epoch (seconds on a slow backend) shows how far it has got, until the epoch's end.
    const measuring = apply(state, engineEvent({ type: 'trainMeasuring', runId: 's-1', done: 4000, total: 10_000 }));
    const measuringRun = focusRun(measuring);
    expect(measuringRun && positionText(measuringRun)).toBe('epoch 2 of 2 · measuring the test MSE · 4,000 of 10,000 images');
    // So does the pass on the untrained model, before the run says it started (it is queued until then).
    const preparing = focusRun(apply(initial(), ready(), { type: 'trainRequested' }, engineEvent({ type: 'trainMeasuring', runId: 's-1', done: 0, total: 10_000 })));
    expect(preparing && positionText(preparing)).toBe('measuring the test MSE · 0 of 10,000 images (before training)');
    expect(preparing && startingNow(preparing)).toBe(true);
    expect(measuringRun && startingNow(measuringRun)).toBe(false);
    const measured = apply(measuring, engineEvent({ type: 'epochEnd', runId: 's-1', record: { epoch: 2, trainLoss: 0.1, testMse: 0.08, trainSeconds: 1, samplesPerSec: 512 }, reconstructions: new Float32Array(16 * 784) }));
    expect(focusRun(measured)?.measuring).toBeNull();
    expect(apply(state, engineEvent({ type: 'trainCheckpoint', runId: 'old-9', epochsCompleted: 1, batch: 0 }))).toBe(state);
    // A lost GPU: the run goes on from where it was last saved; the losses of the batches it repeats go.
    const lost = focusRun(apply(state, engineEvent({ type: 'trainNotice', runId: 's-1', epochsCompleted: 1, batch: 1, message: 'The GPU (webgl) was lost in epoch 2.' })));
    expect(lost?.position).toEqual({ epochsCompleted: 1, batch: 1, batchesPerEpoch: 2 });
    expect(lost?.batchLosses).toHaveLength(3);
    expect(lost?.message).toBe('The GPU (webgl) was lost in epoch 2.');
    const fromEpochEnd = focusRun(apply(state, engineEvent({ type: 'trainNotice', runId: 's-1', epochsCompleted: 1, batch: 0, message: 'lost' })));
    expect(fromEpochEnd?.position).toEqual({ epochsCompleted: 1, batch: 0, batchesPerEpoch: 2 });
    expect(fromEpochEnd?.batchLosses).toEqual([Math.fround(0.2), Math.fround(0.1)]);
  });

  it('Stop sends stop once and then shows what the engine kept: the stop point and the MSE of those weights', () => {
    let state = startedRun(apply(initial(), ready(), { type: 'trainRequested' }), 's-1');
    const stop = run(state, { type: 'stopRequested', runId: 's-1' }, { type: 'stopRequested', runId: 's-1' });
    expect(requests(stop.commands)).toEqual([{ type: 'stop', runId: 's-1' }]);
    expect(focusRun(stop.state)?.status).toBe('stopping');
    const kept = recordFor('s-1', {
      outcome: 'stopped',
      position: { epochsCompleted: 1, batch: 1, batchesPerEpoch: 2 },
      history: [{ epoch: 1, trainLoss: 0.1, testMse: 0.0816, trainSeconds: 1, samplesPerSec: 512 }],
      batchLosses: [0.2, 0.1, 0.09],
      final: { testMse: 0.0736, deadUnits: 4 },
      partial: { weightedLoss: 23, seconds: 0.5 },
      message: 'Stopped in epoch 2 at batch 1 of 2',
    });
    state = apply(stop.state, engineEvent({ type: 'trainEnd', runId: 's-1', outcome: 'stopped', message: kept.message, run: { record: kept, reconstructions: null } }));
    const stopped = focusRun(state);
    expect(stopped?.status).toBe('stopped');
    expect(stopped && positionText(stopped)).toBe('stopped in epoch 2 at batch 1 of 2');
    expect(stopped?.final?.testMse).toBe(0.0736);
    // The curve ends where training ended: 3 batches at 2 per epoch reach epoch 1.5.
    expect(stopped && batchLossEpochs(stopped)).toEqual([0.5, 1, 1.5]);
    expect(isTraining(state)).toBe(false);
  });

  it('a queued run removed before it started leaves the list; a training run stopped stays', () => {
    const state = apply(initial(), ready(), { type: 'trainRequested', archs: ['dense', 'cnn_relu'] });
    const removed = apply(state, { type: 'stopRequested', runId: 's-2' }, engineEvent({ type: 'trainEnd', runId: 's-2', outcome: 'stopped', message: 'Removed from the queue before it started.', run: null }));
    expect(removed.runs.runs.map((r) => r.id)).toEqual(['s-1']);
  });

  it('continue sends continueRun for a finished run and refuses diverged, active and invalid ones', () => {
    const state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }, { record: recordFor('b', { outcome: 'diverged' }), reconstructions: null }], notices: [] }));
    const go = run(state, { type: 'continueRequested', runId: 'a', extraEpochs: 3 });
    expect(requests(go.commands)).toEqual([{ type: 'continueRun', runId: 'a', extraEpochs: 3 }]);
    expect(visibleRuns(go.state).find((r) => r.id === 'a')?.status).toBe('queued');
    for (const [runId, extra] of [['b', 3], ['a', 0], ['a', Number.NaN], ['a', 1e9], ['nope', 1]] as const) {
      expect(run(state, { type: 'continueRequested', runId, extraEpochs: extra }).commands).toEqual([]);
    }
    // The engine starts it with the longer schedule; history is appended to, never replaced.
    const started = apply(go.state, engineEvent({ type: 'trainStarted', runId: 'a', record: { ...recordFor('a'), settings: { ...recordFor('a').settings, epochs: 5 } } }));
    const continued = visibleRuns(started).find((r) => r.id === 'a');
    expect(continued?.status).toBe('running');
    expect(continued?.history).toHaveLength(2);
    expect(continued?.settings.epochs).toBe(5);
    // A continue refused by the engine puts the run back as it was.
    const refused = apply(go.state, engineEvent({ type: 'trainEnd', runId: 'a', outcome: 'failed', message: 'trained on other data', run: null }));
    expect(visibleRuns(refused).find((r) => r.id === 'a')).toMatchObject({ status: 'completed', message: 'trained on other data' });
  });

  it('a diverged run is shown as the engine kept it, and the other runs stay', () => {
    let state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('good', { settings: { ...recordFor('x').settings, arch: 'cnn_elu' } }), reconstructions: null }], notices: [] }));
    state = apply(state, { type: 'settingsChanged', settings: { arch: 'cnn_elu', learningRate: 10 } }, { type: 'trainRequested' });
    state = startedRun(state, 's-1');
    const diverged = recordFor('s-1', { outcome: 'diverged', position: { epochsCompleted: 0, batch: 0, batchesPerEpoch: 2 }, final: { testMse: 0.231, deadUnits: 0 }, message: 'Training diverged: … The run keeps its initial (untrained) weights' });
    state = apply(state, engineEvent({ type: 'trainEnd', runId: 's-1', outcome: 'diverged', message: diverged.message, run: { record: diverged, reconstructions: null } }));
    expect(visibleRuns(state).map((r) => [r.id, r.status])).toEqual([
      ['good', 'completed'],
      ['s-1', 'diverged'],
    ]);
    expect(focusRun(state)?.message).toMatch(/initial \(untrained\) weights/);
  });

  it('restored and imported runs appear once each, and a file import names the run it loaded', () => {
    const view = { record: recordFor('a'), reconstructions: new Float32Array(16 * 784) };
    let state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [view], notices: ['The saved run “x” could not be read and was skipped: …'] }));
    state = apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [view], notices: [] }));
    expect(visibleRuns(state)).toHaveLength(1);
    expect(visibleRuns(state)[0]).toMatchObject({ id: 'a', status: 'completed', kept: true });
    expect(state.notices).toHaveLength(1);
    const file = new File(['{}'], 'run.json');
    const importing = run(state, { type: 'importRequested', file });
    expect(requests(importing.commands)).toEqual([{ type: 'importRun', jobId: importing.state.fileJob?.jobId, file }]);
    const done = apply(importing.state, engineEvent({ type: 'runsLoaded', jobId: importing.state.fileJob?.jobId ?? -1, runs: [{ record: recordFor('b', { name: 'From a file' }), reconstructions: null }], notices: [] }));
    expect(done.fileJob).toMatchObject({ status: 'done', message: 'Loaded “From a file”.' });
    expect(finishedRuns(done).map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('rename and delete with undo; the engine forgets a run only when the undo window ends', () => {
    const state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }));
    const renamed = run(state, { type: 'renameRequested', runId: 'a', name: '  my best  ' });
    expect(requests(renamed.commands)).toEqual([{ type: 'renameRun', runId: 'a', name: 'my best' }]);
    expect(run(state, { type: 'renameRequested', runId: 'a', name: '   ' }).commands).toEqual([]);
    const deleted = run(renamed.state, { type: 'deleteRequested', runId: 'a' });
    expect(deleted.commands).toEqual([{ kind: 'later', afterMs: UNDO_DELETE_MS, action: { type: 'deleteExpired', runId: 'a' } }]);
    expect(visibleRuns(deleted.state)).toHaveLength(0);
    const undone = run(deleted.state, { type: 'undoDeleteRequested', runId: 'a' }, { type: 'deleteExpired', runId: 'a' });
    expect(undone.commands).toEqual([]);
    expect(visibleRuns(undone.state).map((r) => r.name)).toEqual(['my best']);
    const gone = run(deleted.state, { type: 'deleteExpired', runId: 'a' });
    expect(requests(gone.commands)).toEqual([{ type: 'deleteRun', runId: 'a' }]);
    expect(gone.state.runs.runs).toHaveLength(0);
  });

  it('own data marks runs trained elsewhere, keeps them out of the gallery, and Back to MNIST asks the engine', () => {
    let state = apply(initial(), ready(MNIST), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }));
    state = apply(state, ready(OWN));
    const a = visibleRuns(state)[0];
    expect(trainedElsewhere(state, a)).toBe(true);
    expect(state.settings.trainSize).toBe(857);
    expect(run(state, { type: 'galleryRequested', selection: { kind: 'random', seed: 1 } }).commands).toEqual([]);
    const back = run(state, { type: 'backToMnistRequested' });
    expect(requests(back.commands)).toEqual([{ type: 'useMnist', jobId: back.state.datasetJob?.jobId, baseUrl: 'http://127.0.0.1/' }]);
    state = apply(back.state, ready(MNIST));
    expect(trainedElsewhere(state, visibleRuns(state)[0])).toBe(false);
    const gallery = run(state, { type: 'galleryRequested', selection: { kind: 'random', seed: 1 } });
    expect(requests(gallery.commands)).toEqual([{ type: 'gallery', jobId: gallery.state.gallery?.jobId, runIds: ['a'], selection: { kind: 'random', seed: 1 }, count: 12 }]);
  });

  it('fails active runs and offers a restart when the engine crashes; an analysis crash fails only its job', () => {
    const training = apply(initial(), ready(), { type: 'trainRequested' });
    const crashed = apply(training, { type: 'workerCrashed', worker: 'engine', message: 'Uncaught Error: boom' });
    expect(crashed.engineCrashed).toBe(true);
    expect(crashed.error).toMatch(/training engine crashed: Uncaught Error: boom/);
    expect(focusRun(crashed)?.status).toBe('failed');
    expect(apply(training, engineEvent({ type: 'error', message: 'No backend' })).engineCrashed).toBe(false);
    const analysisCrash = apply(training, { type: 'workerCrashed', worker: 'analysis', message: 'boom' });
    expect(analysisCrash.engineCrashed).toBe(false);
    expect(analysisCrash.notices.at(-1)).toMatch(/analysis worker crashed \(boom\) and was restarted/);
    expect(focusRun(analysisCrash)?.status).toBe('queued');
  });

  it('after an engine crash mid-run, the restarted engine brings the failed run back as its last checkpoint saved it', () => {
    let state = apply(initial(), ready(), { type: 'trainRequested' });
    state = startedRun(state, 's-1', 3);
    state = apply(state, engineEvent({ type: 'trainCheckpoint', runId: 's-1', epochsCompleted: 1, batch: 0 }));
    state = apply(state, { type: 'workerCrashed', worker: 'engine', message: 'Uncaught Error: boom' });
    expect(focusRun(state)?.status).toBe('failed');
    const checkpoint = recordFor('s-1', { outcome: 'stopped', position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 2 }, final: null, message: 'Training was interrupted in epoch 2 of 3 …' });
    const other = recordFor('b');
    state = apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: checkpoint, reconstructions: null }, { record: other, reconstructions: null }], notices: [] }));
    expect(state.runs.runs.map((r) => [r.id, r.status, r.position.epochsCompleted])).toEqual([['s-1', 'stopped', 1], ['b', 'completed', 2]]);
    expect(focusRun(state)?.message).toMatch(/interrupted in epoch 2 of 3/);
    // Continue offers the rest of its schedule; a finished run, five more.
    expect(defaultExtraEpochs(checkpoint)).toBe(1);
    expect(defaultExtraEpochs({ ...checkpoint, position: { epochsCompleted: 0, batch: 1, batchesPerEpoch: 2 } })).toBe(2);
    expect(defaultExtraEpochs(other)).toBe(5);
    // A run on the page that did not fail stays as the page has it.
    const again = apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: { ...other, name: 'changed' }, reconstructions: null }], notices: [] }));
    expect(again.runs.runs.find((r) => r.id === 'b')?.name).toBe(other.name);
  });

  it('a run renamed or deleted in another tab is renamed or leaves here too; a refused rename puts the name back, saying why', () => {
    let state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }, { record: recordFor('b'), reconstructions: null }], notices: [] }));
    state = apply(state, { type: 'latentsRequested', runId: 'a', split: 'test' });
    // A rename here shows where the run's latents are named, as one from another tab does.
    const renamed = run(state, { type: 'renameRequested', runId: 'a', name: 'mine' });
    expect(requests(renamed.commands)).toEqual([{ type: 'renameRun', runId: 'a', name: 'mine' }]);
    expect(renamed.state.space.latent?.runName).toBe('mine');
    state = apply(renamed.state, engineEvent({ type: 'runRenamed', runId: 'a', name: 'theirs', notice: null }));
    expect(state.runs.runs.map((r) => r.name)).toEqual(['theirs', recordFor('b').name]);
    expect(state.space.latent?.runName).toBe('theirs');
    expect(state.notices).toEqual([]);
    const refused = 'x is training in another tab of this page; rename it there, or here once it has ended there.';
    state = apply(state, engineEvent({ type: 'runRenamed', runId: 'b', name: recordFor('b').name, notice: refused }));
    expect(state.notices).toEqual([refused]);
    // Deleted there: it leaves, with its latents; a run the page does not have changes nothing.
    state = apply(state, { type: 'runSelected', runId: 'a' });
    state = apply(state, engineEvent({ type: 'runRemoved', runId: 'a', notice: '“theirs” was deleted in another tab of this page.' }));
    expect(state.runs.runs.map((r) => r.id)).toEqual(['b']);
    expect(state.runs.selectedRunId).toBeNull();
    expect(state.space.latent).toBeNull();
    expect(state.notices.at(-1)).toBe('“theirs” was deleted in another tab of this page.');
    expect(apply(state, engineEvent({ type: 'runRemoved', runId: 'zzz', notice: 'no' }))).toBe(state);
  });

  it('a run another tab saved since (its Continue here was refused) replaces the page’s copy, and the latents of the old weights go', () => {
    let state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a', { outcome: 'stopped', position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 2 } }), reconstructions: null }], notices: [] }));
    state = apply(state, { type: 'latentsRequested', runId: 'a', split: 'test' });
    expect(state.space.latent?.runId).toBe('a');
    const asked = run(state, { type: 'continueRequested', runId: 'a', extraEpochs: 1 });
    expect(requests(asked.commands)).toEqual([{ type: 'continueRun', runId: 'a', extraEpochs: 1 }]);
    const refused = 'Dense is training in another tab of this page; continue it there, or here once it has ended there.';
    state = apply(asked.state, engineEvent({ type: 'trainEnd', runId: 'a', outcome: 'stopped', message: refused, run: null }));
    expect(focusRun(state)).toMatchObject({ status: 'stopped', message: refused, position: { epochsCompleted: 1 } });
    // The other tab trained it on to its end: the engine brings that back, which the page shows instead.
    const there = recordFor('a', { endedAt: '2026-12-05T10:00:00.000Z', position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 2 } });
    const busy = '“a” is training in another tab of this page; it appears here once it has ended there.';
    state = apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [], notices: [busy] }));
    expect(state.notices).toEqual([busy]);
    state = apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: there, reconstructions: null }], notices: ['“a” is no longer training in another tab…'], withdrawn: [busy] }));
    expect(state.runs.runs.map((r) => [r.id, r.status, r.position.epochsCompleted])).toEqual([['a', 'completed', 2]]);
    // What was said while it trained there is taken away; what is said now stays.
    expect(state.notices).toEqual(['“a” is no longer training in another tab…']);
    expect(state.space.latent).toBeNull();
    // The same copy again (an engine restart restoring it) changes nothing, nor does a copy of a run the page trains.
    expect(apply(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: there, reconstructions: null }], notices: [] })).runs).toBe(state.runs);
    const training = startedRun(apply(state, { type: 'trainRequested' }), 's-1', 3);
    const stale = recordFor('s-1', { endedAt: '2026-12-05T09:00:00.000Z', position: { epochsCompleted: 0, batch: 0, batchesPerEpoch: 2 } });
    const after = apply(training, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: stale, reconstructions: null }], notices: [] }));
    expect(after.runs.runs.find((r) => r.id === 's-1')?.status).toBe('running');
  });
});
