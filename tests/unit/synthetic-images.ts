/** Synthetic digit-like images for training tests: structured enough to learn from in a few steps. */
import { mulberry32 } from '../../src/analysis/rng';
import type { ImageSet } from '../../src/models/train';

const PIXELS = 784;

/**
 * `count` 28×28 images drawn from four blurry-stroke prototypes plus noise, clipped to [0, 1]: structured
 * enough that an autoencoder's loss falls within a few steps.
 */
export function syntheticImages(count: number, seed: number): ImageSet {
  const rng = mulberry32(seed);
  const prototypes = [0, 1, 2, 3].map((k) => {
    const img = new Float32Array(PIXELS);
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const stroke = k < 2 ? Math.abs(c - (10 + 8 * k)) : Math.abs(r - (10 + 8 * (k - 2)));
        img[r * 28 + c] = Math.exp(-(stroke * stroke) / 6);
      }
    }
    return img;
  });
  const images = new Float32Array(count * PIXELS);
  for (let i = 0; i < count; i++) {
    const proto = prototypes[i % prototypes.length];
    for (let p = 0; p < PIXELS; p++) {
      images[i * PIXELS + p] = Math.min(1, Math.max(0, proto[p] + 0.1 * (rng() - 0.5)));
    }
  }
  return { images, count };
}

