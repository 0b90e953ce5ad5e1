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
  /** Trainable parameter count (equal to the Keras reference model's). */
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

/** Name of the 64-unit bottleneck layer in every architecture. */
export const LATENT_LAYER_NAME = 'latent';
/** Width of the bottleneck. */
export const LATENT_DIM = 64;
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
