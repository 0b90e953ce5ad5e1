/**
 * The run file (format run@2): round trips for every architecture (record, weights, Adam state, identical
 * predictions), files of the format before runs (model@1) imported as runs, one specific message per kind of
 * damage with no tensor left behind, and the bounded batch-loss curve of run records.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCH_IDS, type ArchId } from '../../src/models/architectures';
import {
  artifactsOf,
  decodeBase64,
  encodeBase64,
  MAX_MODEL_FILE_BYTES,
  MODEL_FILE_FORMAT,
  normalizeRecord,
  PersistenceError,
  type PersistenceErrorCode,
} from '../../src/worker/engine/model-files';
import type { RunWeights } from '../../src/worker/engine/model-store';
import { CHANGED_OR_DAMAGED, exportRunFile, importRunFile, NO_CHECKSUM_NOTICE, RUN_FILE_FORMAT, runFileChecksum, suggestedRunFileName } from '../../src/worker/engine/run-files';
import {
  appendBatchLosses,
  legacyRunRecord,
  MAX_STORED_BATCH_LOSSES,
  normalizeRunRecord,
  type LegacyModelRecord,
} from '../../src/worker/engine/run-records';
import type { RunRecord } from '../../src/worker/protocol';
import { MNIST } from './state-fixtures';
import { adamFor, expectSameArrays, predictions, predictionsWith, runRecord, trainedModel, weightsOf } from './run-fixtures';

/** Weight tensors per architecture (kernel + bias per layer with weights). */
const TENSORS: Record<ArchId, number> = { dense: 6, cnn_relu: 12, cnn_elu: 12 };







type RunFileJson = {
  format: unknown;
  record: Record<string, unknown> & { settings: Record<string, unknown> };
  weights: string[];
  optimizer: { iterations: number; m: string[]; v: string[] } | null;
};

function blobOf(value: unknown): Blob {
  return new Blob([JSON.stringify(value)], { type: 'application/json' });
}

/**
 * A run file with its checksum made afresh, as someone editing a file on purpose could: what is refused
 * then is refused by the schema and the weight checks, not by the checksum.
 */
async function resigned(value: Record<string, unknown>): Promise<Blob> {
  const { sha256: _old, ...content } = value;
  return blobOf({ ...content, sha256: await runFileChecksum(content) });
}

