/**
 * A faster gradient for `BatchMatMul` on the WASM backend.
 *
 * The gradient of C = A·B needs Aᵀ and Bᵀ products (dA = dC·Bᵀ, dB = Aᵀ·dC). tfjs computes them with
 * `matMul`'s transpose flags, and tfjs-backend-wasm 4.22 runs any flagged product on a slow fallback instead
 * of XNNPACK. Measured in Node (wasm, one thread) on this project's 2-core machines, batch 256: dC·Bᵀ for
 * the dense model's 784×784 layer took ~106 ms with the flag and ~11 ms as an explicit transpose followed by
 * a plain matmul; Aᵀ·dC ~114 ms vs ~10 ms; whole training steps went from ~1,400 to ~5,000 samples/s (dense)
 * and ~440 to ~1,400 (CNNs). On the cpu backend the flags are as fast or faster (an explicit transpose only
 * adds a copy), and on WebGL they cost nothing, so only wasm switches.
 *
 * The override keeps tfjs's formulas exactly (same four transpose cases, same lazily evaluated per-input
 * gradients, so an input that needs no gradient costs nothing); only how a transposed operand reaches the
 * matmul kernel changes. `tf.registerGradient` is global: it is registered once, when this module is first
 * imported, and applies to every matMul gradient in the program — harmless, since the maths is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { wasmWeightAndBiasGradients, wasmWeightGradient } from './wasm-weight-gradient';

/** How gradient matmuls receive transposed operands. */
export type TransposeStrategy = 'flags' | 'explicit';

/** Backends whose matmul kernel is fast only without transpose flags. */
const EXPLICIT_TRANSPOSE_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

let forcedStrategy: TransposeStrategy | null = null;
/** Whether weight gradients may use this project's wasm kernel (./wasm-weight-gradient); off only in comparisons. */
let weightKernelAllowed = true;

function currentStrategy(): TransposeStrategy {
  return forcedStrategy ?? (EXPLICIT_TRANSPOSE_BACKENDS.has(tf.getBackend()) ? 'explicit' : 'flags');
}

