/**
 * Persistence of training runs in IndexedDB: save → load round trips for every architecture (record, weights,
 * Adam state, identical predictions), runs of one architecture side by side, a continued run, rename and
 * delete, damaged entries skipped with a notice while the others load, atomic failure on a full quota, a
 * clear error when IndexedDB is missing, and the version-1 entries (one model per architecture) read for
 * migration. IndexedDB is fake-indexeddb's in-memory implementation, a fresh database per test.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ARCH_IDS, type ArchId } from '../../src/models/architectures';
import { artifactsOf, MODEL_FILE_FORMAT, normalizeRecord } from '../../src/worker/engine/model-files';
import type { RunWeights } from '../../src/worker/engine/model-store';
import {
  DATABASE_NAME,
  deleteSavedRun,
  loadSavedRuns,
  PersistenceError,
  readLegacyModels,
  removeLegacyModel,
  RUN_WEIGHTS_FORMAT,
  saveRun,
  saveRunRecord,
  type PersistenceErrorCode,
} from '../../src/worker/engine/persistence';
import { legacyRunRecord, normalizeRunRecord, type LegacyModelRecord } from '../../src/worker/engine/run-records';
import type { RunRecord } from '../../src/worker/protocol';
import { MNIST } from './state-fixtures';
import { adamFor, expectSameArrays, predictions, predictionsWith, runRecord, trainedModel, weightsOf } from './run-fixtures';




/** A run of `arch` from a model of `seed`, with Adam state: weights as the engine keeps them on the host. */
function runWeights(arch: ArchId, seed: number, iterations = 48): RunWeights {
  const model = trainedModel(arch, seed);
  const weights = weightsOf(model);
  model.dispose();
  return { weights, optimizer: adamFor(weights, iterations) };
}




function expectSameRun(got: RunWeights, want: RunWeights) {
  expectSameArrays(got.weights, want.weights);
  expect(got.optimizer?.iterations).toBe(want.optimizer?.iterations);
  expectSameArrays(got.optimizer?.m ?? [], want.optimizer?.m ?? []);
  expectSameArrays(got.optimizer?.v ?? [], want.optimizer?.v ?? []);
}