const base64Of = (values: Float32Array) => encodeBase64(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
const floatsOf = (text: string) => new Float32Array(decodeBase64(text).buffer);

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

const noNewId = () => {
  throw new Error('a run file keeps its own id');
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('run file', () => {
  it.each(ARCH_IDS)('round-trips a %s run: record, weights, Adam state and identical predictions', async (arch) => {
    const before = tf.memory().numTensors;
    const model = trainedModel(arch, 7);
    const weights = weightsOf(model);
    const run: RunWeights = { weights, optimizer: adamFor(weights, 48) };
    // Each architecture exercises other optional parts of a record.
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
    const withModel = tf.memory().numTensors;
    const blob = await exportRunFile(record, run);
    expect(tf.memory().numTensors).toBe(withModel);
    const json = JSON.parse(await blob.text()) as RunFileJson;
    expect(json.format).toBe(RUN_FILE_FORMAT);
    expect(json.weights).toHaveLength(TENSORS[arch]);
    expect(json.optimizer?.iterations).toBe(48);

    const loaded = await importRunFile(blob, MNIST, noNewId);
    expect(loaded.notice).toBeNull();
    expect(loaded.record).toEqual(record);
    expectSameArrays(loaded.weights.weights, weights);
    expect(loaded.weights.optimizer?.iterations).toBe(48);
    expectSameArrays(loaded.weights.optimizer?.m ?? [], run.optimizer?.m ?? []);
    expectSameArrays(loaded.weights.optimizer?.v ?? [], run.optimizer?.v ?? []);
    expect(predictionsWith(arch, loaded.weights.weights)).toEqual(predictions(model, arch));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the file after the architecture, seed and epochs', () => {
    expect(suggestedRunFileName(runRecord('cnn_elu'))).toBe('autoencoder-cnn_elu-seed-1-2-epochs.json');
  });

  it('marks a run without Adam state as not resumable', async () => {
    const model = trainedModel('cnn_relu', 2);
    const weights = weightsOf(model);
    model.dispose();
    const loaded = await importRunFile(await exportRunFile(runRecord('cnn_relu'), { weights, optimizer: null }), MNIST, noNewId);
    expect(loaded.record.resumable).toBe(false);
    expect(loaded.weights.optimizer).toBeNull();
    expectSameArrays(loaded.weights.weights, weights);
  });

  it('refuses to export a malformed record or weights that do not fit, so every exported file imports', async () => {
    const model = trainedModel('cnn_relu', 2);
    const weights = weightsOf(model);
    model.dispose();
    const settings = runRecord('cnn_relu').settings;
    const attempts: [RunRecord, RunWeights][] = [
      [runRecord('cnn_relu', { settings: { ...settings, epochs: 0 } }), { weights, optimizer: null }],
      [runRecord('dense'), { weights, optimizer: null }],
      [runRecord('cnn_relu'), { weights: weights.map((w, i) => (i === 4 ? w.map(() => Number.NaN) : w)), optimizer: null }],
    ];
    const codes = await Promise.all(
      attempts.map(([record, run]) =>
        exportRunFile(record, run).then(
          () => 'exported',
          (error: unknown) => (error instanceof PersistenceError ? error.code : String(error)),
        ),
      ),
    );
    expect(codes).toEqual(['bad-file', 'incompatible', 'corrupt']);
  });

  describe('rejects damaged or foreign files with a specific message and no tensors left', () => {
    let file: RunFileJson;
    let text: string;
    beforeAll(async () => {
      const model = trainedModel('cnn_relu', 3);
      const weights = weightsOf(model);
      model.dispose();
      text = await (await exportRunFile(runRecord('cnn_relu'), { weights, optimizer: adamFor(weights, 24) })).text();
      file = JSON.parse(text) as RunFileJson;
    });
    const withRecord = (edit: Record<string, unknown>) => resigned({ ...file, record: { ...file.record, ...edit } });
    const withSettings = (edit: Record<string, unknown>) => withRecord({ settings: { ...file.record.settings, ...edit } });
    const withTensor = (i: number, edit: (values: Float32Array) => Float32Array) =>
      resigned({ ...file, weights: file.weights.map((w, j) => (j === i ? base64Of(edit(floatsOf(w))) : w)) });
    const importing = (blob: Blob | Promise<Blob>) => async () => importRunFile(await blob, MNIST, noNewId);

    it('not JSON', async () => {
      await expectRejection(importing(new Blob(['\u0089PNG\r\n'])), 'bad-file', 'This file is not an Autoencoder Playground run or model (it is not JSON).');
      await expectRejection(importing(new Blob([''])), 'bad-file', /\(it is not JSON\)\.$/);
    });

    it('JSON that is not ours', async () => {
      await expectRejection(importing(blobOf([1, 2, 3])), 'bad-file', 'This file is not an Autoencoder Playground run or model.');
      await expectRejection(importing(resigned({ ...file, format: 'something/else@1' })), 'bad-file', 'This file is not an Autoencoder Playground run or model.');
      const { format: _omitted, ...untagged } = file;
      await expectRejection(importing(blobOf(untagged)), 'bad-file', 'This file is not an Autoencoder Playground run or model.');
    });

    it('a format version this app cannot read', async () => {
      await expectRejection(
        importing(resigned({ ...file, format: 'autoencoder-playground/run@3' })),
        'incompatible',
        `This file has format autoencoder-playground/run@3, which this version of the playground cannot read (it reads ${RUN_FILE_FORMAT} and ${MODEL_FILE_FORMAT}).`,
      );
    });

    it('a TensorFlow.js model.json', async () => {
      await expectRejection(
        importing(blobOf({ modelTopology: { class_name: 'Functional' }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }] })),
        'bad-file',
        'This file is not an Autoencoder Playground run or model: it is a TensorFlow.js model.json; load a file downloaded from this playground instead.',
      );
    });

    it('the wrong number of weight tensors', async () => {
      await expectRejection(importing(resigned({ ...file, weights: file.weights.slice(1) })), 'incompatible', 'The weights hold 11 tensors where this architecture has 12.');
      await expectRejection(importing(resigned({ ...file, weights: 'lots' })), 'bad-file', "The run file is damaged: 'weights' should be a list of at most 64 tensors.");
      await expectRejection(importing(resigned({ ...file, weights: [...file.weights.slice(0, 11), 42] })), 'bad-file', "The run file is damaged: 'weights[12]' should be base64 text.");
    });

    it('a weight tensor of another length', async () => {
      // Tensor 5 is latent/kernel, [3136, 64].
      await expectRejection(importing(withTensor(4, (w) => w.slice(0, 3136 * 32))), 'incompatible', "The weights' tensor 5 has 100352 values where this architecture has 200704.");
      await expectRejection(importing(resigned({ ...file, weights: file.weights.map((w, i) => (i === 4 ? encodeBase64(decodeBase64(w).slice(0, 10)) : w)) })), 'corrupt', "The file's 'weights[5]' is truncated.");
      await expectRejection(importing(resigned({ ...file, weights: file.weights.map((w, i) => (i === 4 ? `${w.slice(0, 100)}!!!` : w)) })), 'corrupt', /not valid base64/);
    });

    it('NaN or infinite weights and moments', async () => {
      await expectRejection(
        importing(withTensor(4, (w) => w.map((x, j) => (j === 1_000 ? Number.NaN : x)))),
        'corrupt',
        'The weights contain NaN or infinite values (tensor 5); they cannot be used.',
      );
      await expectRejection(
        importing(withTensor(0, (w) => w.map((x, j) => (j === 0 ? Number.POSITIVE_INFINITY : x)))),
        'corrupt',
        'The weights contain NaN or infinite values (tensor 1); they cannot be used.',
      );
      const optimizer = file.optimizer;
      if (!optimizer) throw new Error('the fixture has Adam state');
      const poisoned = optimizer.v.map((v, i) => (i === 11 ? base64Of(floatsOf(v).map(() => Number.NaN)) : v));
      await expectRejection(
        importing(resigned({ ...file, optimizer: { ...optimizer, v: poisoned } })),
        'corrupt',
        "The optimiser's second moments contain NaN or infinite values (tensor 12); they cannot be used.",
      );
    });

    it('damaged Adam state', async () => {
      const optimizer = file.optimizer;
      if (!optimizer) throw new Error('the fixture has Adam state');
      await expectRejection(importing(resigned({ ...file, optimizer: 'adam' })), 'bad-file', "The run file is damaged: 'optimizer' should be Adam's state.");
      const steps = "The run file is damaged: 'optimizer.iterations' should be a whole number from 0 to 60,000,000.";
      await expectRejection(importing(resigned({ ...file, optimizer: { ...optimizer, iterations: '24' } })), 'bad-file', steps);
      await expectRejection(importing(resigned({ ...file, optimizer: { ...optimizer, iterations: -1 } })), 'bad-file', steps);
      await expectRejection(importing(resigned({ ...file, optimizer: { ...optimizer, iterations: 2.5 } })), 'bad-file', steps);
      await expectRejection(importing(resigned({ ...file, optimizer: { ...optimizer, iterations: 1e300 } })), 'bad-file', steps);
      await expectRejection(
        importing(resigned({ ...file, optimizer: { ...optimizer, m: optimizer.m.slice(2) } })),
        'incompatible',
        "The optimiser's first moments hold 10 tensors where this architecture has 12.",
      );
    });

    it('a record out of range: epochs 1e300, seed 2^32, infinite numbers, unknown fields', async () => {
      const settingsDamaged = (why: string) => `The run's description is damaged: its settings are invalid (${why}).`;
      await expectRejection(importing(withSettings({ epochs: 1e300 })), 'bad-file', settingsDamaged('Epochs must be between 1 and 200.'));
      await expectRejection(importing(withSettings({ seed: 2 ** 32 })), 'bad-file', settingsDamaged('The seed must be between 0 and 4,294,967,295.'));
      await expectRejection(importing(withSettings({ trainSize: 60_001 })), 'bad-file', settingsDamaged('Training images must be between 256 and 60,000.'));
      // JSON.stringify cannot write an infinite number; a hand-edited file can (1e999 parses as Infinity).
      // Its checksum cannot cover it either (Infinity serialises as null), so the edit drops the checksum.
      const unsigned = text.replace(/,"sha256":"[0-9a-f]{64}"\}$/, '}');
      expect(unsigned).not.toContain('sha256');
      const infinite = (key: string) => new Blob([unsigned.replace(new RegExp(`"${key}":[^,}]+`), `"${key}":1e999`)]);
      expect(JSON.parse(unsigned.replace(/"learningRate":[^,}]+/, '"learningRate":1e999')).record.settings.learningRate).toBe(Number.POSITIVE_INFINITY);
      await expectRejection(importing(infinite('learningRate')), 'bad-file', settingsDamaged('The learning rate must be a number, such as 0.001.'));
      await expectRejection(importing(infinite('initialTestMse')), 'bad-file', "The run's description is damaged: 'initialTestMse' should be a finite number ≥ 0.");
      await expectRejection(importing(infinite('trainSeconds')), 'bad-file', "The run's description is damaged: 'history[1].trainSeconds' should be a finite number ≥ 0.");
      await expectRejection(importing(withRecord({ batchLosses: [0.1, 'x'] })), 'bad-file', "The run's description is damaged: 'batchLosses[2]' should be a finite number ≥ 0, or null for a diverged loss.");
      await expectRejection(
        importing(withRecord({ batchLosses: new Array<number>(MAX_STORED_BATCH_LOSSES + 1).fill(0.1) })),
        'bad-file',
        `The run's description is damaged: 'batchLosses' should be a list of at most ${MAX_STORED_BATCH_LOSSES.toLocaleString('en')} numbers.`,
      );
      await expectRejection(importing(withRecord({ outcome: 'exploded' })), 'bad-file', "The run's description is damaged: 'outcome' should be one of completed, stopped, diverged, failed.");
      await expectRejection(importing(withRecord({ dataset: { ...MNIST, fingerprint: 'xyz' } })), 'bad-file', "The run's description is damaged: 'dataset.fingerprint' should be 8 hex digits (the data set’s fingerprint).");
      await expectRejection(importing(withRecord({ createdAt: 'yesterday' })), 'bad-file', "The run's description is damaged: 'createdAt' should be a date.");
      await expectRejection(
        importing(withRecord({ position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 0 } })),
        'bad-file',
        "The run's description is damaged: 'position.batchesPerEpoch' should be a whole number from 1 to 300,000.",
      );
      await expectRejection(importing(withRecord({ dataset: { ...MNIST, trainCount: 1e300 } })), 'bad-file', "The run's description is damaged: 'dataset.trainCount' should be a whole number from 1 to 300,000.");
      await expectRejection(importing(withRecord({ final: { testMse: -0.1, deadUnits: 3 } })), 'bad-file', "The run's description is damaged: 'final.testMse' should be a finite number ≥ 0, or null for a diverged loss.");
      await expectRejection(importing(withRecord({ final: { testMse: 0.1, deadUnits: 65 } })), 'bad-file', "The run's description is damaged: 'final.deadUnits' should be a whole number from 0 to 64.");
      await expectRejection(importing(withRecord({ resumable: 'yes' })), 'bad-file', "The run's description is damaged: 'resumable' should be true or false.");
      await expectRejection(importing(withRecord({ id: undefined })), 'bad-file', "The run's description is damaged: 'id' is missing.");
      await expectRejection(importing(withSettings({ arch: 'vae' })), 'incompatible', 'This run is of an unknown architecture "vae".');
    });

    it('unknown keys anywhere, refused by name rather than dropped', async () => {
      const history = file.record.history;
      if (!Array.isArray(history)) throw new Error('the fixture has a history');
      const optimizer = file.optimizer;
      if (!optimizer) throw new Error('the fixture has Adam state');
      const damaged = (where: string, key: string) => `The run's description is damaged: ${where} has a field "${key}" this playground does not know (it reads only the fields it writes).`;
      const fileDamaged = (where: string, key: string) => `The run file is damaged: ${where} has a field "${key}" this playground does not know (it reads only the fields it writes).`;
      await expectRejection(importing(resigned({ ...file, model_config: { class_name: 'Sequential' } })), 'bad-file', fileDamaged('it', 'model_config'));
      await expectRejection(importing(withRecord({ note: 'hi' })), 'bad-file', damaged('it', 'note'));
      await expectRejection(importing(withSettings({ optimizer: 'sgd' })), 'bad-file', damaged("'settings'", 'optimizer'));
      await expectRejection(importing(withRecord({ dataset: { ...MNIST, url: 'https://example.com' } })), 'bad-file', damaged("'dataset'", 'url'));
      await expectRejection(importing(withRecord({ position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 24, epoch: 3 } })), 'bad-file', damaged("'position'", 'epoch'));
      await expectRejection(importing(withRecord({ history: history.map((h, i) => (i === 1 ? { ...(h as object), lr: 1 } : h)) })), 'bad-file', damaged("'history[2]'", 'lr'));
      await expectRejection(importing(withRecord({ final: { testMse: 0.1, deadUnits: 3, units: 64 } })), 'bad-file', damaged("'final'", 'units'));
      await expectRejection(importing(withRecord({ partial: { weightedLoss: 0.1, seconds: 2, batch: 3 } })), 'bad-file', damaged("'partial'", 'batch'));
      await expectRejection(importing(resigned({ ...file, optimizer: { ...optimizer, beta1: 0.5 } })), 'bad-file', fileDamaged("'optimizer'", 'beta1'));
      // A prototype key is just another unknown key (JSON.parse makes it an own property).
      const proto = (await resigned(file)).text().then((t) => new Blob([t.replace('"record":{', '"record":{"__proto__":{"polluted":true},')]));
      await expectRejection(importing(proto), 'corrupt', CHANGED_OR_DAMAGED);
      const protoText = JSON.stringify({ ...file, sha256: undefined }).replace('"record":{', '"record":{"__proto__":{"polluted":true},');
      await expectRejection(importing(new Blob([protoText])), 'bad-file', damaged('it', '__proto__'));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('a run file without a checksum loads, with a notice', async () => {
      const { sha256: _omitted, ...content } = file as RunFileJson & { sha256?: string };
      const loaded = await importRunFile(blobOf(content), MNIST, noNewId);
      expect(loaded.notice).toBe(`This run file loaded. ${NO_CHECKSUM_NOTICE}`);
      expect(loaded.record).toEqual(runRecord('cnn_relu'));
    });

    it('a file far larger than any run', async () => {
      const huge = new Blob([new Uint8Array(MAX_MODEL_FILE_BYTES + 8 * 1024 * 1024)]);
      await expectRejection(importing(huge), 'bad-file', 'This file is not an Autoencoder Playground run or model: at 40 MB it is far larger than any of ours.');
    });
  });
});

