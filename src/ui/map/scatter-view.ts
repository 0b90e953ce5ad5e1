/**
 * The t-SNE map's geometry, free of the DOM so it runs (and is tested) in Node: the data ↔ screen
 * transform with equal x/y scale (a t-SNE map's distances mean the same in both directions), zoom about a
 * point, a grid index that finds the point under the mouse among 70,000 in microseconds, and a rasteriser
 * that writes points straight into an RGBA pixel buffer (one putImageData instead of 70,000 canvas calls).
 */

/** Screen position = data position × scale + offset; y is flipped so larger y is higher on screen. */
export interface View {
  scale: number;
  offsetX: number;
  offsetY: number;
}

/**
 * The canvas the map is drawn on. `locatePoint` gives a point's position in client (CSS) coordinates, or
 * null when it is off screen: the browser tests and the bench aim the mouse with it.
 */
export interface MapCanvasElement extends HTMLCanvasElement {
  locatePoint?(index: number): { x: number; y: number } | null;
  /** the points the last frame drew as thumbnails, in drawing order (the last is on top) */
  drawnThumbnails?(): number[];
  /** frames drawn since the map appeared: the bench counts them while it pans and zooms */
  framesDrawn?(): number;
}

/** Smallest and largest zoom relative to the fitted view: enough to separate single points, never lost. */
export const ZOOM_LIMITS = { min: 0.2, max: 400 } as const;

/** Bounds of the first n points of an interleaved [x0, y0, x1, y1, …] embedding; null when none is finite. */
export function bounds(xy: ArrayLike<number>, n: number): { minX: number; maxX: number; minY: number; maxY: number } | null {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return minX <= maxX ? { minX, maxX, minY, maxY } : null;
}

/** The view that shows all points centred in a width × height screen with `padding` pixels spare on each side. */
export function fitView(xy: ArrayLike<number>, n: number, width: number, height: number, padding: number): View {
  const box = bounds(xy, n);
  if (!box) return { scale: 1, offsetX: width / 2, offsetY: height / 2 };
  const spanX = Math.max(box.maxX - box.minX, 1e-9);
  const spanY = Math.max(box.maxY - box.minY, 1e-9);
  const scale = Math.max(1e-9, Math.min((width - 2 * padding) / spanX, (height - 2 * padding) / spanY));
  const centreX = (box.minX + box.maxX) / 2;
  const centreY = (box.minY + box.maxY) / 2;
  return { scale, offsetX: width / 2 - centreX * scale, offsetY: height / 2 + centreY * scale };
}

export function toScreenX(view: View, x: number): number {
  return x * view.scale + view.offsetX;
}

export function toScreenY(view: View, y: number): number {
  return view.offsetY - y * view.scale;
}

export function toDataX(view: View, sx: number): number {
  return (sx - view.offsetX) / view.scale;
}

export function toDataY(view: View, sy: number): number {
  return (view.offsetY - sy) / view.scale;
}

/**
 * Zooms by `factor` keeping the data point under screen position (sx, sy) where it is, within
 * ZOOM_LIMITS of `fitted` (the view that shows everything).
 */
export function zoomAt(view: View, factor: number, sx: number, sy: number, fitted: View): View {
  const scale = Math.min(fitted.scale * ZOOM_LIMITS.max, Math.max(fitted.scale * ZOOM_LIMITS.min, view.scale * factor));
  const x = toDataX(view, sx);
  const y = toDataY(view, sy);
  return { scale, offsetX: sx - x * scale, offsetY: sy + y * scale };
}

