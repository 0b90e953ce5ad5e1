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

/** How gradient matmuls receive transposed operands. */
export type TransposeStrategy = 'flags' | 'explicit';

/** Backends whose matmul kernel is fast only without transpose flags. */
const EXPLICIT_TRANSPOSE_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

let forcedStrategy: TransposeStrategy | null = null;

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

/** tfjs-core's `batchMatMulGradConfig`, with `product` in place of flagged `matMul` calls. */
const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    if (Array.isArray(dy)) throw new Error('BatchMatMul has a single output');
    const [a, b] = saved;
    const { transposeA, transposeB } = matMulAttrs(attrs);
    if (!transposeA && !transposeB) {
      return { a: () => product(dy, b, false, true), b: () => product(a, dy, true, false) };
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
  currentStrategy,
};
