/**
 * A hand-drawn digit made into an MNIST-style 28×28 image, the way LeCun et al. describe MNIST's own
 * pre-processing: the digit's bounding box is scaled, keeping its aspect ratio, to fit a 20×20 box with
 * anti-aliasing, and that box is placed in the 28×28 field so the ink's centre of mass is at its centre.
 *
 * Steps and the choices made (pure, no DOM):
 * 1. `rasterizeStrokes`: strokes (polylines in canvas units) → ink coverage on a canvas-resolution grid
 *    (each pixel's ink is how far inside the pen's round nib its centre is, with a 1-unit soft edge).
 * 2. `mnistStyleImage`: the ink's bounding box (pixels with any ink) is taken as a square of its longer
 *    side, centred on the box, so the aspect ratio is kept; that square is area-averaged (box filter with
 *    exact fractional overlaps, separable) down to 20×20 — every output pixel is the mean ink of the canvas
 *    area it covers, not a nearest-neighbour sample.
 * 3. The centre of mass is measured in continuous pixel coordinates (pixel i spans [i, i + 1], so the
 *    field's centre is (14, 14)) and the 20×20 box is moved by a whole number of pixels, the rounded
 *    offset: an integer shift, so no second resampling blurs the strokes; the centre of mass then lies
 *    within half a pixel of (14, 14) on each axis. Ink that such a shift would push out of the field (only
 *    for a digit whose mass sits within 6 px of its box's edge) is lost, as it would be in MNIST.
 *
 * Layouts: ink is height × width row-major in [0, 1]; the result is 784 row-major values in [0, 1]
 * (ink = 1, paper = 0, like MNIST's pixels divided by 255).
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from './mnist-shape';

/** Side of the box the digit is scaled into, as in MNIST ("normalized to fit in a 20×20 pixel box"). */
export const DIGIT_BOX = 20;

/** One pen stroke: x, y pairs in canvas units (x right, y down), in drawing order. */
export type Stroke = readonly number[];

/**
 * Ink coverage of round-nibbed strokes on a `width` × `height` grid (pixel (x, y) is sampled at its centre
 * (x + 0.5, y + 0.5)): 1 within `radius` of a stroke, falling linearly to 0 over the next canvas unit.
 * A stroke of one point is a dot.
 * @returns height × width row-major coverage in [0, 1]
 */
export function rasterizeStrokes(strokes: readonly Stroke[], width: number, height: number, radius: number): Float32Array {
  const ink = new Float32Array(width * height);
  const reach = radius + 1;
  for (const stroke of strokes) {
    const points = stroke.length >> 1;
    // Segment s joins point s to point s + 1; a lone point is one zero-length segment: a dot.
    const segments = points > 1 ? points - 1 : points;
    for (let s = 0; s < segments; s++) {
      const ax = stroke[2 * s];
      const ay = stroke[2 * s + 1];
      const bx = points > 1 ? stroke[2 * s + 2] : ax;
      const by = points > 1 ? stroke[2 * s + 3] : ay;
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
      const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + reach));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach));
      const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + reach));
      const dx = bx - ax;
      const dy = by - ay;
      const length2 = dx * dx + dy * dy;
      for (let y = y0; y <= y1; y++) {
        const py = y + 0.5;
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5;
          const t = length2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2)) : 0;
          const ex = px - (ax + t * dx);
          const ey = py - (ay + t * dy);
          const coverage = Math.min(1, Math.max(0, reach - Math.sqrt(ex * ex + ey * ey)));
          const i = y * width + x;
          if (coverage > ink[i]) ink[i] = coverage;
        }
      }
    }
  }
  return ink;
}

/** The smallest box holding every pixel with ink, in pixel units (x1, y1 exclusive); null when there is none. */
export function inkBounds(ink: Float32Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] <= 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * Box-filter weights of resampling `[start, start + span)` of a source axis of `size` pixels into `out`
 * pixels: row o holds, for each source pixel, the fraction of it inside output pixel o's interval, divided by
 * the interval's length (so a row sums to the share of the interval that lies inside the source).
 * @returns out × size row-major weights
 */
