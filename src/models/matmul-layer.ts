/**
 * Shared machinery of this project's trainable layers, which all reduce to one affine map
 * y = act(x·W + b) on a 2-D view of their input.
 *
 * Keeping every trainable layer on this single path means every backend trains through the same small set
 * of kernels (`BatchMatMul`, `_FusedMatMul`, `Sum`, `Reshape`, `Transpose`, `Tile`, the activation's gradient),
 * all of which exist on cpu, wasm, webgl and webgpu.
 *
 * The map is one op with a hand-written gradient (`makeAffineOp`). On wasm, tfjs's op-by-op backward pass
 * (matmul, add, activation, each with its registered gradient) spent most of its time outside the matmuls:
 * the bias gradient (`Sum` over axis 0, which tfjs-wasm runs as a full transpose then a row sum: 5.9 ms for
 * the CNN's [256, 3136] dense output), 2-D transposes of the larger matmul operand, and a saved copy of every
 * intermediate. Node, wasm SIMD, one thread, CPU time per CNN-ReLU training step at batch 256 (median of 25,
 * interleaved with the previous version in one process), convolutions on this path: 193 → 153 ms.
 *
 * A layer built with `inputGradient: false` (a model's first layer: nothing upstream has weights) treats its
 * input as a constant, so its backward pass skips dz·Wᵀ: for the dense model's first layer that is a
 * [256, 784]·[784, 784] product per step, as much arithmetic as its forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { productWithTransposed, weightAndBiasGradients } from './matmul-gradient';
import { isShapeList } from './tensors';
import { wasmReluGradient, wasmSigmoidGradient } from './wasm-elementwise';

/** Activations a matmul layer applies after its bias (Keras placement). */
export type MatmulActivation = 'linear' | 'relu' | 'elu' | 'sigmoid';

const ACTIVATIONS: readonly MatmulActivation[] = ['linear', 'relu', 'elu', 'sigmoid'];

/** `tf.layers.Layer`'s constructor arguments (not exported by name from `@tensorflow/tfjs`). */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Arguments every matmul layer accepts besides its width. */
export interface MatmulLayerArgs extends BaseLayerArgs {
  /** Default 'linear'. */
  activation?: MatmulActivation;
  /** Seed for the glorot-uniform kernel initialiser; omitted/null → unseeded. */
  seed?: number | null;
  /**
   * Default true. False where nothing needs the gradient of the layer's input (a model's first layer): the
   * backward pass then skips it, and the input gets no gradient at all. A training-speed choice of the model
   * builder, so it is not part of the serialised config (files stay what they were).
   */
  inputGradient?: boolean;
}

function parseActivation(value: unknown): MatmulActivation {
  const found = ACTIVATIONS.find((a) => a === (value ?? 'linear'));
  if (found === undefined) throw new Error(`Unsupported activation for a matmul layer: ${String(value)}`);
  return found;
}

/** The one tensor a single-input layer is called with, checked to have `rank`. */
export function singleTensor(inputs: tf.Tensor | tf.Tensor[], rank: number): tf.Tensor {
  if (Array.isArray(inputs) && inputs.length !== 1) throw new Error('Expected exactly one input tensor');
  const x = Array.isArray(inputs) ? inputs[0] : inputs;
  if (x.rank !== rank) throw new Error(`Expected a rank-${rank} input, got shape [${x.shape.join(',')}]`);
  return x;
}

/** The one input shape of a single-input layer (tfjs passes it bare or in a one-element list). */
export function singleShape(inputShape: tf.Shape | tf.Shape[], rank: number): tf.Shape {
  const shape = isShapeList(inputShape) ? inputShape[0] : inputShape;
  if (shape.length !== rank) {
    throw new Error(`Expected a rank-${rank} input shape, got ${JSON.stringify(inputShape)}`);
  }
  return shape;
}

/** Weights, initialisation, activation and config common to the matmul layers. */
export abstract class MatmulLayerBase extends tf.layers.Layer {
  protected readonly activation: MatmulActivation;
  protected readonly seed: number | undefined;
  private readonly inputGradient: boolean;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: MatmulLayerArgs) {
    super(args);
    this.activation = parseActivation(args.activation);
    this.seed = args.seed ?? undefined;
    this.inputGradient = args.inputGradient ?? true;
  }

  /**
   * Creates `kernel` (glorot-uniform) and a zero `bias` [biasSize]. tfjs's glorotUniform derives the fans
   * from the shape exactly as Keras does: [in, out] for a dense kernel, and
   * fanIn = shape[2]·kh·kw, fanOut = shape[3]·kh·kw for a rank-4 convolution kernel.
   */
  protected createWeights(kernelShape: number[], biasSize: number): void {
    const kernelInit = tf.initializers.glorotUniform({ seed: this.seed });
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', kernelInit);
    this.bias = this.addWeight('bias', [biasSize], 'float32', tf.initializers.zeros());
  }

  /** The current kernel and bias values (in their Keras shapes). */
  protected weightsOrThrow(): { kernel: tf.Tensor; bias: tf.Tensor } {
    if (this.kernel === null || this.bias === null) throw new Error(`Layer '${this.name}' is not built`);
    return { kernel: this.kernel.read(), bias: this.bias.read() };
  }

  /** act(x·w + bias) for x [rows, in], w [in, out], bias [out] → [rows, out], as one differentiable op. */
  protected affine(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return this.inputGradient ? AFFINE_OPS[this.activation](x, w, bias) : affineOfConstant(this.activation, x)(w, bias);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation, seed: this.seed ?? null };
  }
}

