/**
 * Transpose on the WASM backend by the block-swap kernel (src/models/wasm-transpose): which transposes are block
 * swaps, the kernel against its JavaScript reference, and the registered kernel against tfjs-wasm's own on
 * every transpose a training step runs, bit for bit, with no tensor leaked.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { blockSwapTransposeKernel, TFJS_WASM_TRANSPOSE } from '../../src/models/wasm-transpose';
import { blockSwapOf, standaloneTransposeKernels, swapBlocksReference, type BlockSwap } from '../../src/models/wasm/transpose-simd';

function values(length: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length }, () => rng() * 2 - 1);
}

/** The transpose by its definition: out[i₀…] = x[j…] where axis k of the output is axis perm[k] of the input. */
function transposeByDefinition(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((axis) => shape[axis]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, s) => p * s, 1));
  const out = new Float32Array(x.length);
  const index = outShape.map(() => 0);
  for (let o = 0; o < out.length; o++) {
    out[o] = x[index.reduce((at, v, k) => at + v * strides[perm[k]], 0)];
    for (let k = index.length - 1; k >= 0; k--) {
      if (++index[k] < outShape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

describe('blockSwapOf', () => {
  it('reads the transposes of training as block swaps', () => {
    // Space-to-depth of the CNN's second convolution and its gradient.
    expect(blockSwapOf([1792, 2, 7, 64], [0, 2, 1, 3])).toEqual({ a: 1792, b: 2, c: 7, d: 64 });
    // 2-D transposes; the transposed convolution's kernel [2, 2, f, cin] → [cin, 2, 2, f].
    expect(blockSwapOf([64, 3136], [1, 0])).toEqual({ a: 1, b: 64, c: 3136, d: 1 });
    expect(blockSwapOf([2, 2, 32, 64], [3, 0, 1, 2])).toEqual({ a: 1, b: 128, c: 64, d: 1 });
  });

  it('drops size-1 axes, merges neighbours, and refuses what is not one swap', () => {
    expect(blockSwapOf([5, 1, 3], [2, 0, 1])).toEqual({ a: 1, b: 5, c: 3, d: 1 });
    expect(blockSwapOf([4, 5, 6], [0, 2, 1])).toEqual({ a: 4, b: 5, c: 6, d: 1 });
    expect(blockSwapOf([4, 5, 6], [1, 0, 2])).toEqual({ a: 1, b: 4, c: 5, d: 6 });
    expect(blockSwapOf([4, 5, 6], [0, 1, 2])).toEqual({ a: 1, b: 1, c: 1, d: 120 });
    expect(blockSwapOf([1, 1], [1, 0])).toEqual({ a: 1, b: 1, c: 1, d: 1 });
    expect(blockSwapOf([2, 3, 4, 5, 6], [0, 1, 3, 2, 4])).toEqual({ a: 6, b: 4, c: 5, d: 6 });
    expect(blockSwapOf([4, 5, 6], [2, 0, 1])).toEqual({ a: 1, b: 20, c: 6, d: 1 });
    expect(blockSwapOf([4, 5, 6], [2, 1, 0])).toBeNull();
    expect(blockSwapOf([4, 5, 6], [1, 2, 0])).toEqual({ a: 1, b: 4, c: 30, d: 1 });
    expect(blockSwapOf([3, 4, 5, 6], [1, 0, 3, 2])).toBeNull();
    expect(blockSwapOf([4, 5], [0])).toBeNull();
  });

  it('gives the transpose by its definition for every permutation of four axes that it accepts', () => {
    const shape = [2, 3, 1, 4];
    const x = values(24, 1);
    const perms: number[][] = [];
    const permute = (prefix: number[], rest: number[]): void => {
      if (rest.length === 0) perms.push(prefix);
      rest.forEach((axis, i) => permute([...prefix, axis], [...rest.slice(0, i), ...rest.slice(i + 1)]));
    };
    permute([], [0, 1, 2, 3]);
    let accepted = 0;
    for (const perm of perms) {
      const swap = blockSwapOf(shape, perm);
      if (swap === null) continue;
      accepted++;
      expect(Array.from(swapBlocksReference(x, swap)), `perm ${perm.join(',')}`).toEqual(Array.from(transposeByDefinition(x, shape, perm)));
    }
    // The size-1 axis leaves three real ones: 6 orders, of which only [2, 1, 0] is not one swap, times 4 places of the 1.
    expect(accepted).toBe(20);
  });
});

describe('the block-swap kernel', () => {
  const cases: BlockSwap[] = [
    { a: 3, b: 2, c: 5, d: 64 },
    { a: 2, b: 3, c: 4, d: 7 },
    { a: 4, b: 2, c: 3, d: 2 },
    { a: 1, b: 9, c: 11, d: 1 },
    { a: 1, b: 1, c: 1, d: 37 },
  ];
  for (const swap of cases) {
    it(`[${swap.a}, ${swap.b}, ${swap.c}, ${swap.d}] → [a, c, b, d]: the JavaScript reference bit for bit, NaN payloads included, and nothing written past the end`, () => {
      const size = swap.a * swap.b * swap.c * swap.d;
      const found = standaloneTransposeKernels(8 * size + 4096);
      if (!found) throw new Error('no SIMD kernel');
      const { exports, memory } = found;
      const x = values(size, 2);
      const bits = new Uint32Array(x.buffer);
      // A NaN with a payload: a copy must move bits, not values.
      bits[size - 1] = 0x7fa00001;
      const [src, dst] = [64, 64 + 4 * size + 64];
      new Float32Array(memory.buffer, src, size).set(x);
      new Float32Array(memory.buffer, dst, size + 4).fill(5);
      exports.swapBlocks(swap.a, swap.b, swap.c, 4 * swap.d, src, dst);
      const want = swapBlocksReference(bits, swap);
      expect(Array.from(new Uint32Array(memory.buffer, dst, size))).toEqual(Array.from(want));
      expect(Array.from(new Float32Array(memory.buffer, dst + 4 * size, 4))).toEqual([5, 5, 5, 5]);
    });
  }
});

describe('Transpose on wasm', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is registered by the module, replacing tfjs-wasm’s', () => {
    expect(TFJS_WASM_TRANSPOSE).toBeDefined();
    expect(tf.getKernel(tf.Transpose, 'wasm')?.kernelFunc).toBe(blockSwapTransposeKernel);
  });

  const trainingTransposes: [number[], number[]][] = [
    [[1792, 2, 7, 64], [0, 2, 1, 3]],
    [[3584, 2, 14, 2], [0, 2, 1, 3]],
    [[64, 3136], [1, 0]],
    [[2, 2, 32, 64], [3, 0, 1, 2]],
    // Not a block swap, and not float32: tfjs-wasm's kernel.
    [[3, 4, 5], [2, 1, 0]],
  ];
  for (const [shape, perm] of trainingTransposes) {
    it(`[${shape.join(', ')}] by [${perm.join(', ')}]: tfjs-wasm’s result bit for bit, float32 and int32, no tensor leaked`, () => {
      const size = shape.reduce((p, s) => p * s, 1);
      const x = tf.tensor(values(size, 3), shape);
      const xInt = tf.tensor(Int32Array.from({ length: size }, (_, i) => i * 7 - 3), shape, 'int32');
      const before = tf.memory().numTensors;
      for (const input of [x, xInt]) {
        const ours = tf.transpose(input, perm);
        const tfjs = TFJS_WASM_TRANSPOSE?.kernelFunc({ inputs: { x: input }, backend: tf.backend(), attrs: { perm } }) as tf.TensorInfo;
        const tfjsTensor = tf.engine().makeTensorFromTensorInfo(tfjs);
        expect(ours.shape).toEqual(perm.map((axis) => shape[axis]));
        expect(tfjsTensor.shape).toEqual(ours.shape);
        const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array | Int32Array).buffer.slice(0)));
        expect(bits(ours)).toEqual(bits(tfjsTensor));
        tf.dispose([ours, tfjsTensor]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, xInt]);
    });
  }

  it('keeps tfjs-wasm’s own transpose set up for its kernels that call it (a sum over the outer axis)', () => {
    const x = tf.tensor2d(values(6 * 5, 6), [6, 5]);
    const sums = tf.sum(x, 0);
    const want = new Float32Array(5);
    x.dataSync().forEach((v, i) => (want[i % 5] += v));
    Array.from(sums.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    tf.dispose([x, sums]);
  });

  it('leaves the gradient of a transpose (a transpose) equal to tfjs-wasm’s', () => {
    const x = tf.tensor(values(2 * 2 * 3 * 8, 4), [2, 2, 3, 8]);
    const dy = tf.tensor(values(2 * 3 * 2 * 8, 5), [2, 3, 2, 8]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.transpose(input, [0, 2, 1, 3]), dy)))(x);
    expect(Array.from(grad.dataSync())).toEqual(Array.from(transposeByDefinition(dy.dataSync() as Float32Array, [2, 3, 2, 8], [0, 2, 1, 3])));
    tf.dispose([x, dy, grad]);
  });
});
