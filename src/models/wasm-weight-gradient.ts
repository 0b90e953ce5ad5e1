/**
 * The weight (and bias) gradient of a matmul layer as one tfjs kernel on the WASM backend, computed by this
 * project's SIMD kernels (./wasm/weight-gradient-simd) in tfjs-backend-wasm's own memory
 * (./wasm-backend-memory), so they read x and dz and write dW and db where tfjs keeps them, with no copies.
 *
 * In a CNN training step at batch 256 this replaces, per convolution, a 2-D transpose of a 12,544- or
 * 50,176-row operand plus an XNNPACK product that packs the other one, and per dense layer a transpose and
 * a product (see ./matmul-gradient for what tfjs would otherwise do).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelShapeOk, weightGradientKernels } from './wasm/weight-gradient-simd';
import { BackendKernels, offsetOf } from './wasm-backend-memory';

/** The kernel's registered name: inputs { x [R, K], dz [R, N] }, attrs { bias }; outputs [dW [K, N]] or [dW, db [N]]. */
export const WEIGHT_GRADIENT_KERNEL = 'AutoencoderWeightGradient';

const weightKernels = new BackendKernels(weightGradientKernels);

tf.registerKernel({
  kernelName: WEIGHT_GRADIENT_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const found = weightKernels.on(backend);
    const { x, dz } = inputs;
    if (!found || x === undefined || dz === undefined) throw new Error(`${WEIGHT_GRADIENT_KERNEL}: unavailable on this backend`);
    const [rows, k] = x.shape;
    const [dzRows, n] = dz.shape;
    if (x.shape.length !== 2 || dz.shape.length !== 2 || rows !== dzRows || !kernelShapeOk(k, n) || x.dtype !== 'float32' || dz.dtype !== 'float32') {
      throw new Error(`${WEIGHT_GRADIENT_KERNEL}: unsupported operands [${x.shape.join(',')}] and [${dz.shape.join(',')}]`);
    }
    const { internals, kernels } = found;
    const dw = internals.makeOutput([k, n], 'float32');
    const db = attrs?.bias === true ? internals.makeOutput([n], 'float32') : null;
    // Offsets after every allocation: an allocation may grow the memory (offsets stay valid; views would not).
    const xAt = offsetOf(internals, x, WEIGHT_GRADIENT_KERNEL);
    const dzAt = offsetOf(internals, dz, WEIGHT_GRADIENT_KERNEL);
    kernels.weightGradient(rows, k, n, xAt, dzAt, offsetOf(internals, dw, WEIGHT_GRADIENT_KERNEL), 0, k);
    if (db === null) return [dw];
    kernels.columnSums(rows, n, dzAt, offsetOf(internals, db, WEIGHT_GRADIENT_KERNEL));
    return [dw, db];
  },
});

/** Column sums of a [R, N] matrix (N a multiple of 4) by the SIMD kernel: input { x }, output [N]. */
export const COLUMN_SUMS_KERNEL = 'AutoencoderColumnSums';

tf.registerKernel({
  kernelName: COLUMN_SUMS_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const found = weightKernels.on(backend);
    const { x } = inputs;
    if (!found || x === undefined) throw new Error(`${COLUMN_SUMS_KERNEL}: unavailable on this backend`);
    const [rows, n] = x.shape;
    if (x.shape.length !== 2 || n % 4 !== 0 || x.dtype !== 'float32') throw new Error(`${COLUMN_SUMS_KERNEL}: unsupported operand [${x.shape.join(',')}]`);
    const sums = found.internals.makeOutput([n], 'float32');
    found.kernels.columnSums(rows, n, offsetOf(found.internals, x, COLUMN_SUMS_KERNEL), offsetOf(found.internals, sums, COLUMN_SUMS_KERNEL));
    return sums;
  },
});

/**
 * How the kernel computes xᵀ·dz for x [rows, k], dz [rows, n] on the current backend: 'direct'; 'swapped' as
 * (dzᵀ·x)ᵀ when only that has whole tiles (the CNN's last layer: n = 4, k = 32); null where it does not run.
 */
function arrangement(x: tf.Tensor, dz: tf.Tensor): 'direct' | 'swapped' | null {
  if (tf.getBackend() !== 'wasm' || x.rank !== 2 || dz.rank !== 2 || x.shape[0] !== dz.shape[0]) return null;
  if (x.dtype !== 'float32' || dz.dtype !== 'float32') return null;
  const k = x.shape[1] ?? 0;
  const n = dz.shape[1] ?? 0;
  const how = kernelShapeOk(k, n) ? 'direct' : kernelShapeOk(n, k) ? 'swapped' : null;
  return how !== null && weightKernels.on(tf.backend()) !== null ? how : null;
}

/** xᵀ·dz by the kernel as arranged (the swapped form transposes only the small [n, k] result). */
function weightGradientAs(how: 'direct' | 'swapped', x: tf.Tensor, dz: tf.Tensor): tf.Tensor {
  if (how === 'direct') return (tf.engine().runKernel(WEIGHT_GRADIENT_KERNEL, { x, dz }, { bias: false }) as tf.Tensor[])[0];
  const [transposed] = tf.engine().runKernel(WEIGHT_GRADIENT_KERNEL, { x: dz, dz: x }, { bias: false }) as tf.Tensor[];
  const dw = tf.transpose(transposed);
  transposed.dispose();
  return dw;
}

/** [xᵀ·dz, column sums of dz] by the SIMD kernels, or null where they do not run (another backend, shapes, no SIMD). */
export function wasmWeightAndBiasGradients(x: tf.Tensor, dz: tf.Tensor): [tf.Tensor, tf.Tensor] | null {
  const how = arrangement(x, dz);
  // 'swapped' has dz's width a multiple of 4 (kernelShapeOk(n, k)), as the column sums need.
  if (how === null) return null;
  if (how === 'direct') {
    const [dw, db] = tf.engine().runKernel(WEIGHT_GRADIENT_KERNEL, { x, dz }, { bias: true }) as tf.Tensor[];
    return [dw, db];
  }
  return [weightGradientAs(how, x, dz), tf.engine().runKernel(COLUMN_SUMS_KERNEL, { x: dz }) as tf.Tensor];
}

/** xᵀ·dz by the SIMD kernel, or null where it does not run. */
export function wasmWeightGradient(x: tf.Tensor, dz: tf.Tensor): tf.Tensor | null {
  const how = arrangement(x, dz);
  return how === null ? null : weightGradientAs(how, x, dz);
}