/** (x, w, bias) → act(x·w + bias), differentiable in all three. */
type AffineOp = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => tf.Tensor;

/**
 * dL/d(x·w + b) from dL/dy and the output y = act(x·w + b). Every supported activation's derivative is a
 * function of its output, so the pre-activation is never kept; these are tfjs's own gradient formulas
 * (relu: dy·step(pre), and pre > 0 exactly when y > 0; elu: its `EluGrad` kernel, which also takes y;
 * sigmoid: dy·y·(1 − y)).
 */
function preActivationGradient(activation: MatmulActivation, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      // On wasm one SIMD pass instead of two, same bits (./wasm-elementwise).
      return wasmReluGradient(dy, y) ?? tf.mul(dy, tf.step(y));
    case 'elu':
      return tf.engine().runKernel<tf.Tensor>(tf.EluGrad, { dy, y });
    case 'sigmoid':
      // On wasm one SIMD pass that also flushes subnormal results, which slow every later product on Intel
      // CPUs by two orders of magnitude (./wasm/elementwise-simd).
      return wasmSigmoidGradient(dy, y) ?? tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)));
    default: {
      const unknown: never = activation;
      throw new Error(`Unsupported activation ${String(unknown)}`);
    }
  }
}

function isTensor(value: tf.Tensor | tf.GradSaveFunc | undefined): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

/**
 * act(x·w + bias) by tfjs's fused matmul kernel (`_FusedMatMul`: matmul, bias and activation in one pass; on
 * wasm XNNPACK), called as a kernel because `tf.fused.matMul` unfuses itself whenever a gradient is being
 * recorded.
 */
function fusedAffine(activation: MatmulActivation, x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (x.rank !== 2 || w.rank !== 2) throw new Error('affine op expects (x [rows, in], w [in, out], bias [out])');
  const [rows, inputs] = x.shape;
  const [, outputs] = w.shape;
  // The kernel takes rank-3 operands (a batch of one matrix); these reshapes are free.
  const y3 = tf.engine().runKernel<tf.Tensor>(
    tf._FusedMatMul,
    { a: tf.reshape(x, [1, rows, inputs]), b: tf.reshape(w, [1, inputs, outputs]), bias },
    { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 },
  );
  return tf.reshape(y3, [rows, outputs]);
}

/**
 * Builds the affine op for one activation: forward {@link fusedAffine}; backward, from the saved x, w and y,
 *   dz = act'(y) ⊙ dy;  dx = dz·wᵀ;  dw = xᵀ·dz;  db = column sums of dz
 * with the products and sums arranged for the backend by ./matmul-gradient (`weightAndBiasGradients`).
 * customGrad records one tape node for the whole map, so only x, w and y are kept for the backward pass
 * instead of every intermediate of matmul, add and act; it computes all three gradients eagerly.
 */
function makeAffineOp(activation: MatmulActivation): AffineOp {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w, bias, save] = args;
    if (!isTensor(x) || !isTensor(w) || !isTensor(bias) || typeof save !== 'function') throw new Error('affine op expects (x, w, bias)');
    const value = fusedAffine(activation, x, w, bias);
    save([x, w, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedW, savedY] = saved;
        const dz = preActivationGradient(activation, dy, savedY);
        return [productWithTransposed(dz, savedW), ...weightAndBiasGradients(savedX, dz)];
      },
    };
  });
  return (x, w, bias) => op(x, w, bias);
}

const AFFINE_OPS: Readonly<Record<MatmulActivation, AffineOp>> = {
  linear: makeAffineOp('linear'),
  relu: makeAffineOp('relu'),
  elu: makeAffineOp('elu'),
  sigmoid: makeAffineOp('sigmoid'),
};

/**
 * The affine map of a constant input x, differentiable in w and bias only: x is not an input of the op, so
 * the tape has no edge to it and the backward pass computes no dz·wᵀ. (customGrad must return one gradient
 * per input, so this cannot be a flag of {@link makeAffineOp}'s op; the op is made per call, which costs a
 * closure.)
 */
function affineOfConstant(activation: MatmulActivation, x: tf.Tensor): (w: tf.Tensor, bias: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [w, bias, save] = args;
    if (!isTensor(w) || !isTensor(bias) || typeof save !== 'function') throw new Error('affine op expects (w, bias)');
    const value = fusedAffine(activation, x, w, bias);
    // x is kept like any saved tensor: its owner may dispose it before the backward pass runs.
    save([x, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedY] = saved;
        return weightAndBiasGradients(savedX, preActivationGradient(activation, dy, savedY));
      },
    };
  });
  return (w, bias) => op(w, bias);
}
