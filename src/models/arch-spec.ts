/**
 * What the page needs to know about the architectures, without tfjs: ids, display metadata and the
 * summary row type. The UI imports this module so tfjs stays in the worker's bundle.
 */

/** Identifier of one of the three reference architectures. */
export type ArchId = 'dense' | 'cnn_relu' | 'cnn_elu';

/** All architecture ids, in display order. */
export const ARCH_IDS: readonly ArchId[] = ['dense', 'cnn_relu', 'cnn_elu'];

/** Display metadata of an architecture. */
export interface ArchSpec {
  id: ArchId;
  /** Short display name. */
  label: string;
  /** One sentence saying what distinguishes it. */
  blurb: string;
  /** Trainable parameter count at the reference code size 64 (equal to the Keras reference model's); see {@link paramCount}. */
  params: number;
}

/** Metadata of the three architectures; `params` is checked against the built models in the unit tests. */
export const ARCHITECTURES: Readonly<Record<ArchId, ArchSpec>> = {
  dense: {
    id: 'dense',
    label: 'Dense',
    blurb: 'Fully connected 784 → 784 → 64 → 784 with ReLU and a sigmoid output.',
    params: 716_640,
  },
  cnn_relu: {
    id: 'cnn_relu',
    label: 'CNN · ReLU',
    blurb: 'Two strided convolutions down to a 64-d ReLU code and two transposed convolutions back up.',
    params: 421_377,
  },
  cnn_elu: {
    id: 'cnn_elu',
    label: 'CNN · ELU',
    blurb: 'The same CNN with ELU in the bottleneck and first upsampling: a code unit that never fires sits near −1 instead of at 0, and keeps a gradient.',
    params: 421_377,
  },
};

/** Name of the bottleneck layer in every architecture. */
export const LATENT_LAYER_NAME = 'latent';
/**
 * The reference width of the bottleneck (the Keras tutorial's). A run's own width is its
 * `settings.latentDim` (config/train-options: LATENT_SIZES); this is the default, not a fixed size.
 */
export const LATENT_DIM = 64;

/** Channels of the CNNs' second convolution, flattened into the bottleneck. */
const CNN_FEATURE_CHANNELS = 64;
/** Side of the CNNs' feature maps after two stride-2 convolutions (28 → 14 → 7). */
const CNN_FEATURE_SIDE = 7;

/**
 * Trainable parameters of architecture `arch` with a `latentDim`-wide code, computed from its layers
 * (checked against the built models in the unit tests; 716,640 and 421,377 at 64):
 * - dense: 784→784 (784·784 + 784), 784→d (784·d + d), d→784 (d·784 + 784);
 * - CNN (2×2 kernels, stride 2): conv 2×2×1→32 (128 + 32), conv 2×2×32→64 (8,192 + 64), flatten 7·7·64 = 3,136
 *   → d (3,136·d + d), d → 3,136 (d·3,136 + 3,136), transposed conv 2×2×64→32 (8,192 + 32), transposed conv
 *   2×2×32→1 (128 + 1).
 */
export function paramCount(arch: ArchId, latentDim: number): number {
  const d = latentDim;
  if (arch === 'dense') {
    const px = IMAGE_PIXELS_FOR_COUNT;
    return px * px + px + (px * d + d) + (d * px + px);
  }
  const kernel = 2 * 2;
  const flat = CNN_FEATURE_SIDE * CNN_FEATURE_SIDE * CNN_FEATURE_CHANNELS;
  const conv1 = kernel * 1 * 32 + 32;
  const conv2 = kernel * 32 * CNN_FEATURE_CHANNELS + CNN_FEATURE_CHANNELS;
  const encode = flat * d + d;
  const decode = d * flat + flat;
  const deconv1 = kernel * CNN_FEATURE_CHANNELS * 32 + 32;
  const deconv2 = kernel * 32 * 1 + 1;
  return conv1 + conv2 + encode + decode + deconv1 + deconv2;
}

/** 28 × 28: kept local so this module's constants do not depend on the re-export's order. */
const IMAGE_PIXELS_FOR_COUNT = 28 * 28;
/** The image shape, re-exported so `models/architectures` importers keep working; it lives in data/mnist-shape.ts. */
export { IMAGE_PIXELS, IMAGE_SIDE } from '../data/mnist-shape';

/** Type guard for untrusted input (URL hash, worker messages). */
export function isArchId(value: unknown): value is ArchId {
  return typeof value === 'string' && (ARCH_IDS as readonly string[]).includes(value);
}

/** One row of a Keras-style `model.summary()`. */
export interface LayerRow {
  name: string;
  /** Keras class name (the matmul convolutions report the Keras layer they are equivalent to). */
  type: string;
  /** Output shape with `null` for the batch dimension, e.g. [null, 14, 14, 32]. */
  outputShape: (number | null)[];
  /** Parameters owned by the layer (0 for InputLayer, Flatten, Reshape). */
  params: number;
  /** The layer's activation ('relu', 'elu', 'sigmoid', 'linear'), or null for layers without one. */
  activation: string | null;
}

/** One layer's output for one image (see `models/activations.ts`). */
export interface LayerActivation {
  name: string;
  /** Keras class name, as in {@link LayerRow} */
  type: string;
  /** 'relu', 'elu', 'sigmoid', 'linear', or null for layers without one (Flatten, Reshape) */
  activation: string | null;
  /** output shape without the batch dimension: [14, 14, 32] for a feature map stack, [64] for a dense layer */
  shape: number[];
  /** the values, row-major (channels last): product(shape) floats */
  values: Float32Array;
}