function boxWeights(start: number, span: number, size: number, out: number): Float64Array {
  const weights = new Float64Array(out * size);
  const step = span / out;
  for (let o = 0; o < out; o++) {
    const a = start + o * step;
    const b = a + step;
    for (let s = Math.max(0, Math.floor(a)); s < Math.min(size, Math.ceil(b)); s++) {
      const overlap = Math.min(b, s + 1) - Math.max(a, s);
      if (overlap > 0) weights[o * size + s] = overlap / step;
    }
  }
  return weights;
}

/**
 * The 20×20 box: the ink's bounding square (the bounding box grown to a square about its centre, which
 * keeps the aspect ratio) area-averaged down (or up, for a tiny drawing) to DIGIT_BOX × DIGIT_BOX.
 * @returns DIGIT_BOX² row-major values in [0, 1], or null when there is no ink
 */
export function fitToBox(ink: Float32Array, width: number, height: number): Float32Array | null {
  const box = inkBounds(ink, width, height);
  if (!box) return null;
  const side = Math.max(box.x1 - box.x0, box.y1 - box.y0);
  const left = (box.x0 + box.x1 - side) / 2;
  const top = (box.y0 + box.y1 - side) / 2;
  const wx = boxWeights(left, side, width, DIGIT_BOX);
  const wy = boxWeights(top, side, height, DIGIT_BOX);
  // Separable: rows first (height × DIGIT_BOX), then columns.
  const rows = new Float64Array(height * DIGIT_BOX);
  for (let y = box.y0; y < box.y1; y++) {
    for (let o = 0; o < DIGIT_BOX; o++) {
      let sum = 0;
      for (let x = box.x0; x < box.x1; x++) sum += wx[o * width + x] * ink[y * width + x];
      rows[y * DIGIT_BOX + o] = sum;
    }
  }
  const out = new Float32Array(DIGIT_BOX * DIGIT_BOX);
  for (let o = 0; o < DIGIT_BOX; o++) {
    for (let c = 0; c < DIGIT_BOX; c++) {
      let sum = 0;
      for (let y = box.y0; y < box.y1; y++) sum += wy[o * height + y] * rows[y * DIGIT_BOX + c];
      out[o * DIGIT_BOX + c] = Math.min(1, sum);
    }
  }
  return out;
}

/**
 * Centre of mass of a side × side image in continuous pixel coordinates (pixel i spans [i, i + 1]);
 * null when the image holds no ink.
 */
export function centreOfMass(image: Float32Array, side: number): { x: number; y: number } | null {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = image[y * side + x];
      mass += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass } : null;
}

/**
 * A drawing as an MNIST digit: bounding box → 20×20 box (aspect kept, area-averaged) → placed in 28×28
 * with its centre of mass moved by a whole-pixel shift to within half a pixel of (14, 14).
 * @param ink height × width row-major ink in [0, 1] (e.g. from `rasterizeStrokes`)
 * @returns 784 row-major values in [0, 1], or null for a drawing without ink
 */
export function mnistStyleImage(ink: Float32Array, width: number, height: number): Float32Array | null {
  const box = fitToBox(ink, width, height);
  if (!box) return null;
  const centre = centreOfMass(box, DIGIT_BOX);
  if (!centre) return null;
  const half = IMAGE_SIDE / 2;
  const offsetX = Math.round(half - centre.x);
  const offsetY = Math.round(half - centre.y);
  const image = new Float32Array(IMAGE_PIXELS);
  for (let y = 0; y < DIGIT_BOX; y++) {
    const ty = y + offsetY;
    if (ty < 0 || ty >= IMAGE_SIDE) continue;
    for (let x = 0; x < DIGIT_BOX; x++) {
      const tx = x + offsetX;
      if (tx < 0 || tx >= IMAGE_SIDE) continue;
      image[ty * IMAGE_SIDE + tx] = box[y * DIGIT_BOX + x];
    }
  }
  return image;
}

/** Strokes straight to the MNIST-style image (null without ink): `rasterizeStrokes` then `mnistStyleImage`. */
export function drawingToImage(strokes: readonly Stroke[], width: number, height: number, radius: number): Float32Array | null {
  if (strokes.length === 0) return null;
  return mnistStyleImage(rasterizeStrokes(strokes, width, height, radius), width, height);
}
