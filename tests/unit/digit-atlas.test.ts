import { describe, expect, it } from 'vitest';
import { atlasBytes, atlasCell, atlasLayout, borderMean, fillAtlas, freeAtlas, tintDigit, type ThumbnailAtlas } from '../../src/ui/map/digit-atlas';

/** RGBA bytes of pixel k of a Uint32 pixel buffer (little-endian, as ImageData on every browser in use). */
const rgba = (out: Uint32Array, k: number) => Array.from(new Uint8Array(out.buffer, 4 * k, 4));

describe('digit atlas', () => {
  it('tints ink-high digits with alpha = ink (MNIST: background 0)', () => {
    // 3 × 3, border all 0, centre 200: the border mean is 0, so alpha = pixel.
    const image = Uint8Array.of(0, 0, 0, 0, 200, 0, 0, 0, 0);
    expect(borderMean(image, 0, 3)).toBe(0);
    const out = new Uint32Array(9);
    tintDigit(image, 0, 3, 0x1f77b4, out, 3, 0, 0);
    expect(rgba(out, 4)).toEqual([0x1f, 0x77, 0xb4, 200]);
    expect(rgba(out, 0)).toEqual([0, 0, 0, 0]);
  });

  it('paints the digit, not the background, of an inverted image, and places it in a wider buffer', () => {
    // 2 × 2 at offset 1 of its array: dark ink (0) on a light ground (255 ×3): border mean 191.25,
    // contrast max(191.25, 63.75) = 191.25, so the ink gets alpha 255 and the ground |255 − 191.25| / 191.25 · 255 = 85.
    const image = Uint8Array.of(99, 255, 255, 255, 0);
    expect(borderMean(image, 1, 2)).toBe(191.25);
    const out = new Uint32Array(4 * 3);
    tintDigit(image, 1, 2, 0xd62728, out, 4, 1, 1);
    expect(rgba(out, 1 * 4 + 1)).toEqual([0xd6, 0x27, 0x28, 85]);
    expect(rgba(out, 2 * 4 + 2)).toEqual([0xd6, 0x27, 0x28, 255]);
    // Outside the cell nothing is written.
    expect(rgba(out, 0)).toEqual([0, 0, 0, 0]);
    expect(rgba(out, 3)).toEqual([0, 0, 0, 0]);
    // A flat image has no digit: fully transparent, never an opaque square.
    const flat = new Uint32Array(4);
    tintDigit(Uint8Array.of(40, 40, 40, 40), 0, 2, 0x000000, flat, 2, 0, 0);
    expect(Array.from(flat)).toEqual([0, 0, 0, 0]);
  });

  it('lays out pages within 4,096 px and states their memory', () => {
    const small = atlasLayout(10);
    expect(small).toEqual({ columns: 4, perPage: 4 * 146, pages: [{ width: 112, height: 84 }] });
    expect(atlasCell(small, 9)).toEqual({ page: 0, x: 28, y: 56 });
    const all = atlasLayout(70_000);
    expect(all.pages).toHaveLength(4);
    for (const page of all.pages) {
      expect(page.width).toBeLessThanOrEqual(4096);
      expect(page.height).toBeLessThanOrEqual(4096);
    }
    const cells = all.pages.reduce((sum, page) => sum + (page.width / 28) * (page.height / 28), 0);
    expect(cells).toBeGreaterThanOrEqual(70_000);
    expect(cells).toBeLessThan(70_000 + all.columns);
    expect(atlasCell(all, 21_316)).toEqual({ page: 1, x: 0, y: 0 });
    // 70,000 digits × 28 × 28 × 4 bytes, plus the unused end of the last row: about 209 MiB.
    expect(atlasBytes(70_000) / 2 ** 20).toBeCloseTo(209.5, 0);
  });

  it('frees its pages once, and a freed atlas is never filled', async () => {
    // Stand-ins for canvases: freeing only sets their size to 0 × 0 (Node has no DOM).
    const pages = [{ width: 112, height: 84 }, { width: 112, height: 28 }];
    const atlas: ThumbnailAtlas = { pages: pages as unknown as HTMLCanvasElement[], columns: 4, perPage: 12, count: 14, bytes: atlasBytes(14), freed: false };
    freeAtlas(atlas);
    expect(atlas.freed).toBe(true);
    expect(pages).toEqual([{ width: 0, height: 0 }, { width: 0, height: 0 }]);
    pages[0].width = 5; // a second free must not touch the pages again
    freeAtlas(atlas);
    expect(pages[0].width).toBe(5);
    let chunks = 0;
    await expect(fillAtlas(atlas, new Uint8Array(14 * 784), () => 0, () => chunks++, new AbortController().signal)).resolves.toBe(false);
    expect(chunks).toBe(0);
  });
});
