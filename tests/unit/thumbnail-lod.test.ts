import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import { chooseThumbnails, thumbnailCell } from '../../src/ui/map/thumbnail-lod';
import { panBy, type View } from '../../src/ui/map/scatter-view';

const identity: View = { scale: 1, offsetX: 0, offsetY: 0 };

/** n random points in [0, w) × (−h, 0], i.e. on a w × h screen at the identity view. */
function randomPoints(n: number, w: number, h: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? rng() * w : -rng() * h));
}

describe('thumbnail level of detail', () => {
  it('keeps in each cell the point nearest its centre, ties to the lower index', () => {
    // Cells of 10 px at the identity view; screen y = −data y.
    // Cell (0, 0) has points 0 (at 1, 1) and 1 (at 5, 5: the centre) → 1 wins.
    // Cell (2, 0) has points 2 and 3 at the same distance from its centre → 2 wins.
    // Cell (0, 2) has only point 4.
    const xy = Float32Array.of(1, -1, 5, -5, 22, -5, 28, -5, 5, -25);
    expect(Array.from(chooseThumbnails(xy, 5, identity, 100, 100, 10))).toEqual([1, 2, 4]);
    expect(thumbnailCell(identity, 10, 5, -25)).toEqual({ column: 0, row: 2 });
  });

  it('is deterministic and never puts two thumbnails in one cell', () => {
    const xy = randomPoints(5000, 640, 480, 3);
    const view: View = { scale: 1.7, offsetX: -120, offsetY: -40 };
    const first = chooseThumbnails(xy, 5000, view, 640, 480, 28);
    const again = chooseThumbnails(xy, 5000, view, 640, 480, 28, null, { best: new Int32Array(3), bestD2: new Float64Array(3) });
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(first.length).toBeGreaterThan(100);
    const cells = new Set(Array.from(first, (i) => JSON.stringify(thumbnailCell(view, 28, xy[2 * i], xy[2 * i + 1]))));
    expect(cells.size).toBe(first.length);
    // Ascending order, each point on screen (its thumbnail at least partly).
    for (let k = 1; k < first.length; k++) expect(first[k]).toBeGreaterThan(first[k - 1]);
    for (const i of first) {
      const sx = xy[2 * i] * view.scale + view.offsetX;
      const sy = view.offsetY - xy[2 * i + 1] * view.scale;
      expect(sx).toBeGreaterThan(-14);
      expect(sx).toBeLessThan(640 + 14);
      expect(sy).toBeGreaterThan(-14);
      expect(sy).toBeLessThan(480 + 14);
    }
    // Every occupied cell on screen shows one: a point not drawn shares its cell with one that is.
    const drawnCells = new Set(cells);
    for (let i = 0; i < 5000; i++) {
      const sx = xy[2 * i] * view.scale + view.offsetX;
      const sy = view.offsetY - xy[2 * i + 1] * view.scale;
      if (sx >= 0 && sx < 640 && sy >= 0 && sy < 480) expect(drawnCells.has(JSON.stringify(thumbnailCell(view, 28, xy[2 * i], xy[2 * i + 1])))).toBe(true);
    }
  });

  it('shows every point once they are spread more than a thumbnail apart, and more as one zooms in', () => {
    // A 12 × 8 lattice 3 data units apart: at scale 10 (30 px apart, cells of 28 px) every point has its own cell.
    const xy = Float32Array.from({ length: 2 * 96 }, (_, k) => (k % 2 === 0 ? 3 * (Math.floor(k / 2) % 12) + 0.4 : -3 * Math.floor(Math.floor(k / 2) / 12) - 0.4));
    const spread = chooseThumbnails(xy, 96, { scale: 10, offsetX: 20, offsetY: 20 }, 400, 300, 28);
    expect(Array.from(spread)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    const counts = [1, 2, 4, 10].map((scale) => chooseThumbnails(xy, 96, { scale, offsetX: 20, offsetY: 20 }, 400, 300, 28).length);
    for (let k = 1; k < counts.length; k++) expect(counts[k]).toBeGreaterThan(counts[k - 1]);
    expect(counts[0]).toBeLessThan(10);
  });

  it('keeps the same thumbnails while panning, and skips points without a thumbnail or a position', () => {
    const xy = randomPoints(2000, 400, 400, 9);
    const view: View = { scale: 1, offsetX: 0, offsetY: 0 };
    // A wide screen holds the whole cloud before and after a pan of 37.5 px: the choice must not change.
    const before = chooseThumbnails(xy, 2000, view, 1000, 1000, 20);
    const after = chooseThumbnails(xy, 2000, panBy(view, 37.5, 11.25), 1000, 1000, 20);
    expect(Array.from(after)).toEqual(Array.from(before));
    const slots = Int32Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? i / 2 : -1));
    const even = chooseThumbnails(xy, 2000, view, 1000, 1000, 20, slots);
    expect(even.length).toBeGreaterThan(0);
    expect(Array.from(even).every((i) => i % 2 === 0)).toBe(true);
    const holes = Float32Array.of(Number.NaN, 5, 10, -10);
    expect(Array.from(chooseThumbnails(holes, 2, view, 100, 100, 10))).toEqual([1]);
    expect(chooseThumbnails(xy, 2000, { scale: 0, offsetX: 0, offsetY: 0 }, 100, 100, 10).length).toBe(0);
  });
});
