/**
 * A run's starting point for PyTorch (scripts/gpu-kit/start-state.ts): the epoch orders the training loop takes
 * and the initial weights, laid out as torch_reference.py --start-from reads them.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, shuffleInPlace } from '../../src/analysis/rng';
import { buildAutoencoder, paramCount } from '../../src/models/architectures';
import { EpochOrder } from '../../src/models/train';
import { startState } from '../../scripts/gpu-kit/start-state';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const isPermutation = (order: Int32Array): boolean => {
  const seen = new Uint8Array(order.length);
  for (const i of order) {
    if (i < 0 || i >= order.length || seen[i]) return false;
    seen[i] = 1;
  }
  return true;
};

describe('EpochOrder', () => {
  it('reshuffles the previous epoch\'s order with mulberry32(seed), as Keras reshuffles each epoch', () => {
    const order = new EpochOrder(300, 7);
    const rng = mulberry32(7);
    const expected = Int32Array.from({ length: 300 }, (_, i) => i);
    let previous: Int32Array | null = null;
    for (let epoch = 0; epoch < 3; epoch++) {
      shuffleInPlace(expected, rng);
      const got = order.next().slice();
      expect(got).toEqual(expected);
      expect(isPermutation(got)).toBe(true);
      if (previous) expect(got).not.toEqual(previous);
      previous = got;
    }
  });

  it('depends on the seed', () => {
    expect(new EpochOrder(100, 1).next()).not.toEqual(new EpochOrder(100, 2).next());
  });
});

describe('startState', () => {
  it('holds the seeded initial weights in layer order (Keras layouts), then every epoch\'s order', () => {
    const { info, bytes, model } = startState('cnn_elu', 3, 8, 256, 2);
    const fresh = buildAutoencoder('cnn_elu', 3, 8);
    try {
      expect(info.weights.map((w) => `${w.layer}.${w.weight}`)).toEqual([
        'conv2d.kernel', 'conv2d.bias', 'conv2d_1.kernel', 'conv2d_1.bias', 'latent.kernel', 'latent.bias',
        'dense.kernel', 'dense.bias', 'conv2d_transpose.kernel', 'conv2d_transpose.bias',
        'conv2d_transpose_1.kernel', 'conv2d_transpose_1.bias',
      ]);
      expect(info.weights[0].shape).toEqual([2, 2, 1, 32]);
      expect(info.weights[8].shape).toEqual([2, 2, 32, 64]);
      const params = paramCount('cnn_elu', 8);
      expect(info.ordersOffset).toBe(params * 4);
      expect(bytes.length).toBe(params * 4 + 2 * 256 * 4);
      const floats = new Float32Array(bytes.buffer, 0, params);
      const freshWeights = fresh.getWeights();
      info.weights.forEach((w, i) => {
        const size = w.shape.reduce((a, b) => a * b, 1);
        expect(w.shape).toEqual(freshWeights[i].shape);
        expect(floats.subarray(w.offset, w.offset + size)).toEqual(freshWeights[i].dataSync());
      });
      // The kernels are drawn, not zeros, and differ between layers of the same shape.
      expect(floats.subarray(0, 128).some((v) => v !== 0)).toBe(true);
      const orders = new Int32Array(bytes.buffer, info.ordersOffset, 2 * 256);
      const expected = new EpochOrder(256, 3);
      expect(orders.subarray(0, 256)).toEqual(expected.next());
      expect(orders.subarray(256)).toEqual(expected.next());
    } finally {
      model.dispose();
      fresh.dispose();
    }
  });
});
