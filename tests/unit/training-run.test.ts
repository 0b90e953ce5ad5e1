/**
 * One training run driven through a fake `post` (CPU backend, small synthetic data): the events it sends,
 * Stop at a batch, divergence restoring the best weights it had, continuing exactly where it ended, and
 * what it keeps and saves — with no tensors left behind.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { TrainSettings } from '../../src/config/train-options';
import type { MnistData } from '../../src/data/mnist';
import { buildAutoencoder } from '../../src/models/architectures';
import { evaluateMse, reconstruct } from '../../src/models/train';
import { ModelStore, readWeights, writeWeights, type RunWeights } from '../../src/worker/engine/model-store';
import { normalizeRunRecord } from '../../src/worker/engine/run-records';
import { holdRunLock, runsLockedNow } from '../../src/worker/engine/run-locks';
import { TrainingQueue } from '../../src/worker/engine/training-queue';
import { FakeLocks } from './fake-locks';
import { previewInputs, TrainingRun, type LoadedData, type TrainingJob, type TrainingRunDeps } from '../../src/worker/engine/training-run';
import { CHECKPOINT_INTERVAL_MS, MID_EPOCH_CHECKPOINT_MS, type EngineEvent, type RunRecord } from '../../src/worker/protocol';
import { syntheticImages } from './synthetic-images';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * 48 training and 8 test images. `invertTest`: test images are the negatives of training-like ones, so a
 * model collapsed to the training mean (what lr 10 does to the dense model here) is far worse on them than
 * the untrained one — a run that diverged in the sense the page checks.
 */
function loaded(fingerprint = 'aaaaaaaa', invertTest = false): LoadedData {
  const train = syntheticImages(48, 1);
  const test = syntheticImages(8, 2);
  if (invertTest) test.images.forEach((v, i) => (test.images[i] = 1 - v));
  const mnist: MnistData = {
    train: { images: train.images, labels: new Uint8Array(48), count: 48 },
    test: { images: test.images, labels: new Uint8Array(8), count: 8 },
  };
  return { mnist, preview: test.images.slice(0, 4 * 784), dataset: { name: 'synthetic', fingerprint, trainCount: 48, testCount: 8 } };
}

const SETTINGS: TrainSettings = { arch: 'dense', epochs: 2, trainSize: 48, learningRate: 1e-3, seed: 3, batchSize: 16, latentDim: 64, noise: { kind: 'none' } };

interface Harness {
  deps: TrainingRunDeps;
  events: EngineEvent[];
  saved: { record: RunRecord; weights: RunWeights }[];
  /** runs forgotten from storage */
  removed: string[];
  /** stops the current run after this many batches (counted through the per-batch GPU check) */
  stopAfterBatches: number | null;
  current: TrainingRun | null;
}

function harness(data: LoadedData = loaded()): Harness {
  const h: Harness = { events: [], saved: [], removed: [], stopAfterBatches: null, current: null, deps: undefined as never };
  let batches = 0;
  h.deps = {
    post: (event) => h.events.push(event),
    store: new ModelStore(),
    data: () => data,
    save: async (record, weights) => {
      h.saved.push({ record, weights });
    },
    remove: async (runId) => {
      h.removed.push(runId);
    },
    recoverFromLostGpu: async () => 'cpu',
    // Called once per batch: a deterministic place to ask for a stop "during" training.
    gpuLost: () => {
      batches++;
      if (h.stopAfterBatches !== null && batches === h.stopAfterBatches) h.current?.stop();
      return false;
    },
    whenGpuLost: () => ({ lost: new Promise<never>(() => undefined), release: () => undefined }),
    backendName: () => 'cpu',
    now: () => new Date('2026-12-04T12:00:00Z'),
  };
  return h;
}

async function train(h: Harness, job: TrainingJob): Promise<Extract<EngineEvent, { type: 'trainEnd' }>> {
  h.current = new TrainingRun(h.deps, job);
  await h.current.run();
  const end = h.events.filter((e): e is Extract<EngineEvent, { type: 'trainEnd' }> => e.type === 'trainEnd').at(-1);
  if (!end) throw new Error('no trainEnd');
  return end;
}

