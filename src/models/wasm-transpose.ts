/**
 * `Transpose` on the WASM backend by this project's SIMD kernel (./wasm/transpose-simd) wherever the transpose is
 * a swap of two blocks of axes, in tfjs-backend-wasm's own memory (./wasm-backend-memory); tfjs-wasm's own
 * kernel does every other transpose, and every dtype but float32.
 *
 * Why: tfjs-wasm 4.22 moves each element through a general index loop. A CNN training step at batch 256 runs
 * 17 transposes (space-to-depth, depth-to-space, their gradients, the dense layers' 2-D ones): 6.8 ms of an
 * 83 ms step (Node, one thread), and in the browser they stay on one thread while XNNPACK's products use two.
 * A transpose moves values without arithmetic, so the results are tfjs's bit for bit.
 *
 * Importing this module registers the kernel. tfjs-backend-wasm is imported first, so that its own
 * registration (at its import) cannot come after this one and undo it.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { blockSwapOf, transposeKernels } from './wasm/transpose-simd';
import { BackendKernels, offsetOf } from './wasm-backend-memory';

const tfjsTranspose = tf.getKernel(tf.Transpose, 'wasm');
const kernels = new BackendKernels(transposeKernels);

function permOf(attrs: tf.NamedAttrMap | undefined): number[] | null {
  const perm = attrs?.perm;
  return Array.isArray(perm) && perm.every((axis) => typeof axis === 'number') ? perm : null;
}

/** The block-swap Transpose, handing what it does not cover to tfjs-wasm's kernel. */
export const blockSwapTransposeKernel: tf.KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const perm = permOf(attrs);
  const found = kernels.on(backend);
  const swap = x !== undefined && perm !== null && x.dtype === 'float32' && tf.util.sizeFromShape(x.shape) > 0 ? blockSwapOf(x.shape, perm) : null;
  if (found === null || swap === null || x === undefined || perm === null) {
    if (tfjsTranspose === undefined) throw new Error('Transpose: tfjs-backend-wasm registered no kernel');
    return tfjsTranspose.kernelFunc(args);
  }
  const { internals } = found;
  const out = internals.makeOutput(
    perm.map((axis) => x.shape[axis]),
    'float32',
  );
  // Addresses after the allocation (see offsetOf).
  const src = offsetOf(internals, x, tf.Transpose);
  const dst = offsetOf(internals, out, tf.Transpose);
  found.kernels.swapBlocks(swap.a, swap.b, swap.c, 4 * swap.d, src, dst);
  return out;
};

// tfjs warns when a registration replaces another; this one does so on purpose. tfjs-wasm's setup stays: it
// binds the C++ transpose that its kernel, and other kernels of tfjs-wasm (reductions over inner axes), call.
if (tfjsTranspose !== undefined) tf.unregisterKernel(tf.Transpose, 'wasm');
tf.registerKernel({ kernelName: tf.Transpose, backendName: 'wasm', kernelFunc: blockSwapTransposeKernel, setupFunc: tfjsTranspose?.setupFunc });

/** tfjs-wasm's own Transpose (for tests that compare the two). */
export const TFJS_WASM_TRANSPOSE = tfjsTranspose;
