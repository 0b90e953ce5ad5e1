/**
 * Level of detail for thumbnails drawn as points: the screen is cut into square cells one thumbnail wide,
 * and each cell shows at most one thumbnail — of the point nearest the cell's centre (ties: the lower
 * index). Zooming in spreads the points over more cells, so more of them appear, until every point has a
 * cell of its own; zooming out never piles thumbnails up. Free of the DOM, so it is unit-tested in Node.
 *
 * The cells are anchored to the data, not to the screen edge (cell column ⌊x · scale / side⌋): panning moves
 * the cells with the points, so the same thumbnails stay while panning instead of flickering between
 * neighbours; only a zoom changes which points share a cell.
 */
import type { View } from './scatter-view';

/** The cell (column, row) a data point falls in at `view` with cells `side` screen pixels wide. */
export function thumbnailCell(view: View, side: number, x: number, y: number): { column: number; row: number } {
  return { column: Math.floor((x * view.scale) / side), row: Math.floor((-y * view.scale) / side) };
}

/** Buffers reused from frame to frame (a map redraws 60 times a second while panning). */
export interface LodScratch {
  best: Int32Array;
  bestD2: Float64Array;
}

/** Smallest cell side in pixels: keeps the cell count bounded (a 4 K screen has ~500,000 cells of 4 px). */
const MIN_SIDE = 4;

/**
 * Points to draw as thumbnails `side` pixels wide on a width × height screen: at most one per cell, only
 * points whose thumbnail reaches the screen, only points with `slots[i] ≥ 0` when `slots` is given (those
 * with a thumbnail). Returned in ascending index order, so two frames of the same view draw the same.
 * @param xy interleaved [x0, y0, x1, y1, …] data positions of n points
 */
export function chooseThumbnails(
  xy: ArrayLike<number>,
  n: number,
  view: View,
  width: number,
  height: number,
  side: number,
  slots: ArrayLike<number> | null = null,
  scratch: LodScratch = { best: new Int32Array(0), bestD2: new Float64Array(0) },
): Int32Array {
  if (!(side >= MIN_SIDE) || !(view.scale > 0) || !Number.isFinite(view.scale) || n <= 0) return new Int32Array(0);
  const half = side / 2;
  // Cells that a visible thumbnail's centre can fall in: centres up to half a thumbnail off screen still show.
  const columnMin = Math.floor((-half - view.offsetX) / side);
  const columnMax = Math.floor((width + half - view.offsetX) / side);
  const rowMin = Math.floor((-half - view.offsetY) / side);
  const rowMax = Math.floor((height + half - view.offsetY) / side);
  const columns = columnMax - columnMin + 1;
  const cells = columns * (rowMax - rowMin + 1);
  if (scratch.best.length < cells) {
    scratch.best = new Int32Array(cells);
    scratch.bestD2 = new Float64Array(cells);
  }
  const best = scratch.best;
  const bestD2 = scratch.bestD2;
  best.fill(-1, 0, cells);
  const perSide = view.scale / side;
  const left = -half;
  const right = width + half;
  const top = -half;
  const bottom = height + half;
  let chosen = 0;
  for (let i = 0; i < n; i++) {
    if (slots && !(slots[i] >= 0)) continue;
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    const sx = x * view.scale + view.offsetX;
    const sy = view.offsetY - y * view.scale;
    // Also false for NaN: points without a position are never drawn.
    if (!(sx > left && sx < right && sy > top && sy < bottom)) continue;
    const gx = x * perSide;
    const gy = -y * perSide;
    // Clamped: rounding at a screen edge must not put a point one cell outside the grid.
    const column = Math.min(columnMax, Math.max(columnMin, Math.floor(gx)));
    const row = Math.min(rowMax, Math.max(rowMin, Math.floor(gy)));
    const c = (row - rowMin) * columns + (column - columnMin);
    const dx = gx - column - 0.5;
    const dy = gy - row - 0.5;
    const d2 = dx * dx + dy * dy;
    // Ascending i: a strict < keeps the lower index on a tie.
    if (best[c] === -1) {
      chosen++;
      best[c] = i;
      bestD2[c] = d2;
    } else if (d2 < bestD2[c]) {
      best[c] = i;
      bestD2[c] = d2;
    }
  }
  const out = new Int32Array(chosen);
  let k = 0;
  for (let c = 0; c < cells; c++) if (best[c] !== -1) out[k++] = best[c];
  return out.sort();
}
