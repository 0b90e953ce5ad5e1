/**
 * `Identity` on the WASM backend without a copy: the output shares the input's data, as on tfjs's cpu and
 * webgl backends and as tfjs-wasm's own `Reshape` already does.
 *
 * Why: tfjs-core keeps every tensor a gradient will need by cloning it (`engine.saveTensorsForBackwardMode`
 * and customGrad's `save` both call `Identity`), and tfjs-wasm 4.22's `Identity` copies the data. In a CNN
 * training step at batch 256 that is 45 copies, up to 6.4 MB each: 11.7 ms of a 113 ms step (Node, one
 * thread). Sharing is safe because nothing writes into an existing tensor's memory: tfjs-wasm's kernels and
 * this project's (./wasm-weight-gradient) write only into outputs they allocate, and a variable's `assign`
 * swaps its data rather than overwriting it. The backend counts references per data, so the data lives until
 * its last tensor is disposed.
 *
 * Importing this module registers the kernel. tfjs-backend-wasm is imported first, so that its own
 * registration (at its import) cannot come after this one and undo it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/** The part of tfjs-backend-wasm's backend object this uses (not part of its typed API). */
interface ReferenceCounting {
  incRef(dataId: object): void;
}

function isReferenceCounting(backend: unknown): backend is ReferenceCounting {
  return typeof backend === 'object' && backend !== null && typeof (backend as Partial<ReferenceCounting>).incRef === 'function';
}

/** The shared-data Identity: the input's dataId, one reference more. */
export const sharedIdentityKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs;
  if (x === undefined || !isReferenceCounting(backend)) throw new Error('Identity: no input, or a backend without reference counts');
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

// tfjs warns when a registration replaces another; this one does so on purpose.
if (tf.getKernel(tf.Identity, 'wasm') !== undefined) tf.unregisterKernel(tf.Identity, 'wasm');
tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc: sharedIdentityKernel });