/** A fresh engine holding a saved run, as one does after a reload (Engine.hold). */
function afterReload(saved: { record: RunRecord; weights: RunWeights }): Harness {
  const h = harness();
  const model = buildAutoencoder(saved.record.settings.arch, undefined, saved.record.settings.latentDim);
  writeWeights(model, saved.weights.weights);
  h.deps.store.set(saved.record.id, model);
  h.deps.store.setRun(saved.record, saved.weights);
  return h;
}

/**
 * A clock that stands still except when the per-batch GPU check has run `at` times (it also runs once at each
 * epoch end: with 3 batches per epoch, 3 is epoch 1's last batch and 4 its end), when it moves on by `by`.
 */
function jumpClock(h: Harness, at: number[], by = CHECKPOINT_INTERVAL_MS): void {
  let time = Date.parse('2026-12-05T12:00:00Z');
  let checks = 0;
  const gpuLost = h.deps.gpuLost;
  h.deps.now = () => new Date(time);
  h.deps.gpuLost = () => {
    checks++;
    if (at.includes(checks)) time += by;
    return gpuLost();
  };
}

const newRun = (settings: Partial<TrainSettings> = {}, runId = 'r1'): TrainingJob => ({ kind: 'new', runId, name: 'test run', settings: { ...SETTINGS, ...settings } });