/** Moves the picture by (dx, dy) screen pixels. */
export function panBy(view: View, dx: number, dy: number): View {
  return { scale: view.scale, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/**
 * Points bucketed into square cells of the data plane (a counting sort: O(n) to build, no per-point
 * objects), so the nearest point to the mouse is found by looking at a few cells only.
 */
export class PointGrid {
  private readonly minX: number;
  private readonly minY: number;
  private readonly cell: number;
  private readonly columns: number;
  private readonly rows: number;
  /** points of cell c are order[start[c] … start[c + 1]) */
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  constructor(
    private readonly xy: ArrayLike<number>,
    private readonly n: number,
  ) {
    const box = bounds(xy, n) ?? { minX: 0, maxX: 1, minY: 0, maxY: 1 };
    // About two points per cell on average keeps both the cell count and the cell scans small.
    // A floor of 1/1024 of the longer side bounds the cell count when the points lie nearly on a line.
    const spanX = Math.max(box.maxX - box.minX, 1e-9);
    const spanY = Math.max(box.maxY - box.minY, 1e-9);
    this.cell = Math.max(Math.sqrt((2 * spanX * spanY) / Math.max(1, n)), Math.max(spanX, spanY) / 1024);
    this.minX = box.minX;
    this.minY = box.minY;
    this.columns = Math.max(1, Math.ceil((box.maxX - box.minX) / this.cell) + 1);
    this.rows = Math.max(1, Math.ceil((box.maxY - box.minY) / this.cell) + 1);
    const cells = this.columns * this.rows;
    const counts = new Int32Array(cells + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(xy[2 * i], xy[2 * i + 1]);
      cellOf[i] = c;
      if (c >= 0) counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.start = counts.slice();
    this.order = new Int32Array(counts[cells]);
    const fill = counts;
    for (let i = 0; i < n; i++) if (cellOf[i] >= 0) this.order[fill[cellOf[i]]++] = i;
  }

  private cellIndex(x: number, y: number): number {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return -1;
    const column = Math.min(this.columns - 1, Math.max(0, Math.floor((x - this.minX) / this.cell)));
    const row = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.minY) / this.cell)));
    return row * this.columns + column;
  }

  /** Index of the point nearest to (x, y) within `radius` (data units), or -1. Ties go to the lower index. */
  nearest(x: number, y: number, radius: number): number {
    const c0 = Math.floor((x - this.minX - radius) / this.cell);
    const c1 = Math.floor((x - this.minX + radius) / this.cell);
    const r0 = Math.floor((y - this.minY - radius) / this.cell);
    const r1 = Math.floor((y - this.minY + radius) / this.cell);
    let best = -1;
    let bestD2 = radius * radius;
    for (let row = Math.max(0, r0); row <= Math.min(this.rows - 1, r1); row++) {
      for (let column = Math.max(0, c0); column <= Math.min(this.columns - 1, c1); column++) {
        const c = row * this.columns + column;
        for (let k = this.start[c]; k < this.start[c + 1]; k++) {
          const i = this.order[k];
          const dx = this.xy[2 * i] - x;
          const dy = this.xy[2 * i + 1] - y;
          const d2 = dx * dx + dy * dy;
          if (d2 < bestD2 || (d2 === bestD2 && best !== -1 && i < best)) {
            best = i;
            bestD2 = d2;
          }
        }
      }
    }
    return best;
  }

  get size(): number {
    return this.n;
  }
}

/** '#rrggbb' → a pixel for a little-endian Uint32 view of RGBA bytes (what ImageData holds on every browser in use). */
export function packColour(hex: string, alpha = 255): number {
  const value = Number.parseInt(hex.slice(1), 16);
  const r = (value >> 16) & 255;
  const g = (value >> 8) & 255;
  const b = value & 255;
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** Marker radius in screen pixels: smaller when there are many points, so clusters stay readable. */
export function markerRadius(n: number, pixelRatio: number): number {
  const base = n > 20_000 ? 1 : n > 5_000 ? 1.5 : 2.5;
  return base * pixelRatio;
}

/**
 * Draws every point as a filled disc of `radius` pixels into `pixels` (width × height, row-major, one
 * Uint32 per pixel), coloured `palette[classes[i] % palette.length]`. Later points paint over earlier
 * ones, as in any scatter plot; points off screen are skipped. The buffer is not cleared first.
 */
export function rasterise(
  pixels: Uint32Array,
  width: number,
  height: number,
  view: View,
  xy: ArrayLike<number>,
  n: number,
  classes: ArrayLike<number>,
  palette: Uint32Array,
  radius: number,
): void {
  // Disc footprint as offsets from the centre pixel, worked out once per call.
  const reach = Math.ceil(radius - 0.5);
  const dxs: number[] = [];
  const dys: number[] = [];
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      if (dx * dx + dy * dy <= radius * radius + 0.25) {
        dxs.push(dx);
        dys.push(dy);
      }
    }
  }
  const footprint = dxs.length;
  for (let i = 0; i < n; i++) {
    const sx = Math.round(toScreenX(view, xy[2 * i]));
    const sy = Math.round(toScreenY(view, xy[2 * i + 1]));
    if (!(sx >= -reach && sx < width + reach && sy >= -reach && sy < height + reach)) continue;
    const colour = palette[classes[i] % palette.length];
    const inside = sx >= reach && sx < width - reach && sy >= reach && sy < height - reach;
    for (let f = 0; f < footprint; f++) {
      const px = sx + dxs[f];
      const py = sy + dys[f];
      if (inside || (px >= 0 && px < width && py >= 0 && py < height)) pixels[py * width + px] = colour;
    }
  }
}
