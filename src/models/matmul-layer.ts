/**
 * Shared machinery of this project's trainable layers, which all reduce to one affine map
 * y = act(x·W + b) on a 2-D view of their input.
 *
 * Keeping every trainable layer on this single path means every backend trains through the same small set
 * of kernels (`BatchMatMul`, `Add`, `Reshape`, `Transpose`, `Tile`, the activation), all of which exist on
 * cpu, wasm, webgl and webgpu, and every backward pass goes through the `BatchMatMul` gradient registered in
 * `./matmul-gradient` (fast on wasm).
 */
import * as tf from '@tensorflow/tfjs';
// Side effect: registers the BatchMatMul gradient these layers' backward passes rely on.
import './matmul-gradient';
import { isShapeList } from './tensors';

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
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: MatmulLayerArgs) {
    super(args);
    this.activation = parseActivation(args.activation);
    this.seed = args.seed ?? undefined;
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

  /** act(x·w + bias) for x [rows, in], w [in, out], bias [out] → [rows, out]. */
  protected affine(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    if (this.activation === 'linear') {
      // tf.fused.matMul keeps its fused form under tf.grad for 'linear' and then differentiates with
      // transpose-flagged matmuls of its own, bypassing the registered (wasm-fast) gradient.
      return tf.add(tf.matMul(x, w), bias);
    }
    // Fused for inference; under tf.grad tfjs unfuses non-linear activations itself.
    return tf.fused.matMul({ a: x, b: w, bias, activation: this.activation });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation, seed: this.seed ?? null };
  }
}
