/**
 * Digit thumbnails for the map: every digit drawn once, already tinted, into atlas canvases from which the
 * map copies cells with `drawImage` (one call per visible thumbnail, no per-frame pixel work).
 *
 * How a digit reads on any background: each pixel gets the point's colour (its class colour) and an alpha
 * that says how far the pixel is from the image's own background, estimated as the mean of its border
 * pixels: alpha = |v − b| / max(b, 255 − b). MNIST (ink high on b ≈ 0) gives alpha = v / 255, exactly the
 * ink; a person's own data with dark digits on a light ground (b ≈ 255) gives alpha = (255 − v) / 255, so
 * the digit — not its background — is what is painted; a mid-grey ground still shows the strokes in both
 * directions. The background itself becomes transparent, never an opaque square hiding other points.
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../data/mnist-shape';

/** Side of one atlas cell in pixels. */
export const ATLAS_CELL = IMAGE_SIDE;

/**
 * Largest atlas page side: 146 cells of 28 px = 4,088 px, inside the 4,096 px texture limit that every
 * GPU (and SwiftShader) supports, should the browser keep the canvas on the GPU. 21,316 digits per page.
 */
const PAGE_CELLS = Math.floor(4096 / ATLAS_CELL);

/** Tinted digits in one or more canvases ("pages"); digit t sits on page ⌊t / perPage⌋. */
export interface ThumbnailAtlas {
  pages: HTMLCanvasElement[];
  /** cells per page row */
  columns: number;
  /** cells per page */
  perPage: number;
  /** digits held */
  count: number;
  /** bytes of pixel memory the pages hold (4 per pixel) */
  bytes: number;
  /** true once freeAtlas let the pages go: nothing may draw from it */
  freed: boolean;
}

/** Where digit t lies: its page and the cell's top-left pixel. */
export function atlasCell(atlas: Pick<ThumbnailAtlas, 'columns' | 'perPage'>, t: number): { page: number; x: number; y: number } {
  const page = Math.floor(t / atlas.perPage);
  const r = t - page * atlas.perPage;
  return { page, x: (r % atlas.columns) * ATLAS_CELL, y: Math.floor(r / atlas.columns) * ATLAS_CELL };
}

/** Page sizes (pixels) for `count` digits: square-ish for few digits, full 4,088 px pages for many. */
export function atlasLayout(count: number): { columns: number; perPage: number; pages: { width: number; height: number }[] } {
  const columns = Math.max(1, Math.min(PAGE_CELLS, Math.ceil(Math.sqrt(count))));
  const perPage = columns * PAGE_CELLS;
  const pages: { width: number; height: number }[] = [];
  for (let first = 0; first < Math.max(1, count); first += perPage) {
    const rows = Math.max(1, Math.ceil(Math.min(perPage, count - first) / columns));
    pages.push({ width: columns * ATLAS_CELL, height: rows * ATLAS_CELL });
  }
  return { columns, perPage, pages };
}

/** Pixel memory of an atlas of `count` digits, in bytes (what `memory.thumbnailAtlasMiB` reports). */
export function atlasBytes(count: number): number {
  return atlasLayout(count).pages.reduce((sum, page) => sum + 4 * page.width * page.height, 0);
}

/** Mean of the border pixels of the side × side image at `offset`: the image's background level. */
export function borderMean(pixels: ArrayLike<number>, offset: number, side: number): number {
  if (side <= 1) return side === 1 ? pixels[offset] : 0;
  let sum = 0;
  for (let k = 0; k < side; k++) {
    sum += pixels[offset + k] + pixels[offset + (side - 1) * side + k];
    if (k > 0 && k < side - 1) sum += pixels[offset + k * side] + pixels[offset + k * side + side - 1];
  }
  return sum / (4 * side - 4);
}

/**
 * Writes the side × side byte image at `offset` into `out` (RGBA pixels as little-endian Uint32, as
 * ImageData holds them) at column x0, row y0 of a buffer `outWidth` pixels wide: colour `rgb` (0xRRGGBB),
 * alpha from the distance to the image's border mean (see the module comment).
 */
