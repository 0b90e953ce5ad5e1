import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder, IMAGE_PIXELS } from '../../src/models/architectures';
import { ModelStore, readWeights, writeWeights } from '../../src/worker/engine/model-store';
import type { ModelRecord } from '../../src/worker/protocol';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const record = (arch: ModelRecord['arch']): ModelRecord => ({
  arch, savedAt: '2026-11-27T00:00:00Z', epochs: 1, trainSize: 256, history: [], initialTestMse: 0.23, backend: 'webgl',
});

function predict(model: tf.LayersModel, inputShape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.linspace(0, 1, IMAGE_PIXELS).reshape([1, ...inputShape]);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

describe('model store after a lost GPU', () => {
  it('copies weights to the host and back exactly', async () => {
    const a = buildAutoencoder('cnn_relu', 1);
    const b = buildAutoencoder('cnn_relu', 2);
    writeWeights(b, await readWeights(a));
    expect(await readWeights(b)).toEqual(await readWeights(a));
    a.dispose();
    b.dispose();
  });

  it('rebuilds finished models from their host copies, skips the one in training and drops unfinished ones', async () => {
    const store = new ModelStore();
    const dense = buildAutoencoder('dense', 3);
    store.set('dense', dense);
    await store.setRecord(record('dense'));
    const expected = predict(dense, [IMAGE_PIXELS]);
    // Models are read after training only: a change to the live weights afterwards is not in the copy.
    const other = buildAutoencoder('dense', 4);
    writeWeights(dense, await readWeights(other));
    other.dispose();
    const training = buildAutoencoder('cnn_elu', 5);
    store.set('cnn_elu', training);
    store.set('cnn_relu', buildAutoencoder('cnn_relu', 6)); // no record: never finished

    expect(store.rebuildOnActiveBackend('cnn_elu')).toEqual(['dense']);
    const rebuilt = store.ready('dense');
    expect(rebuilt).not.toBe(dense);
    expect(predict(rebuilt, [IMAGE_PIXELS])).toEqual(expected);
    expect(store.record('dense').arch).toBe('dense');
    expect(store.get('cnn_elu')).toBe(training);
    expect(store.get('cnn_relu')).toBeUndefined();
    // The encoder/decoder halves are built from the new model.
    expect(store.halvesOf('dense').encoder.countParams()).toBe(784 * 784 + 784 + 784 * 64 + 64);
    store.forget('dense');
    store.forget('cnn_elu');
  });
});
