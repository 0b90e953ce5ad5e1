/**
 * Kernel-2 / stride-2 convolutions written as reshape + transpose + matmul.
 *
 * With kernel size equal to stride the receptive fields tile the image without overlap, so
 * `Conv2D(k2, s2, valid)` is exactly space-to-depth followed by a dense matmul, and
 * `Conv2DTranspose(k2, s2, same)` is a dense matmul followed by depth-to-space. Written this way they
 * (a) train on the WASM backend at all (it has no `Conv2DBackpropFilter` kernel), and
 * (b) replace tfjs's slow generic convolution kernels on CPU/WebGL with one large matmul.
 * Gradients come from tfjs autodiff through `Reshape`, `Transpose`, `Tile` and the shared affine map
 * (see ./matmul-layer).
 *
 * Weight shapes, names (`kernel`, `bias`), initialisation and activation placement are those of Keras,
 * so weights can be exchanged with `tf.layers.conv2d` / `tf.layers.conv2dTranspose` one-to-one.
 */
import * as tf from '@tensorflow/tfjs';
import { MatmulLayerBase, singleShape, singleTensor, type MatmulLayerArgs } from './matmul-layer';

/** Stride and kernel size of both layers: the construction relies on non-overlapping 2×2 patches. */
const PATCH = 2;
/** Number of taps in a 2×2 patch. */
const TAPS = PATCH * PATCH;

/** Constructor arguments (also the serialised config) of both matmul convolution layers. */
export interface MatmulConvArgs extends MatmulLayerArgs {
  /** Output channels. */
  filters: number;
}

/** Channel count, config and input checks shared by the two convolutions. */
abstract class MatmulConvBase extends MatmulLayerBase {
  protected readonly filters: number;

  constructor(args: MatmulConvArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters <= 0) {
      throw new Error(`filters must be a positive integer, got ${args.filters}`);
    }
    this.filters = args.filters;
    this.inputSpec = [{ ndim: 4 }];
  }

  /** Input channels from an NHWC input shape; also pins the input spec to them. */
  protected inputChannels(inputShape: tf.Shape | tf.Shape[]): number {
    const cin = singleShape(inputShape, 4)[3];
    if (cin === null) throw new Error(`${this.getClassName()} needs a known channel count`);
    this.inputSpec = [{ ndim: 4, axes: { [-1]: cin } }];
    return cin;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters };
  }
}

/**
 * Keras `Conv2D(filters, kernel_size=2, strides=2, padding='valid', activation)` as space-to-depth + matmul.
 *
 * Input [batch, H, W, cin] (H, W even) → output [batch, H/2, W/2, filters].
 * Weights: `kernel` [2, 2, cin, filters], `bias` [filters].
 */
export class SpaceToDepthConv2D extends MatmulConvBase {
  /** Serialisation name, registered with `tf.serialization.registerClass`. */
  static readonly className = 'SpaceToDepthConv2D';

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, h, w] = singleShape(inputShape, 4);
    // 'valid' padding would silently drop an odd last row/column; the reference models never have one.
    if ((h !== null && h % PATCH !== 0) || (w !== null && w % PATCH !== 0)) {
      throw new Error(`SpaceToDepthConv2D needs even height and width, got ${h}×${w}`);
    }
    this.createWeights([PATCH, PATCH, this.inputChannels(inputShape), this.filters], this.filters);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, h, w] = singleShape(inputShape, 4);
    return [b, h === null ? null : h / PATCH, w === null ? null : w / PATCH, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor(inputs, 4);
      const [b, h, w, cin] = x.shape;
      const ho = h / PATCH;
      const wo = w / PATCH;
      const { kernel, bias } = this.weightsOrThrow();
      // [b·ho, kh, wo, (kw, c)] → [b·ho, wo, kh, (kw, c)]: each row becomes one patch flattened in the
      // kernel's (kh, kw, cin) order, so the kernel reshapes to [4·cin, filters] without a transpose.
      // Rank 4 rather than 6 keeps every backend's transpose on its fast path.
      const patches = tf.reshape(
        tf.transpose(tf.reshape(x, [b * ho, PATCH, wo, PATCH * cin]), [0, 2, 1, 3]),
        [b * ho * wo, TAPS * cin],
      );
      const y = this.affine(patches, tf.reshape(kernel, [TAPS * cin, this.filters]), bias);
      return tf.reshape(y, [b, ho, wo, this.filters]);
    });
  }
}

/**
 * Keras `Conv2DTranspose(filters, kernel_size=2, strides=2, padding='same', activation)` as
 * matmul + depth-to-space. ('same' adds no padding here: total padding is kernel − stride = 0.)
 *
 * Input [batch, h, w, cin] → output [batch, 2h, 2w, filters].
 * Weights: `kernel` [2, 2, filters, cin] (Keras's transposed layout), `bias` [filters].
 */
export class DepthToSpaceConv2DTranspose extends MatmulConvBase {
  /** Serialisation name, registered with `tf.serialization.registerClass`. */
  static readonly className = 'DepthToSpaceConv2DTranspose';

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.createWeights([PATCH, PATCH, this.filters, this.inputChannels(inputShape)], this.filters);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, h, w] = singleShape(inputShape, 4);
    return [b, h === null ? null : h * PATCH, w === null ? null : w * PATCH, this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor(inputs, 4);
      const [b, h, w, cin] = x.shape;
      const cout = this.filters;
      const { kernel, bias } = this.weightsOrThrow();
      // Columns ordered (kh, kw, cout) so that each input pixel's row holds its 2×2 output patch.
      const weights = tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [cin, TAPS * cout]);
      // The bias repeats once per tap so that it (and the elementwise activation, which commutes with the
      // depth-to-space permutation) can be applied in the matmul's [rows, 4·cout] layout.
      const y = this.affine(tf.reshape(x, [b * h * w, cin]), weights, tf.tile(bias, [TAPS]));
      // [b·h, w, kh, (kw, cout)] → [b·h, kh, w, (kw, cout)] = [b, 2h, 2w, cout] in memory order.
      return tf.reshape(
        tf.transpose(tf.reshape(y, [b * h, w, PATCH, PATCH * cout]), [0, 2, 1, 3]),
        [b, h * PATCH, w * PATCH, cout],
      );
    });
  }
}

tf.serialization.registerClass(SpaceToDepthConv2D);
tf.serialization.registerClass(DepthToSpaceConv2DTranspose);
