/**
 * Input noise for denoising autoencoders, on the host and without tfjs (the page uses it too): Gaussian noise
 * of standard deviation σ clipped back to [0, 1], or salt and pepper (a chosen fraction of the pixels set to 0 or
 * 1, equally likely). Every draw is seeded from the run's seed and a position — a training batch (epoch, batch)
 * or a test image's index — so a continued, resumed or repeated run sees exactly the same noise, and the noisy
 * test digits shown beside a reconstruction are the very inputs its test MSE was measured on.
 */
import { gaussian, mulberry32, type Rng } from '../analysis/rng';
import type { InputNoise } from '../config/train-options';
import { IMAGE_PIXELS } from './mnist-shape';

/** Which images a draw is for: training batches and test images never share noise. */
export const NOISE_STREAM = { train: 0x7472, test: 0x7465 } as const;

/** One of {@link NOISE_STREAM}'s values. */
export type NoiseStream = (typeof NOISE_STREAM)[keyof typeof NOISE_STREAM];

/** Noise with its kind known to add something (not `none`). */
export type ActiveNoise = Exclude<InputNoise, { kind: 'none' }>;

/** True when `noise` changes the inputs. */
export function isActiveNoise(noise: InputNoise | undefined): noise is ActiveNoise {
  return noise !== undefined && noise.kind !== 'none';
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output, so nearby positions get unrelated seeds. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The generator seed of one draw: the run's seed, the stream, and two position numbers (e.g. epoch and batch). */
export function noiseSeed(seed: number, stream: NoiseStream, a: number, b = 0): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ stream);
  h = mix32(h ^ (a >>> 0));
  h = mix32(h ^ (b >>> 0) ^ 0x27d4eb2f);
  return h;
}

/**
 * `length` noise values from `rng`: for Gaussian noise what is added to each pixel (N(0, σ²)); for salt and
 * pepper the value each pixel becomes — 0 or 1 for a hit (probability `fraction`), −1 for "keep the pixel".
 * {@link applyNoise} (or the tfjs twin in models/noise.ts) turns them into inputs.
 */
export function sampleNoise(noise: ActiveNoise, length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  if (noise.kind === 'gaussian') {
    for (let i = 0; i < length; i++) out[i] = noise.sigma * gaussian(rng);
  } else {
    for (let i = 0; i < length; i++) out[i] = rng() < noise.fraction ? (rng() < 0.5 ? 0 : 1) : -1;
  }
  return out;
}

/** Clean pixels and noise values (from {@link sampleNoise}) → noisy pixels, in [0, 1]; written into `out`. */
export function applyNoise(noise: ActiveNoise, clean: ArrayLike<number>, values: Float32Array, out: Float32Array): Float32Array {
  if (noise.kind === 'gaussian') {
    for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, clean[i] + values[i]));
  } else {
    for (let i = 0; i < values.length; i++) out[i] = values[i] < 0 ? clean[i] : values[i];
  }
  return out;
}

/**
 * A noisy copy of `count` images (count × 784): image i gets the noise of position `indexOf(i)` in `stream`
 * (test images: their index in the test set), so its noise does not depend on how images are batched.
 */
export function noisyImages(
  noise: ActiveNoise,
  images: Float32Array,
  count: number,
  seed: number,
  stream: NoiseStream,
  indexOf: (i: number) => number = (i) => i,
): Float32Array {
  const out = new Float32Array(count * IMAGE_PIXELS);
  for (let i = 0; i < count; i++) {
    const values = sampleNoise(noise, IMAGE_PIXELS, mulberry32(noiseSeed(seed, stream, indexOf(i))));
    applyNoise(noise, images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), values, out.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS));
  }
  return out;
}

/** The noise values of training batch `batch` of epoch `epoch` (0-based), `length` of them. */
export function batchNoise(noise: ActiveNoise, length: number, seed: number, epoch: number, batch: number): Float32Array {
  return sampleNoise(noise, length, mulberry32(noiseSeed(seed, NOISE_STREAM.train, epoch, batch)));
}

/**
 * What a run is given for test images: for a denoising run (`settings.noise` not none) their noisy copies — image
 * i is test image `indexOf(i)`, seeded by `settings.seed` — and for any other run the images themselves (the same
 * array, not a copy).
 */
export function testInputs(
  settings: { noise: InputNoise; seed: number },
  images: Float32Array,
  count: number,
  indexOf: (i: number) => number = (i) => i,
): Float32Array {
  const noise = settings.noise;
  return isActiveNoise(noise) ? noisyImages(noise, images, count, settings.seed, NOISE_STREAM.test, indexOf) : images;
}
