/**
 * The engine's store of runs, keyed by run id: host copies of weights, rebuilding after a lost GPU, two runs
 * of one architecture held side by side, and disposal (no tensor outlives a forgotten run).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder, IMAGE_PIXELS, inputShapeOf, type ArchId } from '../../src/models/architectures';
import { ModelStore, readWeights, writeWeights, type RunWeights } from '../../src/worker/engine/model-store';
import { weightsOf } from './run-fixtures';
import type { RunRecord } from '../../src/worker/protocol';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const record = (id: string, arch: ArchId, seed = 1): RunRecord => ({
  id,
  name: `${arch} · seed ${seed} · lr 0.001`,
  settings: { arch, epochs: 1, trainSize: 256, learningRate: 0.001, seed, batchSize: 256, latentDim: 64, noise: { kind: 'none' } },
  dataset: { name: 'MNIST', fingerprint: '0123abcd', trainCount: 60_000, testCount: 10_000 },
  backend: 'webgl',
  createdAt: '2026-11-27T00:00:00Z',
  endedAt: '2026-11-27T00:01:00Z',
  outcome: 'completed',
  position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 1 },
  history: [],
  batchLosses: [],
  lossStride: 1,
  initialTestMse: 0.23,
  final: null,
  message: null,
  partial: null,
  resumable: false,
});

const hostCopy = (model: tf.LayersModel): RunWeights => ({ weights: weightsOf(model), optimizer: null });

function predict(model: tf.LayersModel, arch: ArchId): Float32Array {
  return tf.tidy(() => {
    const x = tf.linspace(0, 1, IMAGE_PIXELS).reshape([1, ...inputShapeOf(arch)]);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** Holds a freshly built model of `arch` as finished run `id` (model, record and host copy), as the engine does. */
function holdRun(store: ModelStore, id: string, arch: ArchId, seed: number): tf.LayersModel {
  const model = buildAutoencoder(arch, seed);
  store.set(id, model);
  store.setRun(record(id, arch, seed), hostCopy(model));
  return model;
}

