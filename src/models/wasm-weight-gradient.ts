/**
 * The weight (and bias) gradient of a matmul layer as one tfjs kernel on the WASM backend, computed by this
 * project's SIMD kernels (./wasm/weight-gradient-simd) in tfjs-backend-wasm's own memory
 * (./wasm-backend-memory), so they read x and dz and write dW and db where tfjs keeps them, with no copies.
 *
 * In a CNN training step at batch 256 this replaces, per convolution, a 2-D transpose of a 12,544- or
 * 50,176-row operand plus an XNNPACK product that packs the other one, and per dense layer a transpose and
 * a product (see ./matmul-gradient for what tfjs would otherwise do).
 *
 * Where the backend is threaded, a helper thread (../worker/gradient.worker, started by the engine) computes half
 * of each large dW (./gradient-split), bit for bit what one thread computes. Bench train part, Chromium, WASM,
 * alternating builds on 2026-12-05: dense 9,549–10,115 → 10,939–12,030 samples/s, CNN · ReLU 3,821–3,990 →
 * 4,032–4,399, CNN · ELU 3,621–3,819 → 3,691–3,937.
 */
import * as tf from '@tensorflow/tfjs';
import { gradientBlocks, type GradientSplitter } from './gradient-split';
import { blockKernelOf, defaultWeightGradientKernels, kernelShapeOk, type WeightGradientVariant } from './wasm/weight-gradient-simd';
import { BackendKernels, offsetOf, wasmBackendMemory } from './wasm-backend-memory';

/** The kernel's registered name: inputs { x [R, K], dz [R, N] }, attrs { bias }; outputs [dW [K, N]] or [dW, db [N]]. */
export const WEIGHT_GRADIENT_KERNEL = 'AutoencoderWeightGradient';

const weightKernels = new BackendKernels(defaultWeightGradientKernels);

/**
 * Which products the helper shares: at least this many multiply-adds (waking it costs tens of microseconds) and
 * this many entries of dW. A product with few outputs over many rows (the CNN's outer convolutions, dW [4, 32]
 * over 50,176 rows: 0.6 ms a call) is bound by reading its operands, which two threads would read side by side:
 * shared, the CNN · ReLU's weight gradients took 1.58–1.69 s per 120 training steps, kept on this thread 1.49 s
 * (2.01–2.09 s with no helper; Chromium, 3 epochs of 10,240 images).
 */
const SPLIT_MIN_WORK = 1 << 22;
const SPLIT_MIN_OUTPUTS = 2048;

/** The helper thread serving weight gradients on one backend memory (./gradient-split), if one was started. */
let helper: { memory: WebAssembly.Memory; splitter: GradientSplitter } | null = null;

/**
 * What a helper for the current wasm backend needs: its memory, shared (threaded tfjs-wasm in a cross-origin
 * isolated page), and the kernel variant this thread uses, so that both threads compute with the same arithmetic;
 * null where a helper could not serve (another backend, unshared memory, no SIMD kernels).
 */
export function gradientHelperTarget(): { memory: WebAssembly.Memory; variant: WeightGradientVariant } | null {
  const backend = tf.backend();
  const memory = wasmBackendMemory(backend);
  const found = weightKernels.on(backend);
  if (memory === null || found === null || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  return { memory, variant: found.kernels.variant };
}

/** Shares weight gradients on `memory` with the helper behind `splitter` from now on (replacing any earlier one). */
export function useGradientHelper(memory: WebAssembly.Memory, splitter: GradientSplitter): void {
  helper?.splitter.stop();
  helper = { memory, splitter };
}

/** Whether a helper was started for `memory`. */
export function hasGradientHelper(memory: WebAssembly.Memory): boolean {
  return helper?.memory === memory;
}

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
    const { internals } = found;
    const { kernels } = found.kernels;
    const dw = internals.makeOutput([k, n], 'float32');
    const db = attrs?.bias === true ? internals.makeOutput([n], 'float32') : null;
    // Offsets after every allocation: an allocation may grow the memory (offsets stay valid; views would not).
    const xAt = offsetOf(internals, x, WEIGHT_GRADIENT_KERNEL);
    const dzAt = offsetOf(internals, dz, WEIGHT_GRADIENT_KERNEL);
    const job = { rows, k, n, x: xAt, dz: dzAt, dw: offsetOf(internals, dw, WEIGHT_GRADIENT_KERNEL) };
    if (helper !== null && rows * k * n >= SPLIT_MIN_WORK && k * n >= SPLIT_MIN_OUTPUTS && helper.memory === wasmBackendMemory(backend)) {
      helper.splitter.run(job, gradientBlocks(k, n, 2), blockKernelOf(kernels));
    } else {
      kernels.weightGradient(rows, k, n, job.x, job.dz, job.dw, 0, k, 0, n);
    }
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
    found.kernels.kernels.columnSums(rows, n, offsetOf(found.internals, x, COLUMN_SUMS_KERNEL), offsetOf(found.internals, sums, COLUMN_SUMS_KERNEL));
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
