/**
 * The mean image of a selection of digits and the mean of their reconstructions through one run, for the
 * map's selection panel. Images are gathered and reconstructed in chunks, so a selection of 70,000 digits
 * never holds more than one chunk of floats (it would be 220 MB at once).
 */
import type * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS } from '../../data/mnist-shape';
import type { ArchId } from '../../models/arch-spec';
import { reconstruct } from '../../models/train';

/** Images gathered and reconstructed per step. */
export const MEANS_CHUNK = 2048;

/**
 * @param gather copies the images at the given indices into one count × 784 array
 * @returns the per-pixel means over `indices` of the images and of their reconstructions (784 each)
 */
export async function selectionMeans(
  gather: (indices: Int32Array) => Float32Array,
  indices: Int32Array,
  model: tf.LayersModel,
  arch: ArchId,
  chunk = MEANS_CHUNK,
): Promise<{ image: Float32Array; reconstruction: Float32Array }> {
  const imageSum = new Float64Array(IMAGE_PIXELS);
  const reconstructionSum = new Float64Array(IMAGE_PIXELS);
  for (let start = 0; start < indices.length; start += chunk) {
    const part = indices.subarray(start, Math.min(indices.length, start + chunk));
    const images = gather(part);
    const reconstructions = await reconstruct(model, arch, images, part.length);
    for (let i = 0; i < part.length; i++) {
      for (let p = 0; p < IMAGE_PIXELS; p++) {
        imageSum[p] += images[i * IMAGE_PIXELS + p];
        reconstructionSum[p] += reconstructions[i * IMAGE_PIXELS + p];
      }
    }
  }
  const count = Math.max(1, indices.length);
  return { image: Float32Array.from(imageSum, (s) => s / count), reconstruction: Float32Array.from(reconstructionSum, (s) => s / count) };
}