export function tintDigit(pixels: ArrayLike<number>, offset: number, side: number, rgb: number, out: Uint32Array, outWidth: number, x0: number, y0: number): void {
  const background = borderMean(pixels, offset, side);
  const contrast = Math.max(background, 255 - background);
  const gain = contrast >= 1 ? 255 / contrast : 255;
  const bgr = ((rgb & 0xff) << 16) | (rgb & 0xff00) | ((rgb >> 16) & 0xff);
  for (let row = 0; row < side; row++) {
    const at = (y0 + row) * outWidth + x0;
    const from = offset + row * side;
    for (let column = 0; column < side; column++) {
      const alpha = Math.min(255, Math.round(Math.abs(pixels[from + column] - background) * gain));
      out[at + column] = alpha === 0 ? 0 : ((alpha << 24) | bgr) >>> 0;
    }
  }
}

/** New blank atlas pages for `count` digits; null when the browser gives no 2-D context. */
export function createAtlas(count: number): ThumbnailAtlas | null {
  const layout = atlasLayout(count);
  const pages: HTMLCanvasElement[] = [];
  for (const size of layout.pages) {
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    if (!canvas.getContext('2d')) return null;
    pages.push(canvas);
  }
  return { pages, columns: layout.columns, perPage: layout.perPage, count, bytes: atlasBytes(count), freed: false };
}

/** Lets the pages' pixel memory go (a 0 × 0 canvas holds none). Freeing twice does nothing. */
export function freeAtlas(atlas: ThumbnailAtlas): void {
  if (atlas.freed) return;
  atlas.freed = true;
  for (const page of atlas.pages) {
    page.width = 0;
    page.height = 0;
  }
}

/** Atlas rows written per chunk: ~2,300 digits, a few milliseconds, so the page stays responsive. */
const CHUNK_ROWS = 16;

/**
 * Fills the atlas from bytes (count × 784), chunk by chunk between which the page can paint and answer
 * input; digit t is tinted `colourOf(t)` (0xRRGGBB). `onChunk` gets the share done after each chunk.
 * Resolves true when done, false when `signal` was aborted (or the atlas freed) first.
 */
export async function fillAtlas(atlas: ThumbnailAtlas, pixels: Uint8Array, colourOf: (t: number) => number, onChunk: (fraction: number) => void, signal: AbortSignal): Promise<boolean> {
  const chunks: { page: number; row: number; rows: number }[] = [];
  atlas.pages.forEach((page, p) => {
    const rows = page.height / ATLAS_CELL;
    for (let row = 0; row < rows; row += CHUNK_ROWS) chunks.push({ page: p, row, rows: Math.min(CHUNK_ROWS, rows - row) });
  });
  let image: ImageData | null = null;
  for (let k = 0; k < chunks.length; k++) {
    if (signal.aborted || atlas.freed) return false;
    const { page, row, rows } = chunks[k];
    const canvas = atlas.pages[page];
    const context = canvas.getContext('2d');
    if (!context) return false;
    if (!image || image.width !== canvas.width || image.height !== rows * ATLAS_CELL) image = context.createImageData(canvas.width, rows * ATLAS_CELL);
    const out = new Uint32Array(image.data.buffer);
    for (let r = 0; r < rows; r++) {
      for (let column = 0; column < atlas.columns; column++) {
        const t = page * atlas.perPage + (row + r) * atlas.columns + column;
        if (t < atlas.count) tintDigit(pixels, t * IMAGE_PIXELS, IMAGE_SIDE, colourOf(t), out, canvas.width, column * ATLAS_CELL, r * ATLAS_CELL);
        else for (let y = 0; y < ATLAS_CELL; y++) out.fill(0, (r * ATLAS_CELL + y) * canvas.width + column * ATLAS_CELL, (r * ATLAS_CELL + y) * canvas.width + (column + 1) * ATLAS_CELL);
      }
    }
    context.putImageData(image, 0, row * ATLAS_CELL);
    onChunk((k + 1) / chunks.length);
    // A macrotask between chunks: rendering and input run in between.
    if (k + 1 < chunks.length) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return !signal.aborted && !atlas.freed;
}
