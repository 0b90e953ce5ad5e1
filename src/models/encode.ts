/**
 * A few images through a trained autoencoder at once: their codes, their reconstructions and each one's
 * reconstruction MSE — what the page shows for a drawn digit. The code length is read from the encoder's
 * output, so it serves runs of any code size.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, inputShapeOf, type ArchId } from './architectures';
import { asTensor } from './tensors';

/** Codes, reconstructions and MSE of `count` images. */
export interface Encoded {
  /** count × dim row-major */
  codes: Float32Array;
  /** the code length */
  dim: number;
  /** count × 784 row-major, pixels as the decoder outputs them */
  reconstructions: Float32Array;
  /** per image: mean over its 784 pixels of (reconstruction − input)² */
  mse: Float32Array;
}

/**
 * Encodes `count` images (count × 784 row-major, pixels in [0, 1]) and decodes their codes, in one pass
 * for a handful of images (one forward batch: not for whole data sets, see `extractLatents`).
 * Every tensor made here is disposed before it returns.
 */
export async function encodeImages(encoder: tf.LayersModel, decoder: tf.LayersModel, arch: ArchId, images: Float32Array, count: number): Promise<Encoded> {
  if (!Number.isInteger(count) || count < 1 || images.length !== count * IMAGE_PIXELS) {
    throw new Error(`encodeImages needs count ≥ 1 images of ${IMAGE_PIXELS} pixels; got ${images.length} values for count ${count}`);
  }
  const [codes, reconstructions, mse] = tf.tidy(() => {
    const x = tf.tensor(images, [count, ...inputShapeOf(arch)]);
    const code = tf.reshape(asTensor(encoder.apply(x, { training: false })), [count, -1]);
    const out = tf.reshape(asTensor(decoder.apply(code, { training: false })), [count, IMAGE_PIXELS]);
    const error = tf.mean(tf.squaredDifference(out, tf.reshape(x, [count, IMAGE_PIXELS])), 1);
    return [code, out, error];
  });
  try {
    // Async reads: a synchronous one blocks a GPU backend's worker (and reads zeros on software WebGPU).
    const [c, r, m] = await Promise.all([codes.data(), reconstructions.data(), mse.data()]);
    return { codes: Float32Array.from(c), dim: codes.shape[1] ?? 0, reconstructions: Float32Array.from(r), mse: Float32Array.from(m) };
  } finally {
    codes.dispose();
    reconstructions.dispose();
    mse.dispose();
  }
}
