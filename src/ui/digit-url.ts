/**
 * Digit thumbnails as image URLs for plotly's layout images: all digits are drawn into one atlas canvas,
 * then each cell is cut out once. Ink is opaque black on a transparent background so thumbnails sit on
 * the map without hiding their neighbours' points.
 */
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** @param images count × 784, pixels in [0, 1]; @returns one PNG data URL per image */
export function digitUrls(images: Float32Array, count: number): string[] {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  const atlas = document.createElement('canvas');
  atlas.width = columns * SIDE;
  atlas.height = Math.ceil(count / columns) * SIDE;
  const context = atlas.getContext('2d');
  const cell = document.createElement('canvas');
  cell.width = SIDE;
  cell.height = SIDE;
  const cellContext = cell.getContext('2d');
  if (!context || !cellContext) return [];
  const image = context.createImageData(atlas.width, atlas.height);
  for (let i = 0; i < count; i++) {
    const x0 = (i % columns) * SIDE;
    const y0 = Math.floor(i / columns) * SIDE;
    for (let p = 0; p < PIXELS; p++) {
      const at = 4 * ((y0 + Math.floor(p / SIDE)) * atlas.width + x0 + (p % SIDE));
      image.data[at + 3] = Math.round(Math.min(1, Math.max(0, images[i * PIXELS + p])) * 255);
    }
  }
  context.putImageData(image, 0, 0);
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    cellContext.clearRect(0, 0, SIDE, SIDE);
    cellContext.drawImage(atlas, (i % columns) * SIDE, Math.floor(i / columns) * SIDE, SIDE, SIDE, 0, 0, SIDE, SIDE);
    urls.push(cell.toDataURL('image/png'));
  }
  return urls;
}
