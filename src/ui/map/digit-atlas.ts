/**
 * Digit thumbnails for the map: every digit drawn once into one atlas canvas, from which the map copies
 * cells with `drawImage`. Ink is opaque black on a transparent background so thumbnails sit on the map
 * without hiding their neighbours' points.
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../data/mnist-shape';

export interface DigitAtlas {
  canvas: HTMLCanvasElement;
  /** cells per atlas row; digit i sits at column i % columns, row ⌊i / columns⌋ */
  columns: number;
}

/** Side of one atlas cell in pixels. */
export const ATLAS_CELL = IMAGE_SIDE;

/** @param images count × 784, pixels in [0, 1]; null when the browser gives no 2-D context */
export function digitAtlas(images: Float32Array, count: number): DigitAtlas | null {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  const canvas = document.createElement('canvas');
  canvas.width = columns * IMAGE_SIDE;
  canvas.height = Math.max(1, Math.ceil(count / columns)) * IMAGE_SIDE;
  const context = canvas.getContext('2d');
  if (!context) return null;
  const image = context.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < count; i++) {
    const x0 = (i % columns) * IMAGE_SIDE;
    const y0 = Math.floor(i / columns) * IMAGE_SIDE;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const at = 4 * ((y0 + Math.floor(p / IMAGE_SIDE)) * canvas.width + x0 + (p % IMAGE_SIDE));
      image.data[at + 3] = Math.round(Math.min(1, Math.max(0, images[i * IMAGE_PIXELS + p])) * 255);
    }
  }
  context.putImageData(image, 0, 0);
  return { canvas, columns };
}
