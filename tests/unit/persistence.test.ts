/**
 * Persistence of trained models: the downloadable file (round trip for every architecture, and one specific
 * message per kind of damage, with no tensor left behind) and the IndexedDB store (save → list → load →
 * delete, atomic failure on a full quota, a clear error when IndexedDB is missing). IndexedDB is
 * fake-indexeddb's in-memory implementation, a fresh database per test.
 */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ARCH_IDS, buildAutoencoder, inputShapeOf, type ArchId } from '../../src/models/architectures';
import { decodeBase64, encodeBase64 } from '../../src/worker/engine/model-files';
import {
  MAX_STORED_BATCH_LOSSES,
  MODEL_FILE_FORMAT,
  PersistenceError,
  deleteSavedModel,
  exportModelFile,
  importModelFile,
  listSavedModels,
  loadSavedModel,
  saveModel,
  suggestedFileName,
  thinBatchLosses,
  type ModelRecord,
  type PersistenceErrorCode,
} from '../../src/worker/engine/persistence';

/** Parameters × 4 bytes. */
const WEIGHT_BYTES: Record<ArchId, number> = { dense: 716_640 * 4, cnn_relu: 421_377 * 4, cnn_elu: 421_377 * 4 };

function recordFor(arch: ArchId, overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    arch,
    savedAt: '2025-01-02T03:04:05.678Z',
    epochs: 2,
    trainSize: 6_000,
    history: [
      { epoch: 1, trainLoss: 0.05, testMse: 0.04, trainSeconds: 12.5, samplesPerSec: 480 },
      { epoch: 2, trainLoss: 0.03, testMse: 0.025, trainSeconds: 11.75, samplesPerSec: 510.5 },
    ],
    initialTestMse: 0.23,
    backend: 'cpu',
    batchLosses: [0.3, 0.2, 0.1, 0.05],
    ...overrides,
  };
}

/** A model with every weight non-zero and seed-dependent (biases start at zero, so shift them). */
function trainedModel(arch: ArchId, seed: number): tf.LayersModel {
  const model = buildAutoencoder(arch, seed);
  const shifted = tf.tidy(() => model.getWeights().map((w, i) => tf.add(w, (seed + i) * 1e-3)));
  model.setWeights(shifted);
  tf.dispose(shifted);
  return model;
}

function predictions(model: tf.LayersModel, arch: ArchId): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.randomUniform([3, ...inputShapeOf(arch)], 0, 1, 'float32', 11));
    if (Array.isArray(out)) throw new Error('expected one output');
    return out.dataSync() as Float32Array;
  });
}

type FileJson = {
  format: unknown;
  record: Record<string, unknown>;
  modelTopology: unknown;
  weightSpecs: { name: string; shape: number[]; dtype: string }[];
  weightData: string;
};

async function exportedJson(arch: ArchId, seed = 1): Promise<FileJson> {
  const model = trainedModel(arch, seed);
  const blob = await exportModelFile(model, recordFor(arch));
  model.dispose();
  return JSON.parse(await blob.text()) as FileJson;
}

function blobOf(value: unknown): Blob {
  return new Blob([JSON.stringify(value)], { type: 'application/json' });
}

function withWeights(file: FileJson, edit: (bytes: Uint8Array<ArrayBuffer>) => Uint8Array): FileJson {
  return { ...file, weightData: encodeBase64(edit(decodeBase64(file.weightData))) };
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

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('base64 and loss thinning', () => {
  it('encodes like Node’s Buffer, in chunks, without overflowing the stack', () => {
    for (const length of [0, 1, 2, 3, 4, 24_575, 24_576, 24_577]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 255);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Buffer.from(decodeBase64(text)).equals(Buffer.from(bytes))).toBe(true);
    }
    // The dense model's size: one String.fromCharCode(...bytes) call this long would overflow the stack.
    const big = new Uint8Array(WEIGHT_BYTES.dense).map((_, i) => (i * 2_654_435_761) >>> 24);
    const text = encodeBase64(big);
    expect(text).toBe(Buffer.from(big).toString('base64'));
    // Buffer comparison: vitest's element-wise toEqual takes seconds on megabytes.
    expect(Buffer.from(decodeBase64(text)).equals(Buffer.from(big))).toBe(true);
  });

  it('thins long loss curves to bucket means and leaves short ones alone', () => {
    expect(thinBatchLosses([1, 2, 3])).toEqual([1, 2, 3]);
    expect(thinBatchLosses([1, 3, 5, 7], 2)).toEqual([2, 6]);
    const long = Array.from({ length: 10_001 }, (_, i) => i);
    const thin = thinBatchLosses(long);
    expect(thin).toHaveLength(MAX_STORED_BATCH_LOSSES);
    expect(thin[0]).toBeCloseTo(2, 5); // mean of 0..4 (first bucket has 5 of the 10,001)
    expect(thin.reduce((a, b) => a + b, 0) / thin.length).toBeCloseTo(5_000, 0);
  });
});