/** Swaps the two innermost axes (the matrix transpose of every matrix in a batch). */
function transposeInner(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/** op(x)·op(y) where op transposes when its flag is set, by the current strategy. */
function product(x: tf.Tensor, y: tf.Tensor, transposeX: boolean, transposeY: boolean): tf.Tensor {
  if (currentStrategy() === 'flags') return tf.matMul(x, y, transposeX, transposeY);
  return tf.matMul(transposeX ? transposeInner(x) : x, transposeY ? transposeInner(y) : y);
}

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function matMulAttrs(attrs: tf.NamedAttrMap | undefined): MatMulAttrs {
  return { transposeA: attrs?.transposeA === true, transposeB: attrs?.transposeB === true };
}

/** dy·wᵀ for dy [.., R, N] and w [.., K, N] (the input gradient of x·w). */
export function productWithTransposed(dy: tf.Tensor, w: tf.Tensor): tf.Tensor {
  return product(dy, w, false, true);
}

/** Widest dz, and largest weight matrix, for which {@link weightAndBiasGradients} uses the plain loop. */
const NARROW_GRADIENT_COLUMNS = 8;
const NARROW_GRADIENT_WEIGHTS = 256;

/**
 * The weight and bias gradients of x·w + b: [xᵀ·dz, column sums of dz] for x [R, K], dz [R, N].
 *
 * On wasm both come from this project's kernel in one pass (./wasm-weight-gradient). What follows is how
 * tfjs's own kernels are arranged where that kernel cannot run (no WebAssembly SIMD, shapes without whole tiles).
 *
 * On wasm, for the convolutions' tall matrices, the costs are 2-D transposes and XNNPACK's packing of a
 * product's right operand (redone for every fresh tensor), each several ns per element, not the arithmetic.
 * tfjs's own bias gradient, Sum over axis 0, transposes all of dz first (13.4 ms for [50176, 32]). So the
 * bias gradient rides on the weight product: when x is the narrower operand, a row of ones appended to xᵀ
 * makes the one product [xᵀ; 1]·dz return the column sums as its last row (the two slices are of the small
 * [K + 1, N] result); otherwise dzᵀ is formed for (dzᵀ·x)ᵀ anyway and its row sums (an innermost-axis Sum,
 * no transpose) are the column sums. Either way dz is transposed or packed once.
 */
export function weightAndBiasGradients(x: tf.Tensor, dz: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (x.rank !== 2 || dz.rank !== 2) {
    throw new Error(`weightAndBiasGradients expects matrices, got [${x.shape.join(',')}] and [${dz.shape.join(',')}]`);
  }
  if (currentStrategy() === 'flags') return [tf.matMul(x, dz, true, false), tf.sum(dz, 0)];
  // On wasm, one pass of this project's kernel in tfjs's memory: no transpose, no packing (./wasm-weight-gradient).
  const direct = weightKernelAllowed ? wasmWeightAndBiasGradients(x, dz) : null;
  if (direct) return direct;
  const [rows, k] = x.shape;
  const [, n] = dz.shape;
  if (n <= NARROW_GRADIENT_COLUMNS && k * n <= NARROW_GRADIENT_WEIGHTS) {
    // Without the SIMD kernel (no WebAssembly SIMD), a tiny weight matrix over many rows (the CNN's last layer:
    // x [50176, 32], dz [50176, 4]): XNNPACK would
    // pack a 50176-row operand for a product of 12.8 MFLOP, while tfjs-wasm's plain loop (the transpose-flag
    // path) costs in proportion to the arithmetic, and Sum over 4 columns transposes little. Node, one thread,
    // CPU time, best of 12: 5.1 ms against 11.5 ms for (dzᵀ·x)ᵀ with row sums.
    return [tf.matMul(x, dz, true, false), tf.sum(dz, 0)];
  }
  if (k > n) {
    const dzT = tf.transpose(dz);
    return [tf.transpose(tf.matMul(dzT, x)), tf.sum(dzT, 1)];
  }
  const both = tf.matMul(tf.concat([tf.transpose(x), tf.ones([1, rows])], 0), dz);
  return [tf.slice(both, [0, 0], [k, n]), tf.reshape(tf.slice(both, [k, 0], [1, n]), [n])];
}

/** tfjs-core's `batchMatMulGradConfig`, with `product` in place of flagged `matMul` calls. */
const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    if (Array.isArray(dy)) throw new Error('BatchMatMul has a single output');
    const [a, b] = saved;
    const { transposeA, transposeB } = matMulAttrs(attrs);
    if (!transposeA && !transposeB) {
      return { a: () => product(dy, b, false, true), b: () => (weightKernelAllowed ? wasmWeightGradient(a, dy) : null) ?? product(a, dy, true, false) };
    }
    if (!transposeA && transposeB) {
      return { a: () => product(dy, b, false, false), b: () => product(dy, a, true, false) };
    }
    if (transposeA && !transposeB) {
      return { a: () => product(b, dy, false, true), b: () => product(a, dy, false, false) };
    }
    return { a: () => product(b, dy, true, true), b: () => product(dy, a, true, true) };
  },
};

tf.registerGradient(batchMatMulGradConfig);

/**
 * Test hooks: force a strategy regardless of backend (null restores the per-backend choice), and read the
 * strategy in effect.
 */
export const TEST_ONLY = {
  forceStrategy(strategy: TransposeStrategy | null): void {
    forcedStrategy = strategy;
  },
  /** Lets (true, the default) or keeps (false) weight gradients off the wasm kernel, for comparisons. */
  allowWeightKernel(allowed: boolean): void {
    weightKernelAllowed = allowed;
  },
  currentStrategy,
};
