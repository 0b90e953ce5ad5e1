/**
 * Lasso selection: which points lie inside a polygon drawn on the map. The even–odd rule (a ray from the
 * point crosses the outline an odd number of times, as SVG's `evenodd` fill): a region a self-crossing lasso
 * goes round twice counts as outside. Edge tests are half-open (left and bottom edges in, right and top out),
 * so a point exactly on an edge shared by two polygons belongs to exactly one of them.
 */

/** A polygon as x, y pairs: [x0, y0, x1, y1, …]; closed implicitly (the last vertex joins the first). */
export type Polygon = ArrayLike<number>;

/** True when (x, y) is inside `polygon` by the even–odd rule. Fewer than 3 vertices enclose nothing. */
export function pointInPolygon(x: number, y: number, polygon: Polygon): boolean {
  const count = Math.floor(polygon.length / 2);
  if (count < 3) return false;
  let inside = false;
  for (let i = 0, j = count - 1; i < count; j = i++) {
    const xi = polygon[2 * i];
    const yi = polygon[2 * i + 1];
    const xj = polygon[2 * j];
    const yj = polygon[2 * j + 1];
    // Half-open in y: an edge counts for y in [min, max), so a ray through a vertex crosses once.
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The polygon's bounding box, or null when it has fewer than 3 vertices or a non-finite coordinate. */
export function polygonBounds(polygon: Polygon): { xMin: number; xMax: number; yMin: number; yMax: number } | null {
  const count = Math.floor(polygon.length / 2);
  if (count < 3) return null;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let i = 0; i < count; i++) {
    const x = polygon[2 * i];
    const y = polygon[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    xMin = Math.min(xMin, x);
    xMax = Math.max(xMax, x);
    yMin = Math.min(yMin, y);
    yMax = Math.max(yMax, y);
  }
  return { xMin, xMax, yMin, yMax };
}

/**
 * Indices (ascending) of the first `n` points of `xy` (n × 2 row-major) inside `polygon`. Points outside the
 * polygon's band of y are skipped before the exact test, so a small lasso over 70,000 points costs little.
 */
export function pointsInPolygon(xy: Float32Array, n: number, polygon: Polygon): Int32Array {
  const box = polygonBounds(polygon);
  if (!box) return new Int32Array(0);
  const inside: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    // Only the y test can skip exactly: an edge counts only for y in [its yMin, its yMax), a comparison with
    // no rounding, while the x of a crossing is computed and may round past the box.
    if (!(y >= box.yMin && y < box.yMax)) continue;
    if (pointInPolygon(x, y, polygon)) inside.push(i);
  }
  return Int32Array.from(inside);
}