describe('model file', () => {
  it.each(ARCH_IDS)('round-trips %s with identical predictions and an equal record', async (arch) => {
    const before = tf.memory().numTensors;
    const model = trainedModel(arch, 7);
    // NaN (a diverged epoch) survives JSON, which has no NaN, and an unknown initial MSE stays null.
    const record = recordFor(arch, {
      initialTestMse: arch === 'cnn_elu' ? null : 0.2,
      // Files saved before seeds were settable have none; they load without one.
      ...(arch === 'dense' ? {} : { seed: 3 }),
      history: [{ epoch: 1, trainLoss: arch === 'dense' ? NaN : 0.1, testMse: 0.09, trainSeconds: 3, samplesPerSec: 99 }],
    });
    const withModel = tf.memory().numTensors;
    const blob = await exportModelFile(model, record);
    expect(tf.memory().numTensors).toBe(withModel);
    const json = JSON.parse(await blob.text()) as FileJson;
    expect(json.format).toBe(MODEL_FILE_FORMAT);
    expect(decodeBase64(json.weightData).byteLength).toBe(WEIGHT_BYTES[arch]);

    const loaded = await importModelFile(blob);
    expect(loaded.record).toEqual(record);
    expect(predictions(loaded.model, arch)).toEqual(predictions(model, arch));
    expect(loaded.model.countParams()).toBe(model.countParams());
    loaded.model.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(suggestedFileName(record)).toBe(`autoencoder-${arch}-2-epochs.json`);
  });

  it('thins batch losses longer than the limit when exporting', async () => {
    const model = trainedModel('cnn_relu', 2);
    const losses = Array.from({ length: 4_500 }, (_, i) => 1 / (i + 1));
    const blob = await exportModelFile(model, recordFor('cnn_relu', { batchLosses: losses }));
    model.dispose();
    const { model: loaded, record } = await importModelFile(blob);
    loaded.dispose();
    expect(record.batchLosses).toEqual(thinBatchLosses(losses));
  });

  it('refuses to export a model whose weights are not finite, or under another architecture', async () => {
    const model = buildAutoencoder('cnn_relu', 1);
    await expectRejection(() => exportModelFile(model, recordFor('cnn_elu')), 'incompatible', /activation "relu" where there should be "elu"/);
    const poisoned = tf.tidy(() => model.getWeights().map((w, i) => (i === 4 ? tf.fill(w.shape, NaN) : tf.clone(w))));
    model.setWeights(poisoned);
    tf.dispose(poisoned);
    await expectRejection(() => exportModelFile(model, recordFor('cnn_relu')), 'corrupt', /NaN or infinite values \(first in 'latent\/kernel'\)/);
    model.dispose();
  });

  describe('rejects damaged or foreign files with a specific message and no tensors left', () => {
    let cnn: FileJson;
    beforeAll(async () => {
      cnn = await exportedJson('cnn_relu');
    });

    it('not JSON', async () => {
      await expectRejection(() => importModelFile(new Blob(['\u0089PNG\r\n'])), 'bad-file', /^This file is not an Autoencoder Playground model \(it is not JSON\)\.$/);
      await expectRejection(() => importModelFile(new Blob([''])), 'bad-file', /not JSON/);
    });

    it('JSON that is not ours', async () => {
      await expectRejection(() => importModelFile(blobOf([1, 2, 3])), 'bad-file', /^This file is not an Autoencoder Playground model\.$/);
      await expectRejection(() => importModelFile(blobOf({ ...cnn, format: 'something/else@1' })), 'bad-file', /^This file is not an Autoencoder Playground model\.$/);
      const { format: _omitted, ...untagged } = cnn;
      await expectRejection(() => importModelFile(blobOf(untagged)), 'bad-file', /not an Autoencoder Playground model/);
      await expectRejection(
        () => importModelFile(blobOf({ modelTopology: cnn.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: [] }] })),
        'bad-file',
        /TensorFlow\.js model\.json/,
      );
    });

    it('a later format version', async () => {
      await expectRejection(() => importModelFile(blobOf({ ...cnn, format: 'autoencoder-playground/model@2' })), 'incompatible', /format autoencoder-playground\/model@2.*cannot read/);
    });

    it('an unknown architecture', async () => {
      await expectRejection(
        () => importModelFile(blobOf({ ...cnn, record: { ...cnn.record, arch: 'vae' } })),
        'incompatible',
        "This file holds a model of an unknown architecture 'vae'; this playground knows dense, cnn_relu, cnn_elu.",
      );
    });

    it('a malformed record', async () => {
      const { epochs: _omitted, ...noEpochs } = cnn.record;
      await expectRejection(() => importModelFile(blobOf({ ...cnn, record: noEpochs })), 'bad-file', /'epochs' should be a whole number ≥ 0, found undefined/);
      await expectRejection(() => importModelFile(blobOf({ ...cnn, record: { ...cnn.record, history: 'lots' } })), 'bad-file', /'history' should be a list/);
      await expectRejection(() => importModelFile(blobOf({ ...cnn, record: { ...cnn.record, seed: -1 } })), 'bad-file', /'seed' should be a whole number ≥ 0, found -1/);
    });

    it('truncated weights', async () => {
      const expected = WEIGHT_BYTES.cnn_relu;
      await expectRejection(
        () => importModelFile(blobOf(withWeights(cnn, (b) => b.slice(0, expected - 100)))),
        'corrupt',
        `The weights are truncated: expected ${expected} bytes, found ${expected - 100}.`,
      );
      await expectRejection(() => importModelFile(blobOf({ ...cnn, weightData: '' })), 'corrupt', new RegExp(`expected ${expected} bytes, found 0\\.$`));
    });

    it('trailing bytes and broken base64', async () => {
      await expectRejection(
        () => importModelFile(blobOf(withWeights(cnn, (b) => {
          const longer = new Uint8Array(b.length + 4);
          longer.set(b);
          return longer;
        }))),
        'corrupt',
        /too long: expected \d+ bytes, found \d+/,
      );
      await expectRejection(() => importModelFile(blobOf({ ...cnn, weightData: `${cnn.weightData.slice(0, 1000)}!!!` })), 'corrupt', /not valid base64/);
    });

    it('a weight shape changed', async () => {
      const weightSpecs = cnn.weightSpecs.map((s) => (s.name === 'latent/kernel' ? { ...s, shape: [3136, 32] } : s));
      await expectRejection(
        () => importModelFile(blobOf({ ...cnn, weightSpecs })),
        'incompatible',
        "The weights do not fit the CNN · ReLU architecture: weight 'latent/kernel' has shape [3136,32] where there should be [3136,64].",
      );
      await expectRejection(() => importModelFile(blobOf({ ...cnn, weightSpecs: cnn.weightSpecs.slice(1) })), 'incompatible', /11 weight tensors where there should be 12/);
    });

    it('NaN weights', async () => {
      const nan = withWeights(cnn, (bytes) => {
        new Float32Array(bytes.buffer)[200_000] = NaN; // inside latent/kernel (starts at float 8,512)
        return bytes;
      });
      await expectRejection(() => importModelFile(blobOf(nan)), 'corrupt', /NaN or infinite values \(first in 'latent\/kernel'\)/);
    });

    it('a dense file claiming to be cnn_relu', async () => {
      const dense = await exportedJson('dense');
      await expectRejection(
        () => importModelFile(blobOf({ ...dense, record: { ...dense.record, arch: 'cnn_relu' } })),
        'incompatible',
        'The file says it holds a CNN · ReLU model, but its layers do not match that architecture: it has 4 layers where there should be 9.',
      );
    });

    it('a cnn_elu file claiming to be cnn_relu (same weight shapes, other activations)', async () => {
      const elu = await exportedJson('cnn_elu');
      await expectRejection(
        () => importModelFile(blobOf({ ...elu, record: { ...elu.record, arch: 'cnn_relu' } })),
        'incompatible',
        /layers do not match that architecture: layer 'latent' has activation "elu" where there should be "relu"/,
      );
    });

    it('a file far larger than any model', async () => {
      const huge = new Blob([new Uint8Array(40 * 1024 * 1024)]);
      await expectRejection(() => importModelFile(huge), 'bad-file', /40 MB/);
    });
  });
});

