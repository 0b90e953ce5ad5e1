/**
 * Two elementwise steps of training as tfjs kernels on the WASM backend, computed by this project's SIMD
 * kernels (./wasm/elementwise-simd) in tfjs-backend-wasm's own memory (./wasm-backend-memory):
 * - Keras's Adam update of one variable: one pass that reads p, m, v and g and writes the three updated
 *   tensors, instead of eleven elementwise ops (./keras-adam);
 * - the ReLU gradient dy·step(y): one pass instead of Step and Multiply (./matmul-layer);
 * - the sigmoid gradient dy·(y·(1 − y)): one pass instead of three, flushing subnormal results to zero (why:
 *   ./wasm/elementwise-simd).
 * Their callers use them where they run and the tfjs ops elsewhere; both give the same bits (but for the flush).
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

/** An activation's gradient from dy and the activation's output y, both float32 of one shape, size a multiple of 4. */
type ActivationGradient = 'reluGradient' | 'sigmoidGradient';

/** The ReLU gradient's registered name: inputs { dy, y }; output dy·step(y). */
export const RELU_GRADIENT_KERNEL = 'AutoencoderReluGradient';
/** The sigmoid gradient's registered name: inputs { dy, y }; output dy·(y·(1 − y)), subnormals flushed to zero. */
export const SIGMOID_GRADIENT_KERNEL = 'AutoencoderSigmoidGradient';

function registerActivationGradient(kernelName: string, kernel: ActivationGradient): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const found = kernels.on(backend);
      const { dy, y } = inputs;
      if (!found || dy === undefined || y === undefined) throw new Error(`${kernelName}: unavailable on this backend`);
      const size = tf.util.sizeFromShape(dy.shape);
      if (!tf.util.arraysEqual(dy.shape, y.shape) || dy.dtype !== 'float32' || y.dtype !== 'float32' || size % 4 !== 0) {
        throw new Error(`${kernelName}: dy and y must be float32 of one shape, with a multiple of 4 elements`);
      }
      const { internals } = found;
      const dz = internals.makeOutput(dy.shape, 'float32');
      found.kernels[kernel](size, offsetOf(internals, dy, kernelName), offsetOf(internals, y, kernelName), offsetOf(internals, dz, kernelName));
      return dz;
    },
  });
}

registerActivationGradient(RELU_GRADIENT_KERNEL, 'reluGradient');
registerActivationGradient(SIGMOID_GRADIENT_KERNEL, 'sigmoidGradient');

/** The kernel's dz, or null where it does not run (another backend, no SIMD, not float32, size not a multiple of 4). */
function activationGradient(kernelName: string, dy: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || kernels.on(tf.backend()) === null) return null;
  if (dy.dtype !== 'float32' || y.dtype !== 'float32' || dy.size % 4 !== 0 || !tf.util.arraysEqual(dy.shape, y.shape)) return null;
  return tf.engine().runKernel(kernelName, { dy, y }) as tf.Tensor;
}

/** dy·step(y) by the SIMD kernel, or null where it does not run. */
export function wasmReluGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  return activationGradient(RELU_GRADIENT_KERNEL, dy, y);
}

/** dy·(y·(1 − y)) with subnormal results flushed to zero, by the SIMD kernel, or null where it does not run. */
export function wasmSigmoidGradient(dy: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  return activationGradient(SIGMOID_GRADIENT_KERNEL, dy, y);
}
