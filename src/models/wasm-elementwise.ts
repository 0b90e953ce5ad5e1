/**
 * Two elementwise steps of training as tfjs kernels on the WASM backend, computed by this project's SIMD
 * kernels (./wasm/elementwise-simd) in tfjs-backend-wasm's own memory (./wasm-backend-memory):
 * - Keras's Adam update of one variable: one pass that reads p, m, v and g and writes the three updated
 *   tensors, instead of eleven elementwise ops (./keras-adam);
 * - the ReLU gradient dy·step(y): one pass instead of Step and Multiply (./matmul-layer).
 * Their callers use them where they run and the tfjs ops elsewhere; both give the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { elementwiseKernels, type AdamScalars } from './wasm/elementwise-simd';
import { BackendKernels, offsetOf } from './wasm-backend-memory';

/** The kernel's registered name: inputs { p, m, v, g } (one shape, float32), attrs AdamScalars; outputs [p′, m′, v′]. */
export const ADAM_KERNEL = 'AutoencoderAdam';

const kernels = new BackendKernels(elementwiseKernels);

function scalarsOf(attrs: tf.NamedAttrMap | undefined): AdamScalars {
  const read = (name: keyof AdamScalars): number => {
    const value = attrs?.[name];
    if (typeof value !== 'number') throw new Error(`${ADAM_KERNEL}: attribute ${name} is missing`);
    return value;
  };
  return {
    beta1: read('beta1'),
    oneMinusBeta1: read('oneMinusBeta1'),
    beta2: read('beta2'),
    oneMinusBeta2: read('oneMinusBeta2'),
    negAlpha: read('negAlpha'),
    epsilon: read('epsilon'),
  };
}

tf.registerKernel({
  kernelName: ADAM_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const found = kernels.on(backend);
    const { p, m, v, g } = inputs;
    if (!found || p === undefined || m === undefined || v === undefined || g === undefined) throw new Error(`${ADAM_KERNEL}: unavailable on this backend`);
    for (const t of [m, v, g]) {
      if (!tf.util.arraysEqual(t.shape, p.shape) || t.dtype !== 'float32' || p.dtype !== 'float32') throw new Error(`${ADAM_KERNEL}: p, m, v and g must be float32 of one shape`);
    }
    const s = scalarsOf(attrs);
    const { internals } = found;
    const outputs = [0, 1, 2].map(() => internals.makeOutput(p.shape, 'float32'));
    // Addresses after every allocation (see offsetOf).
    const [pAt, mAt, vAt, gAt, pOut, mOut, vOut] = [p, m, v, g, ...outputs].map((t) => offsetOf(internals, t, ADAM_KERNEL));
    found.kernels.adam(tf.util.sizeFromShape(p.shape), pAt, mAt, vAt, gAt, pOut, mOut, vOut, s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.negAlpha, s.epsilon);
    return outputs;
  },
});

/** [p′, m′, v′] by the SIMD kernel, or null where it does not run (another backend, no SIMD, not float32). */
export function wasmAdamUpdate(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, scalars: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (tf.getBackend() !== 'wasm' || kernels.on(tf.backend()) === null) return null;
  if ([p, m, v, g].some((t) => t.dtype !== 'float32')) return null;
  const [p2, m2, v2] = tf.engine().runKernel(ADAM_KERNEL, { p, m, v, g }, { ...scalars }) as tf.Tensor[];
  return [p2, m2, v2];
}

/** The ReLU gradient's registered name: inputs { dy, y } (one shape, float32, size a multiple of 4); output dy·step(y). */
export const RELU_GRADIENT_KERNEL = 'AutoencoderReluGradient';

tf.registerKernel({
  kernelName: RELU_GRADIENT_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const found = kernels.on(backend);
    const { dy, y } = inputs;
    if (!found || dy === undefined || y === undefined) throw new Error(`${RELU_GRADIENT_KERNEL}: unavailable on this backend`);
    const size = tf.util.sizeFromShape(dy.shape);
    if (!tf.util.arraysEqual(dy.shape, y.shape) || dy.dtype !== 'float32' || y.dtype !== 'float32' || size % 4 !== 0) {
      throw new Error(`${RELU_GRADIENT_KERNEL}: dy and y must be float32 of one shape, with a multiple of 4 elements`);
    }
    const { internals } = found;
    const dz = internals.makeOutput(dy.shape, 'float32');
    found.kernels.reluGradient(size, offsetOf(internals, dy, RELU_GRADIENT_KERNEL), offsetOf(internals, y, RELU_GRADIENT_KERNEL), offsetOf(internals, dz, RELU_GRADIENT_KERNEL));
    return dz;
  },
});

/** dy·step(y) by the SIMD kernel, or null where it does not run (another backend, no SIMD, not float32, size not a multiple of 4). */
export function wasmReluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || kernels.on(tf.backend()) === null) return null;
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.size % 4 !== 0 || !tf.util.arraysEqual(dy.shape, y.shape)) return null;
  return tf.engine().runKernel(RELU_GRADIENT_KERNEL, { dy, y }) as tf.Tensor;
}