describe('TrainingRun', () => {
  it('completes a new run: events in order, the record and weights it keeps and saves, no tensors left', async () => {
    const h = harness();
    const before = tf.memory().numTensors;
    const end = await train(h, newRun());
    // Each test-set pass (untrained, after each epoch) is announced as it starts, so a slow one shows. The kept
    // weights are the last epoch's, whose test MSE is known: no pass of its own.
    expect(h.events.map((e) => e.type).filter((t) => t !== 'trainProgress')).toEqual(['trainMeasuring', 'trainStarted', 'trainMeasuring', 'epochEnd', 'trainMeasuring', 'epochEnd', 'trainEnd']);
    expect(h.events.find((e) => e.type === 'trainMeasuring')).toEqual({ type: 'trainMeasuring', runId: 'r1', done: 0, total: 8 });
    expect(end.outcome).toBe('completed');
    const record = end.run?.record;
    expect(record).toMatchObject({ id: 'r1', outcome: 'completed', position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 3 }, dataset: { fingerprint: 'aaaaaaaa' } });
    expect(record?.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(record?.batchLosses).toHaveLength(6);
    const model = h.deps.store.ready('r1');
    expect(record?.final?.testMse).toBe(await evaluateMse(model, 'dense', loaded().mnist.test));
    expect(record?.final?.testMse).toBe(record?.history[1].testMse);
    expect(record?.final?.testMse).toBeLessThan(record?.initialTestMse ?? 0);
    expect(h.saved).toHaveLength(1);
    expect(h.saved[0].weights.weights).toEqual(await readWeights(model));
    expect(h.saved[0].weights.optimizer?.iterations).toBe(6);
    h.deps.store.forget('r1');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a denoising run with a 2-number code: built at 2, scored on noisy test inputs against clean ones, previews of the noisy digits', async () => {
    const h = harness();
    const data = loaded();
    const noise = { kind: 'gaussian', sigma: 0.5 } as const;
    const end = await train(h, newRun({ latentDim: 2, noise }));
    expect(end.outcome).toBe('completed');
    const record = end.run?.record;
    expect(record?.settings).toMatchObject({ latentDim: 2, noise });
    const model = h.deps.store.ready('r1');
    expect(model.getLayer('latent').outputShape).toEqual([null, 2]);
    expect(record?.final?.deadUnits).toBeLessThanOrEqual(2);
    const noisy = await evaluateMse(model, 'dense', data.mnist.test, undefined, { noise, seed: SETTINGS.seed });
    expect(record?.final?.testMse).toBeCloseTo(noisy, 7);
    expect(noisy).not.toBeCloseTo(await evaluateMse(model, 'dense', data.mnist.test), 7);
    // The preview reconstructs the noisy preview digits, the same ones the page draws (data/noise.ts).
    const preview = previewInputs({ noise, seed: SETTINGS.seed }, data.preview);
    expect(preview).not.toEqual(data.preview);
    expect(end.run?.reconstructions).toEqual(await reconstruct(model, 'dense', preview, 4));
    expect(h.saved[0].weights.weights[2]).toHaveLength(784 * 2); // the latent kernel
    h.deps.store.forget('r1');
  });

  it('Stop keeps the weights of the moment, says where, and measures the test MSE on them', async () => {
    const h = harness();
    // Checked at each reported batch and each epoch end: the 5th check is the loss of batch 0 of epoch 2, reported
    // once batch 1 has been issued (losses are read one step late, so a GPU never idles), so the loop stops before batch 2.
    h.stopAfterBatches = 5;
    const end = await train(h, newRun());
    expect(end.outcome).toBe('stopped');
    const record = end.run?.record;
    expect(record?.position).toEqual({ epochsCompleted: 1, batch: 2, batchesPerEpoch: 3 });
    expect(record?.message).toMatch(/Stopped in epoch 2 at batch 2 of 3/);
    // Every step trained is in the history, the last one too.
    expect(record?.batchLosses).toHaveLength(5);
    expect(record?.partial?.weightedLoss).toBeGreaterThan(0);
    expect(record?.final?.testMse).toBeCloseTo(await evaluateMse(h.deps.store.ready('r1'), 'dense', loaded().mnist.test), 7);
  });

  it('a run stopped before its first batch keeps the untrained weights and does not measure them twice', async () => {
    const h = harness();
    h.current = new TrainingRun(h.deps, newRun());
    // Stop once the untrained model is measured, as the run says it started.
    h.deps.post = (event) => {
      h.events.push(event);
      if (event.type === 'trainStarted') h.current?.stop();
    };
    await h.current.run();
    const end = h.events.find((e): e is Extract<EngineEvent, { type: 'trainEnd' }> => e.type === 'trainEnd');
    expect(end?.outcome).toBe('stopped');
    expect(end?.message).toMatch(/^Stopped before the first batch/);
    // One test-set pass: on the untrained weights, before training; they are the weights kept.
    expect(h.events.map((e) => e.type)).toEqual(['trainMeasuring', 'trainStarted', 'trainEnd']);
    expect(end?.run?.record.final?.testMse).toBe(end?.run?.record.initialTestMse);
    h.deps.store.forget('r1');
  });

  it('Stop while the untrained model is measured ends the run at once: kept not started, unmeasured, and saved so', async () => {
    const h = harness();
    const before = tf.memory().numTensors;
    h.current = new TrainingRun(h.deps, newRun());
    h.current.stop();
    await h.current.run();
    // No pass, no start: the run ends as it stands.
    expect(h.events.map((e) => e.type)).toEqual(['trainEnd']);
    const end = h.events[0];
    if (end.type !== 'trainEnd') throw new Error('not trainEnd');
    expect(end.outcome).toBe('stopped');
    expect(end.message).toMatch(/^Stopped before the first batch, while the untrained model was measured; Continue trains it/);
    expect(end.run?.record).toMatchObject({ outcome: 'stopped', history: [], batchLosses: [], initialTestMse: null, final: null, position: { epochsCompleted: 0, batch: 0 } });
    expect(end.run?.reconstructions).toHaveLength(4 * 784);
    // Saved with its initial weights, those of its seed, which the model still holds.
    expect(h.saved).toHaveLength(1);
    expect(h.saved[0].record.message).toBe(end.message);
    const initial = buildAutoencoder('dense', SETTINGS.seed, SETTINGS.latentDim);
    expect(h.saved[0].weights.weights).toEqual(await readWeights(initial));
    initial.dispose();
    // Continue then measures it and trains it like the new run.
    const resumed = await train(h, { kind: 'continue', runId: 'r1', extraEpochs: 1 });
    expect(resumed.outcome).toBe('completed');
    expect(resumed.run?.record.initialTestMse).toBeGreaterThan(0);
    h.deps.store.forget('r1');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Stop while a continued run measures its weights leaves the run as it was', async () => {
    const h = harness();
    h.stopAfterBatches = 2;
    await train(h, newRun());
    // As after a reload from a mid-epoch checkpoint: no final figures, so Continue measures the weights first.
    const kept = h.deps.store.record('r1');
    h.deps.store.setRun({ ...kept, final: null }, { weights: await readWeights(h.deps.store.ready('r1')), optimizer: null });
    h.stopAfterBatches = null;
    h.events.length = 0;
    h.current = new TrainingRun(h.deps, { kind: 'continue', runId: 'r1', extraEpochs: 1 });
    h.current.stop();
    await h.current.run();
    expect(h.events).toEqual([{ type: 'trainEnd', runId: 'r1', outcome: 'stopped', message: 'Stopped before continuing; the run is as it was.', run: null }]);
    expect(h.deps.store.record('r1').position).toEqual(kept.position);
    h.deps.store.forget('r1');
  });

  it('a continued run (also from a stop mid-epoch) ends with the weights of the uninterrupted run', async () => {
    const straight = harness();
    await train(straight, newRun({ epochs: 3 }));
    const target = await readWeights(straight.deps.store.ready('r1'));

    const h = harness();
    h.stopAfterBatches = 4;
    await train(h, newRun({ epochs: 2 }));
    h.stopAfterBatches = null;
    const end = await train(h, { kind: 'continue', runId: 'r1', extraEpochs: 2 });
    expect(end.outcome).toBe('completed');
    expect(end.run?.record.settings.epochs).toBe(3);
    expect(end.run?.record.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(end.run?.record.batchLosses).toHaveLength(9);
    expect(await readWeights(h.deps.store.ready('r1'))).toEqual(target);
    const straightEnd = straight.events.find((e): e is Extract<EngineEvent, { type: 'trainEnd' }> => e.type === 'trainEnd');
    expect(end.run?.record.history.map((e) => e.trainLoss)).toEqual(straightEnd?.run?.record.history.map((e) => e.trainLoss).map((l) => expect.closeTo(l, 6)));
  });

  it('saves checkpoints while it trains; a page reloaded after one finds the run stopped there and continues it to the uninterrupted weights', async () => {
    const straight = harness();
    await train(straight, newRun({ epochs: 3 }));
    const target = await readWeights(straight.deps.store.ready('r1'));

    const h = harness();
    // The clock moves on by the checkpoint interval in each epoch's last batch: a checkpoint is due at every epoch end.
    jumpClock(h, [3, 7]);
    const end = await train(h, newRun({ epochs: 3 }));
    expect(end.outcome).toBe('completed');
    // After epochs 1 and 2, not after the last one: the run's own save follows it.
    expect(h.saved.map((s) => [s.record.outcome, s.record.position.epochsCompleted])).toEqual([['stopped', 1], ['stopped', 2], ['completed', 3]]);
    const told = h.events.filter((e) => e.type !== 'trainProgress' && e.type !== 'trainMeasuring').map((e) => (e.type === 'trainCheckpoint' ? `saved ${e.epochsCompleted}` : e.type));
    expect(told).toEqual(['trainStarted', 'epochEnd', 'saved 1', 'epochEnd', 'saved 2', 'epochEnd', 'trainEnd']);
    const first = h.saved[0];
    expect(first.record).toMatchObject({ id: 'r1', position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 3 }, partial: null, final: null, resumable: true });
    expect(first.record.history.map((e) => e.epoch)).toEqual([1]);
    expect(first.record.batchLosses).toHaveLength(3);
    expect(first.record.message).toMatch(/^Training was interrupted in epoch 2 of 3 .*weights from the end of epoch 1/);
    expect(first.weights.optimizer?.iterations).toBe(3);
    // What IndexedDB and run files accept (saveRun checks the same).
    expect(normalizeRunRecord(first.record)).toMatchObject({ outcome: 'stopped', final: null, position: first.record.position });
    // The finished run saved over it says nothing of an interruption.
    expect(h.saved[2].record.message).toBeNull();

    // The page is reloaded after the first checkpoint: a new engine holds what was saved, and Continue trains on.
    const reloaded = afterReload(first);
    const resumed = await train(reloaded, { kind: 'continue', runId: 'r1', extraEpochs: 2 });
    expect(resumed.outcome).toBe('completed');
    expect(resumed.run?.record.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(resumed.run?.record.batchLosses).toHaveLength(9);
    expect(await readWeights(reloaded.deps.store.ready('r1'))).toEqual(target);
    for (const harnessUsed of [straight, h, reloaded]) harnessUsed.deps.store.forget('r1');
  });

  it('saves a checkpoint inside a long epoch, and a page reloaded after it continues from that batch to the uninterrupted weights', async () => {
    const straight = harness();
    await train(straight, newRun({ epochs: 2 }));
    const target = await readWeights(straight.deps.store.ready('r1'));
    const straightLosses = straight.events.flatMap((e) => (e.type === 'trainProgress' ? Array.from(e.batchLosses) : []));

    const h = harness();
    // Twenty seconds pass in the first batch: a checkpoint inside the epoch is due; it comes before the third batch,
    // once the second's loss is in.
    jumpClock(h, [1], MID_EPOCH_CHECKPOINT_MS);
    const end = await train(h, newRun({ epochs: 2 }));
    expect(end.outcome).toBe('completed');
    expect(h.saved.map((s) => [s.record.outcome, s.record.position.epochsCompleted, s.record.position.batch])).toEqual([['stopped', 0, 2], ['completed', 2, 0]]);
    expect(h.events.filter((e) => e.type === 'trainCheckpoint')).toEqual([{ type: 'trainCheckpoint', runId: 'r1', epochsCompleted: 0, batch: 2 }]);
    const inside = h.saved[0];
    expect(inside.record.history).toEqual([]);
    expect(inside.record.batchLosses).toEqual(straightLosses.slice(0, 2));
    expect(inside.record.partial?.weightedLoss).toBeCloseTo(16 * (straightLosses[0] + straightLosses[1]), 5);
    expect(inside.record.message).toMatch(/^Training was interrupted in epoch 1 of 2 .*weights from batch 2 of that epoch/);
    expect(inside.weights.optimizer?.iterations).toBe(2);
    expect(normalizeRunRecord(inside.record)).toMatchObject({ position: { epochsCompleted: 0, batch: 2, batchesPerEpoch: 3 }, partial: inside.record.partial });

    const reloaded = afterReload(inside);
    const resumed = await train(reloaded, { kind: 'continue', runId: 'r1', extraEpochs: 2 });
    expect(resumed.outcome).toBe('completed');
    expect(resumed.run?.record.batchLosses).toHaveLength(6);
    // The first epoch's train loss covers its batches before and after the reload.
    expect(resumed.run?.record.history[0].trainLoss).toBeCloseTo(end.run?.record.history[0].trainLoss ?? Number.NaN, 6);
    expect(await readWeights(reloaded.deps.store.ready('r1'))).toEqual(target);
    for (const harnessUsed of [straight, h, reloaded]) harnessUsed.deps.store.forget('r1');
  });

  it('keeps no checkpoint inside an epoch once the loss read before it shows divergence', async () => {
    const h = harness();
    // An infinite step size: the first update leaves NaN weights, the second batch's loss is NaN. The checkpoint
    // falls due in the first batch and comes once that loss is in.
    jumpClock(h, [1], MID_EPOCH_CHECKPOINT_MS);
    const initial = await readWeights(buildAutoencoder('dense', SETTINGS.seed));
    const end = await train(h, newRun({ learningRate: 1e39, epochs: 2 }));
    expect(end.outcome).toBe('diverged');
    expect(end.run?.record.message).toMatch(/^Training diverged: the loss became NaN \(epoch 1,.*keeps its initial \(untrained\) weights/);
    expect(h.events.filter((e) => e.type === 'trainCheckpoint')).toEqual([]);
    expect(h.saved.map((s) => s.record.outcome)).toEqual(['diverged']);
    expect(h.saved[0].weights.weights).toEqual(initial);
    h.deps.store.forget('r1');
  });

  it('keeps no checkpoint inside an epoch whose weights are not finite, though no loss read yet shows it', async () => {
    const h = harness();
    // The model being trained, to spoil its weights as an overflowing update would.
    let model: tf.LayersModel | null = null;
    const set = h.deps.store.set.bind(h.deps.store);
    h.deps.store.set = (runId, m) => {
      model = m;
      set(runId, m);
    };
    // At the first loss read in (the second batch is already computed on good weights), one weight becomes NaN
    // and a checkpoint falls due: it comes before the third batch, after the second's finite loss.
    jumpClock(h, [1], MID_EPOCH_CHECKPOINT_MS);
    const gpuLost = h.deps.gpuLost;
    let checks = 0;
    h.deps.gpuLost = () => {
      if (++checks === 1 && model) {
        const spoilt = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
        spoilt[0][5] = Number.NaN;
        writeWeights(model, spoilt);
      }
      return gpuLost();
    };
    const end = await train(h, newRun({ epochs: 2 }));
    expect(end.outcome).toBe('diverged');
    expect(end.run?.record.message).toMatch(/^Training diverged: the weights became NaN or infinite \(epoch 1,/);
    expect(h.events.filter((e) => e.type === 'trainCheckpoint')).toEqual([]);
    expect(h.saved.map((s) => s.record.outcome)).toEqual(['diverged']);
    expect(h.saved[0].weights.weights.every((w) => w.every(Number.isFinite))).toBe(true);
    h.deps.store.forget('r1');
  });

  it('a GPU lost after a checkpoint inside an epoch goes on from that checkpoint, repeating only the batches since, to the uninterrupted weights', async () => {
    const straight = harness();
    await train(straight, newRun({ epochs: 2 }));
    const target = await readWeights(straight.deps.store.ready('r1'));

    const h = harness();
    // A checkpoint inside epoch 1 (after its second batch, as above), then the GPU is lost at the next batch check.
    jumpClock(h, [1], MID_EPOCH_CHECKPOINT_MS);
    let checks = 0;
    let lost = false;
    const gpuLost = h.deps.gpuLost;
    h.deps.gpuLost = () => {
      checks++;
      if (checks === 3) lost = true;
      return gpuLost() || lost;
    };
    h.deps.recoverFromLostGpu = async () => {
      lost = false;
      return 'cpu';
    };
    const end = await train(h, newRun({ epochs: 2 }));
    expect(end.outcome).toBe('completed');
    const notices = h.events.filter((e) => e.type === 'trainNotice');
    expect(notices).toEqual([
      { type: 'trainNotice', runId: 'r1', epochsCompleted: 0, batch: 2, message: expect.stringMatching(/^The GPU \(cpu\) was lost in epoch 1\. Training goes on with cpu from batch 2 of epoch 1, where it was last saved; the batches since are repeated\.$/) },
    ]);
    expect(end.run?.record.batchLosses).toHaveLength(6);
    expect(end.run?.record.history.map((e) => e.epoch)).toEqual([1, 2]);
    expect(await readWeights(h.deps.store.ready('r1'))).toEqual(target);
    for (const used of [straight, h]) used.deps.store.forget('r1');
  });

  it('a checkpoint that cannot be saved is reported once, and the run trains on to its end', async () => {
    const h = harness();
    let time = Date.parse('2026-12-05T12:00:00Z');
    h.deps.now = () => new Date((time += CHECKPOINT_INTERVAL_MS));
    h.deps.save = async (record, weights) => {
      if (record.outcome === 'stopped') throw new Error('the storage is full');
      h.saved.push({ record, weights });
    };
    const end = await train(h, newRun({ epochs: 3 }));
    expect(end.outcome).toBe('completed');
    const notices = h.events.filter((e) => e.type === 'storageNotice');
    expect(notices).toEqual([{ type: 'storageNotice', message: 'test run could not be saved while it trains: the storage is full' }]);
    expect(h.events.some((e) => e.type === 'trainCheckpoint')).toBe(false);
    expect(h.saved.map((s) => s.record.outcome)).toEqual(['completed']);
  });

  it('a new run is saved as not started (waiting in the queue or not), continues after a reload like a new run, and is forgotten when removed', async () => {
    const straight = harness();
    const straightEnd = await train(straight, newRun({ epochs: 2 }, 'r2'));
    const target = await readWeights(straight.deps.store.ready('r2'));

    const h = harness();
    // Each queued or training run holds its Web Lock, so another tab leaves it alone (see run-locks).
    vi.stubGlobal('navigator', { locks: new FakeLocks() });
    const taken: string[] = [];
    const queue = new TrainingQueue(h.deps, { taken: (runId) => taken.push(runId), elsewhere: () => undefined });
    queue.enqueue(newRun({ epochs: 1 }, 'r1'));
    queue.enqueue(newRun({ epochs: 2 }, 'r2'));
    queue.enqueue(newRun({ epochs: 2 }, 'r3'));
    queue.stop('r3');
    // A lock is let go asynchronously, as the browser's are.
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set(['r1', 'r2'])));
    const ends = () => h.events.filter((e) => e.type === 'trainEnd').map((e) => `${e.runId} ${e.outcome}`);
    await vi.waitFor(() => expect(ends()).toEqual(['r3 stopped', 'r1 completed', 'r2 completed']), { timeout: 30_000, interval: 50 });
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
    vi.unstubAllGlobals();
    // Other tabs are told of the runs this one trains, not of one removed before its lock was held.
    expect(taken).toEqual(['r1', 'r2']);
    // Every new run is saved as not started before anything else of it, each before its own save.
    expect(h.saved.map((s) => `${s.record.id} ${s.record.outcome} ${s.record.position.epochsCompleted}`)).toEqual(['r1 stopped 0', 'r2 stopped 0', 'r3 stopped 0', 'r1 completed 1', 'r2 completed 2']);
    expect(h.removed).toEqual(['r3']);
    // The one that started at once can only say it was interrupted before anything was saved.
    expect(h.saved[0].record.message).toMatch(/^Training was interrupted before any of it was saved \(the page was closed/);
    const waiting = h.saved[1];
    expect(waiting.record).toMatchObject({ history: [], batchLosses: [], initialTestMse: null, final: null, settings: { epochs: 2 } });
    expect(waiting.record.message).toMatch(/^Training had not started when it was interrupted/);
    expect(waiting.weights.optimizer).toBeNull();
    expect(normalizeRunRecord(waiting.record)).toMatchObject({ position: { epochsCompleted: 0, batch: 0 } });

    // A reload while r2 waited: the engine holds what was saved, and Continue trains it as the new run would have.
    const reloaded = afterReload(waiting);
    const resumed = await train(reloaded, { kind: 'continue', runId: 'r2', extraEpochs: 2 });
    expect(resumed.outcome).toBe('completed');
    expect(resumed.run?.record.initialTestMse).toBeCloseTo(straightEnd.run?.record.initialTestMse ?? Number.NaN, 7);
    expect(await readWeights(reloaded.deps.store.ready('r2'))).toEqual(target);
    for (const [used, ids] of [[straight, ['r2']], [h, ['r1', 'r2']], [reloaded, ['r2']]] as const) for (const id of ids) used.deps.store.forget(id);
  });

  it('refuses to continue a run another tab trains or has queued, at once and without training, and says so', async () => {
    const h = harness();
    await train(h, newRun({ epochs: 1 }));
    await train(h, newRun({ epochs: 1 }, 'r2'));
    h.events.length = 0;
    const locks = new FakeLocks();
    vi.stubGlobal('navigator', { locks });
    const { release: otherTab } = holdRunLock('r1');
    const elsewhere: string[] = [];
    const taken: string[] = [];
    const queue = new TrainingQueue(h.deps, { taken: (runId) => taken.push(runId), elsewhere: (runId) => elsewhere.push(runId) });
    // Once as the only job (refused when its turn comes), once behind a run that trains here (refused at once).
    queue.enqueue({ kind: 'continue', runId: 'r1', extraEpochs: 1 });
    await vi.waitFor(() => expect(elsewhere).toEqual(['r1']));
    queue.enqueue({ kind: 'continue', runId: 'r2', extraEpochs: 1 });
    queue.enqueue({ kind: 'continue', runId: 'r1', extraEpochs: 1 });
    await vi.waitFor(() => expect(elsewhere).toEqual(['r1', 'r1']));
    const ends = () => h.events.filter((e) => e.type === 'trainEnd').map((e) => `${e.runId} ${e.outcome} ${e.message}`);
    const refused = 'r1 stopped “test run” is training in another tab of this page; continue it there, or here once it has ended there.';
    expect(ends()).toEqual([refused, refused]);
    expect(queue.has('r1')).toBe(false);
    await vi.waitFor(() => expect(ends()).toEqual([refused, refused, 'r2 completed null']), { timeout: 30_000, interval: 50 });
    expect(h.events.filter((e) => e.type === 'trainStarted').map((e) => e.runId)).toEqual(['r2']);
    // Other tabs learn of the run this tab took, not of those it could not.
    expect(taken).toEqual(['r2']);
    // Nothing of r1 was saved by the refused Continues (its one save is its first run's end).
    expect(h.saved.filter((s) => s.record.id === 'r1').map((s) => s.record.position.epochsCompleted)).toEqual([1]);
    // Once the other tab lets go, Continue here works.
    otherTab();
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
    queue.enqueue({ kind: 'continue', runId: 'r1', extraEpochs: 1 });
    await vi.waitFor(() => expect(ends().at(-1)).toBe('r1 completed null'), { timeout: 30_000, interval: 50 });
    await vi.waitFor(() => expect(runsLockedNow()).resolves.toEqual(new Set()));
    vi.unstubAllGlobals();
    for (const id of ['r1', 'r2']) h.deps.store.forget(id);
  });

  it('refuses to continue a run on another data set, keeping the run as it was', async () => {
    const h = harness();
    await train(h, newRun({ epochs: 1 }));
    const other = harness(loaded('bbbbbbbb'));
    other.deps.store = h.deps.store;
    const end = await train(other, { kind: 'continue', runId: 'r1', extraEpochs: 1 });
    expect(end).toMatchObject({ outcome: 'failed', run: null });
    expect(end.message).toMatch(/trained on synthetic; load that data set again/);
    expect(h.deps.store.record('r1').history).toHaveLength(1);
  });

  it('a diverging run goes back to the best weights it had and says which, with their test MSE', async () => {
    const data = loaded('aaaaaaaa', true);
    const h = harness(data);
    const end = await train(h, newRun({ learningRate: 10, epochs: 3 }));
    expect(end.outcome).toBe('diverged');
    const record = end.run?.record;
    if (!record) throw new Error('a diverged run keeps its weights');
    const kept = await evaluateMse(h.deps.store.ready('r1'), 'dense', data.mnist.test);
    expect(record.final?.testMse).toBeCloseTo(kept, 7);
    expect(record.message).toMatch(/worse than the untrained model's/);
    // Never worse than the untrained model: the initial weights are the fallback.
    expect(kept).toBeLessThanOrEqual((record.initialTestMse ?? 0) + 1e-9);
    expect(record.message).toMatch(/The run keeps (its initial \(untrained\) weights|its weights from the end of epoch \d)/);
    expect(record.message).toContain(`test MSE ${kept.toFixed(4)}`);
    expect(h.saved).toHaveLength(1);
  });
});
