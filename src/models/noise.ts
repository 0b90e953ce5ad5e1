/**
 * Input noise on a training batch already on the backend: the tfjs twin of `applyNoise` (data/noise.ts), with
 * the noise values drawn on the host from the run's seed and the batch's position, so a resumed run sees the
 * same noisy batches.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNoise, type ActiveNoise } from '../data/noise';

/**
 * The noisy version of batch `x` ([size, ...] in [0, 1]); call inside `tf.tidy` (the noise tensor is an
 * intermediate). Gaussian: clip(x + n, 0, 1); salt and pepper: where the drawn value is ≥ 0 it replaces the pixel.
 */
export function noisyBatch(x: tf.Tensor, noise: ActiveNoise, seed: number, epoch: number, batch: number): tf.Tensor {
  const values = tf.tensor(batchNoise(noise, x.size, seed, epoch, batch), x.shape);
  return noise.kind === 'gaussian' ? tf.clipByValue(tf.add(x, values), 0, 1) : tf.where(tf.less(values, 0), x, values);
}