describe('model store', () => {
  it('copies weights to the host and back exactly', async () => {
    const a = buildAutoencoder('cnn_relu', 1);
    const b = buildAutoencoder('cnn_relu', 2);
    writeWeights(b, await readWeights(a));
    expect(await readWeights(b)).toEqual(await readWeights(a));
    a.dispose();
    b.dispose();
  });

  it('after a lost GPU, rebuilds finished runs from their host copies, skips the one in training and drops unfinished ones', () => {
    const store = new ModelStore();
    const dense = holdRun(store, 'run-1', 'dense', 3);
    const expected = predict(dense, 'dense');
    // Host copies are taken when a run finishes: a later change to the live weights is not in the copy.
    const other = buildAutoencoder('dense', 4);
    writeWeights(dense, weightsOf(other));
    other.dispose();
    const training = buildAutoencoder('cnn_elu', 5);
    store.set('run-2', training);
    store.training = 'run-2';
    store.set('run-3', buildAutoencoder('cnn_relu', 6)); // no record or host copy: never finished

    expect(store.rebuildOnActiveBackend('run-2')).toEqual(['run-1']);
    const rebuilt = store.ready('run-1');
    expect(rebuilt).not.toBe(dense);
    expect(predict(rebuilt, 'dense')).toEqual(expected);
    expect(store.record('run-1').settings.arch).toBe('dense');
    expect(store.get('run-2')).toBe(training);
    expect(store.get('run-3')).toBeUndefined();
    // The encoder/decoder halves are built from the new model.
    expect(store.halvesOf('run-1').encoder.countParams()).toBe(784 * 784 + 784 + 784 * 64 + 64);
    store.forget('run-1');
    store.forget('run-2');
  });

  it('holds two runs of one architecture side by side, each with its own weights, through a rebuild', () => {
    const store = new ModelStore();
    const first = holdRun(store, 'run-a', 'cnn_relu', 1);
    const second = holdRun(store, 'run-b', 'cnn_relu', 2);
    const expectedA = predict(first, 'cnn_relu');
    const expectedB = predict(second, 'cnn_relu');
    expect(expectedA).not.toEqual(expectedB);
    expect(store.list().map((r) => [r.id, r.settings.arch, r.settings.seed])).toEqual([
      ['run-a', 'cnn_relu', 1],
      ['run-b', 'cnn_relu', 2],
    ]);
    expect(store.ready('run-a')).toBe(first);
    expect(store.ready('run-b')).toBe(second);
    // Each run's halves are its own: the same code decodes differently.
    const decode = (decoder: tf.LayersModel) => tf.tidy(() => (decoder.predict(tf.linspace(0, 1, 64).reshape([1, 64])) as tf.Tensor).dataSync() as Float32Array);
    expect(decode(store.halvesOf('run-a').decoder)).not.toEqual(decode(store.halvesOf('run-b').decoder));

    expect(store.rebuildOnActiveBackend(null)).toEqual(['run-a', 'run-b']);
    expect(predict(store.ready('run-a'), 'cnn_relu')).toEqual(expectedA);
    expect(predict(store.ready('run-b'), 'cnn_relu')).toEqual(expectedB);

    store.forget('run-a');
    expect(store.get('run-a')).toBeUndefined();
    expect(predict(store.ready('run-b'), 'cnn_relu')).toEqual(expectedB);
    expect(store.list().map((r) => r.id)).toEqual(['run-b']);
    store.forget('run-b');
  });

  it('forget disposes the model and its halves, and drops the record and host copy', () => {
    const store = new ModelStore();
    const before = tf.memory().numTensors;
    holdRun(store, 'run-1', 'cnn_elu', 1);
    const { encoder, decoder } = store.halvesOf('run-1');
    expect(store.halvesOf('run-1').encoder).toBe(encoder); // built once
    expect(decoder.countParams()).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    store.forget('run-1');
    expect(tf.memory().numTensors).toBe(before);
    expect(store.get('run-1')).toBeUndefined();
    expect(store.hostWeights('run-1')).toBeUndefined();
    expect(store.list()).toEqual([]);
    expect(() => store.record('run-1')).toThrow('That run is not here any more (it may have been deleted).');
    expect(() => store.ready('run-1')).toThrow('This run has no trained weights here (it may have been deleted).');
  });

  it('replacing a run’s model disposes only that run’s earlier one', () => {
    const store = new ModelStore();
    const before = tf.memory().numTensors;
    const kept = holdRun(store, 'run-1', 'cnn_relu', 1);
    const old = holdRun(store, 'run-2', 'cnn_relu', 2);
    store.halvesOf('run-2');
    const withTwo = tf.memory().numTensors;
    const replacement = buildAutoencoder('cnn_relu', 3);
    store.set('run-2', replacement);
    // The old model and its halves went; the replacement's tensors took their place.
    expect(tf.memory().numTensors).toBe(withTwo);
    expect(store.get('run-2')).toBe(replacement);
    expect(store.get('run-1')).toBe(kept);
    expect(() => old.getWeights()).toThrow(/disposed/);
    store.set('run-2', replacement); // the same model again: kept, not disposed
    expect(predict(store.ready('run-2'), 'cnn_relu')).toHaveLength(IMAGE_PIXELS);
    store.forget('run-1');
    store.forget('run-2');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a run in training, and names it', () => {
    const store = new ModelStore();
    holdRun(store, 'run-1', 'dense', 1);
    store.training = 'run-1';
    expect(() => store.ready('run-1')).toThrow('dense · seed 1 · lr 0.001 is training; stop it or wait for it to finish.');
    expect(() => store.halvesOf('run-1')).toThrow(/is training/);
    store.training = null;
    expect(store.halvesOf('run-1').decoder.countParams()).toBe(64 * 784 + 784);
    store.setRecord({ ...store.record('run-1'), name: 'renamed' });
    expect(store.list().map((r) => r.name)).toEqual(['renamed']);
    expect(store.hostWeights('run-1')?.weights).toHaveLength(6);
    store.forget('run-1');
  });
});
