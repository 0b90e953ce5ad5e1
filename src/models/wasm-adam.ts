/**
 * Keras's Adam update of one variable as one tfjs kernel on the WASM backend, computed by this project's SIMD
 * kernel (./wasm/adam-simd) in tfjs-backend-wasm's own memory (./wasm-backend-memory): one pass that reads
 * p, m, v and g and writes the three updated tensors, instead of eleven elementwise ops. ./keras-adam uses it
 * where it runs and the tfjs ops elsewhere; both give the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { adamKernels, type AdamScalars } from './wasm/adam-simd';
import { BackendKernels, offsetOf } from './wasm-backend-memory';

/** The kernel's registered name: inputs { p, m, v, g } (one shape, float32), attrs AdamScalars; outputs [p′, m′, v′]. */
export const ADAM_KERNEL = 'AutoencoderAdam';

const kernels = new BackendKernels(adamKernels);

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