describe('IndexedDB store', () => {
  beforeEach(() => {
    // A fresh, empty in-memory IndexedDB for every test.
    vi.stubGlobal('indexedDB', new IDBFactory());
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('saves, lists, loads and deletes, keeping predictions and records', async () => {
    expect(await listSavedModels()).toEqual([]);
    const dense = trainedModel('dense', 3);
    const elu = trainedModel('cnn_elu', 4);
    const before = tf.memory().numTensors;
    // Saved out of display order: the list comes back in display order.
    await saveModel(elu, recordFor('cnn_elu', { epochs: 5 }));
    await saveModel(dense, recordFor('dense'));
    expect(tf.memory().numTensors).toBe(before);
    expect(await listSavedModels()).toEqual([recordFor('dense'), recordFor('cnn_elu', { epochs: 5 })]);

    for (const [arch, original] of [['dense', dense], ['cnn_elu', elu]] as const) {
      const loaded = await loadSavedModel(arch);
      expect(loaded.record.arch).toBe(arch);
      expect(predictions(loaded.model, arch)).toEqual(predictions(original, arch));
      loaded.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);

    // Saving again replaces.
    await saveModel(elu, recordFor('cnn_elu', { epochs: 9 }));
    expect((await listSavedModels()).map((r) => [r.arch, r.epochs])).toEqual([['dense', 2], ['cnn_elu', 9]]);

    await deleteSavedModel('dense');
    await deleteSavedModel('cnn_relu'); // never saved: not an error
    expect((await listSavedModels()).map((r) => r.arch)).toEqual(['cnn_elu']);
    await expectRejection(() => loadSavedModel('dense'), 'not-found', 'No Dense model is saved in this browser.');
    dense.dispose();
    elu.dispose();
  });

  it('keeps the previous model intact when storage is full', async () => {
    const first = trainedModel('cnn_relu', 1);
    await saveModel(first, recordFor('cnn_relu', { epochs: 1 }));
    const expected = predictions(first, 'cnn_relu');
    first.dispose();

    // The weights write goes through; the record write then hits the quota, so the transaction must undo both.
    const realPut = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      calls += 1;
      if (calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.call(this, value, key);
    });
    const second = trainedModel('cnn_relu', 2);
    await expectRejection(() => saveModel(second, recordFor('cnn_relu', { epochs: 2 })), 'quota', /storage for this site is full, so trained models are kept in memory only/);
    second.dispose();
    vi.restoreAllMocks();

    expect((await listSavedModels()).map((r) => r.epochs)).toEqual([1]);
    const loaded = await loadSavedModel('cnn_relu');
    expect(predictions(loaded.model, 'cnn_relu')).toEqual(expected);
    loaded.model.dispose();
  });

  it('keeps the previous model intact when the write fails at commit time', async () => {
    const first = trainedModel('cnn_elu', 1);
    await saveModel(first, recordFor('cnn_elu', { epochs: 1 }));
    const expected = predictions(first, 'cnn_elu');
    first.dispose();

    // add() on an existing key fails asynchronously (ConstraintError) and aborts the transaction, the way a
    // quota failure at commit does; the save must reject and roll the weights write back.
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      return this.name === 'records' ? this.add(value, key) : realPut.call(this, value, key);
    });
    const second = trainedModel('cnn_elu', 2);
    await expectRejection(() => saveModel(second, recordFor('cnn_elu', { epochs: 2 })), 'unavailable', /^Browser storage \(IndexedDB\) could not save the CNN · ELU model \(.+\), so trained models are kept in memory only\.$/);
    second.dispose();
    vi.restoreAllMocks();

    expect((await listSavedModels()).map((r) => r.epochs)).toEqual([1]);
    const loaded = await loadSavedModel('cnn_elu');
    expect(predictions(loaded.model, 'cnn_elu')).toEqual(expected);
    loaded.model.dispose();
  });

  it('reports IndexedDB missing or refused as unavailable', async () => {
    const model = trainedModel('cnn_relu', 1);
    vi.stubGlobal('indexedDB', undefined);
    await expectRejection(() => saveModel(model, recordFor('cnn_relu')), 'unavailable', /no IndexedDB.*kept in memory only/);
    await expectRejection(() => listSavedModels(), 'unavailable', /kept in memory only/);

    const refusing: Pick<IDBFactory, 'open'> = {
      open: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    };
    vi.stubGlobal('indexedDB', refusing);
    await expectRejection(() => loadSavedModel('cnn_relu'), 'unavailable', /could not be opened \(The operation is insecure\.\), so trained models are kept in memory only/);
    model.dispose();
  });

  it('rejects a stored entry that no longer fits the architecture, without tensors left', async () => {
    const model = trainedModel('cnn_relu', 1);
    await saveModel(model, recordFor('cnn_relu'));
    model.dispose();
    // Simulate an older app version's entry: a different layer layout under the same key.
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('autoencoder-playground', 1);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('weights', 'readwrite');
      const store = tx.objectStore('weights');
      const get = store.get('cnn_relu');
      get.onsuccess = () => {
        const entry = get.result as { weightSpecs: { name: string; shape: number[] }[] };
        entry.weightSpecs[0].shape = [3, 3, 1, 32];
        store.put(entry, 'cnn_relu');
      };
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
    db.close();
    await expectRejection(() => loadSavedModel('cnn_relu'), 'incompatible', /weight 'conv2d\/kernel' has shape \[3,3,1,32\]/);
  });
});