describe('model@1 files (from before runs)', () => {
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
    seed: 3,
    batchLosses: [0.3, 0.2, 0.1, 0.05],
    ...overrides,
  });

  type ModelFileJson = { format: string; record: LegacyModelRecord; modelTopology: Record<string, unknown>; weightSpecs: unknown[]; weightData: string };

  /** A model@1 file as the removed exportModelFile wrote it. */
  async function modelFile(model: tf.LayersModel, record: LegacyModelRecord): Promise<ModelFileJson> {
    const { modelTopology, weightSpecs, weightData } = await artifactsOf(model);
    return { format: MODEL_FILE_FORMAT, record, modelTopology, weightSpecs, weightData: encodeBase64(new Uint8Array(weightData)) };
  }

  it.each(ARCH_IDS)('imports a %s model file as a run with learning rate 0.001, not resumable, with a notice', async (arch) => {
    const before = tf.memory().numTensors;
    const model = trainedModel(arch, 5);
    const legacy = legacyRecord(arch);
    const file = await modelFile(model, legacy);
    let ids = 0;
    const loaded = await importRunFile(blobOf(file), MNIST, () => `imported-${++ids}`);
    expect(ids).toBe(1);
    expect(loaded.notice).toBe(
      `This file is from before runs kept their learning rate and optimiser state: it loads as a run with learning rate 0.001, and continuing it starts Adam afresh. ${NO_CHECKSUM_NOTICE}`,
    );
    expect(loaded.record).toEqual(legacyRunRecord(legacy, 'imported-1', MNIST));
    expect(loaded.record).toMatchObject({
      id: 'imported-1',
      settings: { arch, epochs: 2, trainSize: 6_000, learningRate: 0.001, seed: 3, batchSize: 256 },
      dataset: MNIST,
      resumable: false,
      history: legacy.history,
      batchLosses: legacy.batchLosses,
    });
    // What the import makes is a valid run: it saves and exports like any other.
    expect(normalizeRunRecord(loaded.record)).toEqual(loaded.record);
    expect(loaded.weights.optimizer).toBeNull();
    // The payload is in weightSpecs order; the run's weights must be in getWeights() order.
    expectSameArrays(loaded.weights.weights, weightsOf(model));
    expect(predictionsWith(arch, loaded.weights.weights)).toEqual(predictions(model, arch));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a topology carrying anything it does not check: model_config (tfjs would build from it), extra layers, extra keys', async () => {
    const model = trainedModel('cnn_relu', 6);
    const file = await modelFile(model, legacyRecord('cnn_relu'));
    model.dispose();
    const config = file.modelTopology.config;
    if (typeof config !== 'object' || config === null || !('layers' in config) || !Array.isArray(config.layers)) throw new Error('unexpected topology');
    const layers: Record<string, unknown>[] = config.layers;
    // Every ReLU made linear: such a model computes something else entirely.
    const linearLayers = layers.map((layer) => {
      const layerConfig = layer.config;
      return typeof layerConfig === 'object' && layerConfig !== null && 'activation' in layerConfig && layerConfig.activation === 'relu' ? { ...layer, config: { ...layerConfig, activation: 'linear' } } : layer;
    });
    expect(JSON.stringify(linearLayers)).toContain('"activation":"linear"');
    const modelConfig = { class_name: 'Functional', config: { ...config, layers: linearLayers } };
    const importing = (value: unknown) => () => importRunFile(blobOf(value), MNIST, () => 'imported');
    const topologyField = (key: string) => `The model's topology has a field "${key}" that this playground does not check (it could describe another model), so the file is refused.`;
    await expectRejection(importing({ ...file, modelTopology: { ...file.modelTopology, model_config: modelConfig } }), 'incompatible', topologyField('model_config'));
    await expectRejection(importing({ ...file, modelTopology: { ...file.modelTopology, config: { ...config, model_config: modelConfig } } }), 'incompatible', topologyField('model_config'));
    await expectRejection(
      importing({ ...file, model_config: modelConfig }),
      'bad-file',
      'The model file has a field "model_config" this playground does not know (it reads only the fields it wrote), so it is refused.',
    );
    const mismatch = (why: string) => `The file says it holds a CNN · ReLU model, but its layers do not match that architecture: ${why}.`;
    // The layers themselves must match: changing an activation where it counts is refused.
    await expectRejection(
      importing({ ...file, modelTopology: { ...file.modelTopology, config: { ...config, layers: linearLayers } } }),
      'incompatible',
      /^The file says it holds a CNN · ReLU model, but its layers do not match that architecture: layer '.+' has activation "linear" where there should be "relu"\.$/,
    );
    // An extra layer (the RepeatVector of issue 19, which pinned the page for minutes when tfjs built it).
    const repeat = { class_name: 'RepeatVector', name: 'repeat', inbound_nodes: [[[layers[layers.length - 1].name, 0, 0, {}]]], config: { n: 100_000, name: 'repeat', trainable: true } };
    await expectRejection(importing({ ...file, modelTopology: { ...file.modelTopology, config: { ...config, layers: [...layers, repeat] } } }), 'incompatible', mismatch('it has 10 layers where there should be 9'));
    const name = String(layers[1].name);
    const withLayer = (edit: (layer: Record<string, unknown>) => Record<string, unknown>) => ({ ...file, modelTopology: { ...file.modelTopology, config: { ...config, layers: layers.map((l, i) => (i === 1 ? edit(l) : l)) } } });
    await expectRejection(importing(withLayer((l) => ({ ...l, build_config: {} }))), 'incompatible', mismatch(`layer '${name}' has a field "build_config" this architecture's layer does not have`));
    await expectRejection(
      importing(withLayer((l) => ({ ...l, config: { ...(l.config as object), extra: 1 } }))),
      'incompatible',
      mismatch(`layer '${name}' has a setting "extra" this architecture's layer does not have`),
    );
    await expectRejection(importing({ ...file, modelTopology: { ...file.modelTopology, class_name: 'Sequential' } }), 'incompatible', mismatch('it is a "Sequential" where there should be a "Model"'));
    const specs = file.weightSpecs.map((spec, i) => (i === 0 ? { ...(spec as object), quantization: { dtype: 'uint8', scale: 1, min: 0 } } : spec));
    await expectRejection(importing({ ...file, weightSpecs: specs }), 'incompatible', /^The weights do not fit the CNN · ReLU architecture: weight 1 has a field "quantization" this playground does not read\.$/);
    await expectRejection(importing({ ...file, record: { ...file.record, note: 1 } }), 'bad-file', 'The model file\'s description is damaged: it has a field "note" this playground does not know (it reads only the fields it wrote).');
  });

  describe('rejects damaged model files with a specific message', () => {
    let cnn: ModelFileJson;
    beforeAll(async () => {
      const model = trainedModel('cnn_relu', 1);
      cnn = await modelFile(model, legacyRecord('cnn_relu'));
      model.dispose();
    });
    const importing = (value: unknown) => () => importRunFile(blobOf(value), MNIST, () => 'imported');

    it('a dense file claiming to be cnn_relu', async () => {
      const model = trainedModel('dense', 1);
      const dense = await modelFile(model, legacyRecord('dense'));
      model.dispose();
      await expectRejection(
        importing({ ...dense, record: { ...dense.record, arch: 'cnn_relu' } }),
        'incompatible',
        'The file says it holds a CNN · ReLU model, but its layers do not match that architecture: it has 4 layers where there should be 9.',
      );
    });

    it('truncated and NaN weights', async () => {
      const bytes = decodeBase64(cnn.weightData);
      await expectRejection(importing({ ...cnn, weightData: encodeBase64(bytes.slice(0, bytes.length - 100)) }), 'corrupt', `The weights are truncated: expected ${bytes.length} bytes, found ${bytes.length - 100}.`);
      const nan = bytes.slice();
      new Float32Array(nan.buffer)[200_000] = Number.NaN; // inside latent/kernel (starts at float 8,512)
      await expectRejection(importing({ ...cnn, weightData: encodeBase64(nan) }), 'corrupt', /NaN or infinite values \(first in 'latent\/kernel'\)/);
      await expectRejection(importing({ ...cnn, weightData: 42 }), 'bad-file', 'The model file has no weights.');
    });

    it('a malformed record', async () => {
      await expectRejection(importing({ ...cnn, record: { ...cnn.record, arch: 'vae' } }), 'incompatible', "This file holds a model of an unknown architecture 'vae'; this playground knows dense, cnn_relu, cnn_elu.");
      await expectRejection(importing({ ...cnn, record: { ...cnn.record, seed: -1 } }), 'bad-file', /'seed' should be a whole number ≥ 0, found -1/);
    });

    // model@1 records were checked more loosely; the run made from one must still pass the run checks.
    it('a record no run may have: epochs 1e300', async () => {
      await expectRejection(importing({ ...cnn, record: { ...cnn.record, epochs: 1e300 } }), 'bad-file', "The run's description is damaged: 'position.epochsCompleted' should be a whole number from 0 to 200.");
    });

    it('a record no run may have: seed 2^32', async () => {
      await expectRejection(importing({ ...cnn, record: { ...cnn.record, seed: 2 ** 32 } }), 'bad-file', /The seed must be between 0 and 4,294,967,295/);
    });
  });

  it('reads a diverged model’s NaN losses (null in JSON) as NaN', async () => {
    const model = trainedModel('cnn_elu', 2);
    const legacy = legacyRecord('cnn_elu', { history: [{ epoch: 1, trainLoss: Number.NaN, testMse: Number.NaN, trainSeconds: 3, samplesPerSec: 99 }], epochs: 1 });
    const loaded = await importRunFile(blobOf(await modelFile(model, legacy)), MNIST, () => 'imported-nan');
    model.dispose();
    expect(loaded.record.history[0].trainLoss).toBeNaN();
    expect(normalizeRecord(legacy).history[0].testMse).toBeNaN();
  });
});

