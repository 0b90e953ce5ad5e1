/**
 * Keras `Dense(units, activation)` on the shared matmul path.
 *
 * tfjs's own Dense does not fuse 'sigmoid', so under tf.grad it falls back to a fused 'linear' matmul whose
 * built-in gradient uses transpose-flagged matmuls: on wasm that alone cost the dense model's output layer
 * ~18 ms of a ~65 ms training step. This layer has the same weights (`kernel` [in, units], `bias` [units]),
 * initialisation and maths, and differentiates through the shared affine op (./matmul-layer).
 */
import * as tf from '@tensorflow/tfjs';
import { MatmulLayerBase, singleShape, singleTensor, type MatmulLayerArgs } from './matmul-layer';

/** Constructor arguments (also the serialised config) of {@link MatmulDense}. */
export interface MatmulDenseArgs extends MatmulLayerArgs {
  /** Output width. */
  units: number;
}

/** Input [batch, in] → output [batch, units]. Weights: `kernel` [in, units], `bias` [units]. */
export class MatmulDense extends MatmulLayerBase {
  /** Serialisation name, registered with `tf.serialization.registerClass`. */
  static readonly className = 'MatmulDense';
  private readonly units: number;

  constructor(args: MatmulDenseArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`units must be a positive integer, got ${args.units}`);
    }
    this.units = args.units;
    this.inputSpec = [{ ndim: 2 }];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const inputs = singleShape(inputShape, 2)[1];
    if (inputs === null) throw new Error('MatmulDense needs a known input width');
    this.createWeights([inputs, this.units], this.units);
    this.inputSpec = [{ ndim: 2, axes: { [-1]: inputs } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [singleShape(inputShape, 2)[0], this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const { kernel, bias } = this.weightsOrThrow();
      return this.affine(singleTensor(inputs, 2), kernel, bias);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}

tf.serialization.registerClass(MatmulDense);
