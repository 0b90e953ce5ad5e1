/**
 * The 2-d code plane of a run with a 2-number code: the range its data occupies, a grid of codes across
 * that range (decoded, it is the classic "manifold" picture), and the code under a point of the picture.
 *
 * Orientation: the picture's x grows with code unit 0 and its y grows *downwards* with code unit 1
 * decreasing, as in a plot with the y axis pointing up. Cell centres, not edges, sit on the grid codes,
 * so the grid picture and the scatter of codes share one coordinate frame.
 */

/** A rectangle of the code plane. */
export interface PlaneRange {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/**
 * Share of the codes left out at each end of both axes: a few outliers far from the rest would otherwise
 * stretch the grid over empty space (the decoder has never been asked for codes there).
 */
export const RANGE_TAIL = 0.005;

/** Largest manifold grid side (side² images are decoded at once). */
export const MAX_GRID_SIDE = 40;

/** The value below which a share `q` of the sorted values lies (linear between order statistics). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/**
 * The part of the plane the codes occupy: from the `tail` to the 1 − `tail` quantile on each axis, widened
 * to a non-zero span when every code is equal (a collapsed code) so a grid still has somewhere to go.
 * @param codes count × 2 row-major
 */
export function occupiedRange(codes: Float32Array, count: number, tail = RANGE_TAIL): PlaneRange {
  if (codes.length < count * 2) throw new Error(`Expected ${count} × 2 codes, got ${codes.length} numbers`);
  if (count < 1) throw new Error('A plane range needs at least one code');
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    xs[i] = codes[2 * i];
    ys[i] = codes[2 * i + 1];
  }
  xs.sort();
  ys.sort();
  const widen = (lo: number, hi: number): [number, number] => (hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5]);
  const [xMin, xMax] = widen(quantile(xs, tail), quantile(xs, 1 - tail));
  const [yMin, yMax] = widen(quantile(ys, tail), quantile(ys, 1 - tail));
  return { xMin, xMax, yMin, yMax };
}

/**
 * The code at fractional picture position (u, v), both in [0, 1]: u = 0 is the left edge (xMin), v = 0 the
 * top edge (yMax). Positions outside [0, 1] extrapolate linearly; the caller decides whether to allow that.
 */
export function planeToCode(range: PlaneRange, u: number, v: number): [number, number] {
  return [range.xMin + u * (range.xMax - range.xMin), range.yMax - v * (range.yMax - range.yMin)];
}

/** The picture position (u, v) of a code: the inverse of `planeToCode`. */
export function codeToPlane(range: PlaneRange, x: number, y: number): [number, number] {
  return [(x - range.xMin) / (range.xMax - range.xMin), (range.yMax - y) / (range.yMax - range.yMin)];
}

/**
 * Codes of a side × side grid over `range`, row by row from the top: cell (row, col) holds the code at
 * its centre, u = (col + ½)/side, v = (row + ½)/side.
 * @returns side² × 2 row-major
 */
export function gridCodes(range: PlaneRange, side: number): Float32Array {
  if (!Number.isInteger(side) || side < 1 || side > MAX_GRID_SIDE) throw new Error(`The grid side must be a whole number from 1 to ${MAX_GRID_SIDE}`);
  const codes = new Float32Array(side * side * 2);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const [x, y] = planeToCode(range, (col + 0.5) / side, (row + 0.5) / side);
      const cell = row * side + col;
      codes[2 * cell] = x;
      codes[2 * cell + 1] = y;
    }
  }
  return codes;
}

/**
 * Tiles side² images (each `imageSide` × `imageSide`, values in [0, 1]) into one greyscale picture of
 * (side·imageSide)², row-major, in the grid's order.
 */
export function tileImages(images: Float32Array, side: number, imageSide: number): Float32Array {
  const pixels = imageSide * imageSide;
  if (images.length !== side * side * pixels) throw new Error(`Expected ${side * side} images of ${pixels} pixels`);
  const width = side * imageSide;
  const out = new Float32Array(width * width);
  for (let cell = 0; cell < side * side; cell++) {
    const top = Math.floor(cell / side) * imageSide;
    const left = (cell % side) * imageSide;
    for (let r = 0; r < imageSide; r++) {
      out.set(images.subarray(cell * pixels + r * imageSide, cell * pixels + (r + 1) * imageSide), (top + r) * width + left);
    }
  }
  return out;
}