/** Expects `work` to reject with a PersistenceError of `code` whose message matches, leaving no tensors. */
async function expectRejection(work: () => Promise<unknown>, code: PersistenceErrorCode, message: RegExp | string) {
  const before = tf.memory().numTensors;
  const error: unknown = await work().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PersistenceError);
  if (!(error instanceof PersistenceError)) return;
  expect({ code: error.code, message: error.message }).toEqual({
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
  expect(tf.memory().numTensors).toBe(before);
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Opens our database through the raw IndexedDB API at `version`, creating `stores` when it is new. */
async function openRaw(version: number, stores: readonly string[]): Promise<IDBDatabase> {
  const request = indexedDB.open(DATABASE_NAME, version);
  request.onupgradeneeded = () => {
    for (const store of stores) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
  };
  return requestResult(request);
}

/** Writes entries straight into the database's stores (as another version of the app, or damage, would). */
async function writeRaw(version: number, stores: readonly string[], entries: readonly { store: string; key: string; value: unknown }[]): Promise<void> {
  const db = await openRaw(version, stores);
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction([...new Set(entries.map((e) => e.store))], 'readwrite');
      for (const { store, key, value } of entries) tx.objectStore(store).put(value, key);
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

async function countRaw(store: string): Promise<number> {
  const db = await openRaw(2, []);
  try {
    return await requestResult(db.transaction(store, 'readonly').objectStore(store).count());
  } finally {
    db.close();
  }
}

const V2_STORES = ['runs', 'runWeights', 'records', 'weights'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(() => {
  // A fresh, empty in-memory IndexedDB for every test.
  vi.stubGlobal('indexedDB', new IDBFactory());
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('saved runs', () => {
  it.each(ARCH_IDS)('round-trips a %s run: record, weights, Adam state and identical predictions', async (arch) => {
    expect(await loadSavedRuns()).toEqual({ runs: [], notices: [] });
    const model = trainedModel(arch, 7);
    const weights = weightsOf(model);
    const run: RunWeights = { weights, optimizer: adamFor(weights, 48) };
    const record = runRecord(arch, {
      dense: { lossStride: 4, message: 'Stopped after epoch 2; Dense keeps the weights it had then.', outcome: 'stopped' as const },
      cnn_relu: {},
      cnn_elu: {
        initialTestMse: null,
        final: null,
        outcome: 'stopped' as const,
        position: { epochsCompleted: 1, batch: 5, batchesPerEpoch: 24 },
        partial: { weightedLoss: 0.42, seconds: 3.5 },
      },
    }[arch]);
    const before = tf.memory().numTensors;
    await saveRun(record, run);
    const { runs, notices } = await loadSavedRuns();
    expect(tf.memory().numTensors).toBe(before);
    expect(notices).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(runs[0].record).toEqual(normalizeRunRecord(record));
    expect(runs[0].record).toEqual(record);
    expectSameRun(runs[0].weights, run);
    expect(predictionsWith(arch, runs[0].weights.weights)).toEqual(predictions(model, arch));
    model.dispose();
  });

  it('keeps runs of one architecture side by side, oldest first; deleting one leaves the others', async () => {
    const first = runWeights('cnn_relu', 1);
    const second = runWeights('cnn_relu', 2, 96);
    const dense = runWeights('dense', 3);
    const older = runRecord('cnn_relu', { id: 'run-b', name: 'first', createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = runRecord('cnn_relu', { id: 'run-a', name: 'second', createdAt: '2026-01-03T00:00:00.000Z', settings: { ...older.settings, seed: 2 } });
    const middle = runRecord('dense', { id: 'run-c', createdAt: '2026-01-02T00:00:00.000Z' });
    // Saved newest first: the list comes back oldest first, whatever the keys.
    await saveRun(newer, second);
    await saveRun(older, first);
    await saveRun(middle, dense);
    let saved = await loadSavedRuns();
    expect(saved.runs.map((r) => r.record)).toEqual([older, middle, newer]);
    expectSameRun(saved.runs[0].weights, first);
    expectSameRun(saved.runs[2].weights, second);
    expect(predictionsWith('cnn_relu', saved.runs[0].weights.weights)).not.toEqual(predictionsWith('cnn_relu', saved.runs[2].weights.weights));

    await deleteSavedRun('run-b');
    await deleteSavedRun('never-saved'); // not an error
    saved = await loadSavedRuns();
    expect(saved.runs.map((r) => r.record.id)).toEqual(['run-c', 'run-a']);
    expectSameRun(saved.runs[1].weights, second);
    expect(await countRaw('runWeights')).toBe(2);
  });

  it('replaces a continued run’s entry: history appended, epochs raised, new weights and Adam state', async () => {
    const record = runRecord('cnn_elu');
    await saveRun(record, runWeights('cnn_elu', 1, 48));
    const continued: RunRecord = {
      ...record,
      settings: { ...record.settings, epochs: 4 },
      endedAt: '2026-01-05T00:00:00.000Z',
      position: { ...record.position, epochsCompleted: 4 },
      history: [
        ...record.history,
        { epoch: 3, trainLoss: 0.02, testMse: 0.019, trainSeconds: 12, samplesPerSec: 500 },
        { epoch: 4, trainLoss: 0.018, testMse: 0.017, trainSeconds: 12.25, samplesPerSec: 490 },
      ],
      batchLosses: [...record.batchLosses, ...Array.from({ length: 48 }, (_, i) => 0.02 - i * 1e-4)],
      final: { testMse: 0.017, deadUnits: 0 },
    };
    const later = runWeights('cnn_elu', 2, 96);
    await saveRun(continued, later);
    const { runs, notices } = await loadSavedRuns();
    expect(notices).toEqual([]);
    expect(runs.map((r) => r.record)).toEqual([continued]);
    expectSameRun(runs[0].weights, later);
  });

  it('renames with saveRunRecord, keeping the weights; renaming an unsaved run stores nothing', async () => {
    const record = runRecord('dense');
    const run = runWeights('dense', 4);
    await saveRun(record, run);
    await saveRunRecord({ ...record, name: 'My best dense run' });
    await saveRunRecord(runRecord('dense', { id: 'run-unsaved', name: 'ghost' }));
    const { runs } = await loadSavedRuns();
    expect(runs.map((r) => r.record)).toEqual([{ ...record, name: 'My best dense run' }]);
    expectSameRun(runs[0].weights, run);
    expect(await countRaw('runs')).toBe(1);
  });

  it('refuses to save a malformed record or weights that do not fit, storing nothing', async () => {
    const run = runWeights('cnn_relu', 1);
    const record = runRecord('cnn_relu');
    await expectRejection(() => saveRun({ ...record, settings: { ...record.settings, epochs: 0 } }, run), 'bad-file', /its settings are invalid \(Epochs must be between 1 and 200\.\)/);
    await expectRejection(() => saveRun(runRecord('dense'), run), 'incompatible', 'The weights hold 12 tensors where this architecture has 6.');
    await expectRejection(
      () => saveRun(record, { ...run, weights: run.weights.map((w, i) => (i === 4 ? w.map(() => Number.NaN) : w)) }),
      'corrupt',
      'The weights contain NaN or infinite values (tensor 5); they cannot be used.',
    );
    await expectRejection(() => saveRunRecord({ ...record, outcome: 'exploded' as RunRecord['outcome'] }), 'bad-file', /'outcome' should be one of/);
    expect(await loadSavedRuns()).toEqual({ runs: [], notices: [] });
  });

  it('skips damaged entries with a notice each, leaving them in place, and loads the others', async () => {
    const good = runWeights('cnn_relu', 1);
    const record = (id: string, name: string) => runRecord('cnn_relu', { id, name });
    await saveRun(record('c-good', 'Good'), good);
    const weights = (run: RunWeights) => ({ format: RUN_WEIGHTS_FORMAT, weights: run.weights, optimizer: run.optimizer });
    const optimizer = good.optimizer;
    if (!optimizer) throw new Error('the fixture has Adam state');
    await writeRaw(2, V2_STORES, [
      { store: 'runs', key: 'a-bad-record', value: { ...record('a-bad-record', 'Bad record'), outcome: 'exploded' } },
      { store: 'runWeights', key: 'a-bad-record', value: weights(good) },
      { store: 'runs', key: 'b-short', value: record('b-short', 'Short weights') },
      { store: 'runWeights', key: 'b-short', value: weights({ ...good, weights: good.weights.map((w, i) => (i === 4 ? w.slice(1) : w)) }) },
      { store: 'runs', key: 'd-no-weights', value: record('d-no-weights', 'No weights') },
      { store: 'runs', key: 'e-future', value: record('e-future', 'Future') },
      { store: 'runWeights', key: 'e-future', value: { ...weights(good), format: 'autoencoder-playground/run-weights@3' } },
      { store: 'runs', key: 'f-nan-adam', value: record('f-nan-adam', 'NaN Adam') },
      { store: 'runWeights', key: 'f-nan-adam', value: weights({ ...good, optimizer: { ...optimizer, v: optimizer.v.map((v, i) => (i === 1 ? v.map(() => Number.NaN) : v)) } }) },
      { store: 'runs', key: 'g-vae', value: { ...record('g-vae', 'VAE'), settings: { ...record('g-vae', 'VAE').settings, arch: 'vae' } } },
      { store: 'runWeights', key: 'g-vae', value: weights(good) },
      { store: 'runs', key: 'h-huge-seed', value: { ...record('h-huge-seed', 'Huge seed'), settings: { ...record('h-huge-seed', 'x').settings, seed: 2 ** 32 } } },
      { store: 'runWeights', key: 'h-huge-seed', value: weights(good) },
      { store: 'runs', key: 'i-not-a-record', value: 'garbage' },
    ]);
    const before = tf.memory().numTensors;
    const { runs, notices } = await loadSavedRuns();
    expect(tf.memory().numTensors).toBe(before);
    expect(runs.map((r) => r.record.id)).toEqual(['c-good']);
    expectSameRun(runs[0].weights, good);
    const skipped = (name: string, why: string) => `The saved run “${name}” could not be read and was skipped: ${why}`;
    expect(notices).toEqual([
      skipped('Bad record', "The run's description is damaged: 'outcome' should be one of completed, stopped, diverged, failed."),
      skipped('Short weights', "The weights' tensor 5 has 200703 values where this architecture has 200704."),
      skipped('No weights', 'its weights are missing'),
      skipped('Future', 'its weights are stored as autoencoder-playground/run-weights@3'),
      skipped('NaN Adam', "The optimiser's second moments contain NaN or infinite values (tensor 2); they cannot be used."),
      skipped('VAE', 'This run is of an unknown architecture "vae".'),
      skipped('Huge seed', "The run's description is damaged: its settings are invalid (The seed must be between 0 and 4,294,967,295.)."),
      skipped('a saved run', "The run's description is damaged: it should be a run record."),
    ]);
    // Left in place: a later version may read them, and nothing is lost by keeping them.
    expect(await countRaw('runs')).toBe(9);
  });

  it('keeps the run’s earlier entry intact when storage is full', async () => {
    const record = runRecord('cnn_relu');
    const first = runWeights('cnn_relu', 1);
    await saveRun(record, first);

    // The weights write goes through; the record write then hits the quota, so the transaction must undo both.
    const realPut = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      calls += 1;
      if (calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.call(this, value, key);
    });
    const continued = { ...record, settings: { ...record.settings, epochs: 3 } };
    await expectRejection(
      () => saveRun(continued, runWeights('cnn_relu', 2)),
      'quota',
      "The browser's storage for this site is full, so runs are kept in memory only. Deleting saved runs or this site's data frees space.",
    );
    expect(calls).toBe(2);
    vi.restoreAllMocks();

    const { runs } = await loadSavedRuns();
    expect(runs.map((r) => r.record)).toEqual([record]);
    expectSameRun(runs[0].weights, first);
  });

  it('keeps the run’s earlier entry intact when the write fails at commit time', async () => {
    const record = runRecord('cnn_elu');
    const first = runWeights('cnn_elu', 1);
    await saveRun(record, first);

    // add() on an existing key fails asynchronously (ConstraintError) and aborts the transaction, the way a
    // quota failure at commit does; the save must reject and roll the weights write back.
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      return this.name === 'runs' ? this.add(value, key) : realPut.call(this, value, key);
    });
    await expectRejection(
      () => saveRun({ ...record, settings: { ...record.settings, epochs: 3 } }, runWeights('cnn_elu', 2)),
      'unavailable',
      /^Browser storage \(IndexedDB\) could not save the run cnn_elu · seed 1 · lr 0\.002 \(.+\), so runs are kept in memory only\.$/,
    );
    vi.restoreAllMocks();

    const { runs } = await loadSavedRuns();
    expect(runs.map((r) => r.record)).toEqual([record]);
    expectSameRun(runs[0].weights, first);
  });

  it('reports IndexedDB missing or refused as unavailable', async () => {
    const run = runWeights('cnn_relu', 1);
    vi.stubGlobal('indexedDB', undefined);
    const missing = /^This browser offers no IndexedDB here \(private browsing\?\), so runs are kept in memory only\.$/;
    await expectRejection(() => saveRun(runRecord('cnn_relu'), run), 'unavailable', missing);
    await expectRejection(() => loadSavedRuns(), 'unavailable', missing);
    await expectRejection(() => deleteSavedRun('run-cnn_relu'), 'unavailable', missing);
    await expectRejection(() => saveRunRecord(runRecord('cnn_relu')), 'unavailable', missing);
    await expectRejection(() => readLegacyModels(normalizeRecord), 'unavailable', missing);

    const refusing: Pick<IDBFactory, 'open'> = {
      open: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    };
    vi.stubGlobal('indexedDB', refusing);
    await expectRejection(() => loadSavedRuns(), 'unavailable', 'Browser storage (IndexedDB) could not be opened (The operation is insecure.), so runs are kept in memory only.');
  });
});

describe('diverged runs (NaN losses)', () => {
  it('save and load again, the NaN losses intact', async () => {
    const record = runRecord('dense', {
      outcome: 'diverged',
      message: 'Training diverged: the loss became NaN (epoch 2, learning rate 5).',
      history: [
        { epoch: 1, trainLoss: 0.05, testMse: 0.04, trainSeconds: 12.5, samplesPerSec: 480 },
        { epoch: 2, trainLoss: Number.NaN, testMse: Number.NaN, trainSeconds: 11.75, samplesPerSec: 510.5 },
      ],
      batchLosses: [0.3, 0.2, Number.NaN, Number.NaN],
      position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 24 },
    });
    await saveRun(record, runWeights('dense', 1));
    const { runs, notices } = await loadSavedRuns();
    expect(notices).toEqual([]);
    expect(runs.map((r) => r.record)).toEqual([record]);
  });
});

describe('version 1 entries (one model per architecture)', () => {
  const legacyRecord = (arch: ArchId, overrides: Partial<LegacyModelRecord> = {}): LegacyModelRecord => ({
    arch,
    savedAt: '2025-01-02T03:04:05.678Z',
    epochs: 2,
    trainSize: 6_000,
    history: [
      { epoch: 1, trainLoss: 0.05, testMse: 0.04, trainSeconds: 12.5, samplesPerSec: 480 },
      { epoch: 2, trainLoss: 0.03, testMse: 0.025, trainSeconds: 11.75, samplesPerSec: 510.5 },
    ],
    initialTestMse: 0.23,
    backend: 'webgl',
    batchLosses: [0.3, 0.2, 0.1, 0.05],
    ...overrides,
  });

  /** A version-1 `weights` entry, as the removed saveModel wrote it: the model@1 payload. */
  async function legacyEntry(model: tf.LayersModel) {
    return { format: MODEL_FILE_FORMAT, ...(await artifactsOf(model)) };
  }

  it('reads each architecture’s model with its weights in getWeights() order, and skips a damaged one with a notice', async () => {
    const dense = trainedModel('dense', 3);
    const elu = trainedModel('cnn_elu', 4);
    const relu = trainedModel('cnn_relu', 5);
    const broken = await legacyEntry(relu);
    broken.weightSpecs = broken.weightSpecs.map((s, i) => (i === 0 ? { ...s, shape: [3, 3, 1, 16] } : s));
    await writeRaw(1, ['records', 'weights'], [
      { store: 'records', key: 'dense', value: legacyRecord('dense') },
      { store: 'weights', key: 'dense', value: await legacyEntry(dense) },
      { store: 'records', key: 'cnn_elu', value: legacyRecord('cnn_elu', { seed: 2, epochs: 5 }) },
      { store: 'weights', key: 'cnn_elu', value: await legacyEntry(elu) },
      { store: 'records', key: 'cnn_relu', value: legacyRecord('cnn_relu') },
      { store: 'weights', key: 'cnn_relu', value: broken },
    ]);
    const before = tf.memory().numTensors;
    const legacy = await readLegacyModels(normalizeRecord);
    expect(tf.memory().numTensors).toBe(before);
    expect(legacy.models.map((m) => m.record)).toEqual([legacyRecord('cnn_elu', { seed: 2, epochs: 5 }), legacyRecord('dense')]);
    expectSameArrays(legacy.models[0].weights, weightsOf(elu));
    expectSameArrays(legacy.models[1].weights, weightsOf(dense));
    expect(predictionsWith('cnn_elu', legacy.models[0].weights)).toEqual(predictions(elu, 'cnn_elu'));
    expect(legacy.notices).toEqual([
      "A model saved by an earlier version could not be read and was skipped: The weights do not fit the CNN · ReLU architecture: weight 'conv2d/kernel' has shape [3,3,1,16] where there should be [2,2,1,32].",
    ]);
    // Opening the database at version 2 kept version 1's entries and added the run stores.
    expect(await loadSavedRuns()).toEqual({ runs: [], notices: [] });

    // The engine's migration: each becomes a run, saved, and the old entry goes.
    const [first] = legacy.models;
    const run = legacyRunRecord(first.record, 'saved-cnn_elu', MNIST);
    await saveRun(run, { weights: first.weights, optimizer: null });
    await removeLegacyModel(first.record.arch);
    const { runs, notices } = await loadSavedRuns();
    expect(notices).toEqual([]);
    expect(runs.map((r) => r.record)).toEqual([run]);
    expect(runs[0].record).toMatchObject({ settings: { arch: 'cnn_elu', epochs: 5, learningRate: 0.001, seed: 2 }, resumable: false });
    expect(runs[0].weights.optimizer).toBeNull();
    expect(predictionsWith('cnn_elu', runs[0].weights.weights)).toEqual(predictions(elu, 'cnn_elu'));
    expect((await readLegacyModels(normalizeRecord)).models.map((m) => m.record.arch)).toEqual(['dense']);
    await removeLegacyModel('cnn_relu'); // the damaged one, once the engine gives up on it
    expect(await readLegacyModels(normalizeRecord)).toMatchObject({ notices: [] });
    dense.dispose();
    elu.dispose();
    relu.dispose();
  });

  it('reports a version-1 record without weights, or with a malformed record, as a notice', async () => {
    await writeRaw(1, ['records', 'weights'], [
      { store: 'records', key: 'dense', value: legacyRecord('dense') },
      { store: 'records', key: 'cnn_relu', value: { ...legacyRecord('cnn_relu'), epochs: -1 } },
    ]);
    const legacy = await readLegacyModels(normalizeRecord);
    expect(legacy.models).toEqual([]);
    expect(legacy.notices).toEqual([
      "A model saved by an earlier version could not be read and was skipped: The model file's description is damaged: 'epochs' should be a whole number ≥ 0, found -1.",
      'A model saved by an earlier version could not be read and was skipped: its weights are missing',
    ]);
  });
});