describe('diverged runs (NaN losses)', () => {
  it('export and import again, the NaN losses intact', async () => {
    const model = trainedModel('dense', 4);
    const weights = weightsOf(model);
    model.dispose();
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
    const loaded = await importRunFile(await exportRunFile(record, { weights, optimizer: adamFor(weights, 24) }), MNIST, noNewId);
    expect(loaded.record).toEqual(record);
  });
});

describe('batch losses of a run', () => {
  it('appends raw losses, averaging groups of the stride', () => {
    const record = { batchLosses: [1, 2], lossStride: 1 };
    expect(appendBatchLosses(record, [3, 4])).toEqual([1, 2, 3, 4]);
    const thinned = { batchLosses: [1], lossStride: 2 };
    expect(appendBatchLosses(thinned, Float32Array.from([2, 4, 6]))).toEqual([1, 3, 6]);
    expect(thinned.lossStride).toBe(2);
    // The record's own curve is not changed; the caller stores the result.
    expect(thinned.batchLosses).toEqual([1]);
  });

  it('halves a curve that grows past the limit, doubling the stride, each point exact on the batch axis', () => {
    const record = { batchLosses: Array.from({ length: MAX_STORED_BATCH_LOSSES - 1 }, (_, i) => i), lossStride: 1 };
    expect(appendBatchLosses(record, [MAX_STORED_BATCH_LOSSES - 1])).toHaveLength(MAX_STORED_BATCH_LOSSES);
    expect(record.lossStride).toBe(1);
    // One more (losses 0 … MAX, equal to the batch index): MAX + 1 points are too many.
    const curve = appendBatchLosses(record, [MAX_STORED_BATCH_LOSSES - 1, MAX_STORED_BATCH_LOSSES]);
    expect(record.lossStride).toBe(2);
    expect(curve).toHaveLength(MAX_STORED_BATCH_LOSSES / 2 + 1);
    // Point k averages batches 2k and 2k + 1; the odd last one stays as it was.
    expect(curve.slice(0, 3)).toEqual([0.5, 2.5, 4.5]);
    expect(curve[curve.length - 2]).toBe(MAX_STORED_BATCH_LOSSES - 1.5);
    expect(curve[curve.length - 1]).toBe(MAX_STORED_BATCH_LOSSES);

    // 200,001 batches from nothing: halved three times, to stride 8.
    const long = { batchLosses: [], lossStride: 1 };
    const losses = Float64Array.from({ length: 200_001 }, (_, i) => i);
    const thin = appendBatchLosses(long, losses);
    expect(long.lossStride).toBe(8);
    expect(thin.length).toBeLessThanOrEqual(MAX_STORED_BATCH_LOSSES);
    expect(thin).toHaveLength(Math.ceil(200_001 / 8));
    expect(thin.slice(0, 2)).toEqual([3.5, 11.5]);
    expect(thin[1_000]).toBe(1_000 * 8 + 3.5);

    // Appending to a full curve keeps it within the limit.
    const more = appendBatchLosses({ batchLosses: thin, lossStride: long.lossStride }, losses.subarray(0, 8 * 30_000));
    expect(more.length).toBeLessThanOrEqual(MAX_STORED_BATCH_LOSSES);
  });
});
