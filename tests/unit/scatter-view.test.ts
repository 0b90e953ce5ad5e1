import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PointGrid,
  fitView,
  packColour,
  panBy,
  rasterise,
  toDataX,
  toDataY,
  toScreenX,
  toScreenY,
  zoomAt,
  ZOOM_LIMITS,
} from '../../src/ui/map/scatter-view';

function bruteNearest(xy: ArrayLike<number>, n: number, x: number, y: number, radius: number): number {
  let best = -1;
  let bestD2 = radius * radius;
  for (let i = 0; i < n; i++) {
    const d2 = (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
    if (d2 < bestD2) {
      best = i;
      bestD2 = d2;
    }
  }
  return best;
}

describe('map view transform', () => {
  it('fits all points inside the padded screen, centred, with equal x/y scale and y up', () => {
    const xy = [0, 0, 10, 0, 10, 5, 0, 5];
    const view = fitView(xy, 4, 220, 120, 10);
    // x span 10 → 200 px, y span 5 → 100 px: both fit exactly at scale 20.
    expect(view.scale).toBe(20);
    expect(toScreenX(view, 0)).toBe(10);
    expect(toScreenX(view, 10)).toBe(210);
    expect(toScreenY(view, 0)).toBe(110);
    expect(toScreenY(view, 5)).toBe(10);
  });

  it('letterboxes the shorter direction instead of stretching it', () => {
    const view = fitView([0, 0, 10, 1], 2, 200, 200, 0);
    expect(view.scale).toBe(20);
    expect(toScreenY(view, 0.5)).toBe(100);
  });

  it('ignores non-finite points and survives a single point or none', () => {
    const view = fitView([NaN, 1, 3, 4, Infinity, 0], 3, 100, 100, 10);
    expect(toScreenX(view, 3)).toBe(50);
    expect(toScreenY(view, 4)).toBe(50);
    expect(fitView([], 0, 100, 80, 5)).toEqual({ scale: 1, offsetX: 50, offsetY: 40 });
  });

  it('maps screen back to data exactly, and zooming keeps the point under the cursor still', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        (sx, sy, factor) => {
          const fitted = fitView([-5, -5, 5, 5], 2, 200, 200, 0);
          const view = panBy(fitted, 13, -7);
          const x = toDataX(view, sx);
          const y = toDataY(view, sy);
          expect(toScreenX(view, x)).toBeCloseTo(sx, 9);
          expect(toScreenY(view, y)).toBeCloseTo(sy, 9);
          const zoomed = zoomAt(view, factor, sx, sy, fitted);
          expect(toScreenX(zoomed, x)).toBeCloseTo(sx, 6);
          expect(toScreenY(zoomed, y)).toBeCloseTo(sy, 6);
        },
      ),
    );
  });

  it('keeps zoom within its limits', () => {
    const fitted = fitView([0, 0, 1, 1], 2, 100, 100, 0);
    expect(zoomAt(fitted, 1e9, 50, 50, fitted).scale).toBeCloseTo(fitted.scale * ZOOM_LIMITS.max);
    expect(zoomAt(fitted, 1e-9, 50, 50, fitted).scale).toBeCloseTo(fitted.scale * ZOOM_LIMITS.min);
  });
});

describe('point grid', () => {
  it('finds the same nearest point as a brute-force search', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true })), { minLength: 1, maxLength: 300 }),
        fc.array(fc.tuple(fc.double({ min: -60, max: 60, noNaN: true }), fc.double({ min: -60, max: 60, noNaN: true }), fc.double({ min: 0.01, max: 30, noNaN: true })), { minLength: 1, maxLength: 20 }),
        (points, queries) => {
          const xy = Float32Array.from(points.flat());
          const grid = new PointGrid(xy, points.length);
          for (const [x, y, radius] of queries) {
            const found = grid.nearest(x, y, radius);
            const expected = bruteNearest(xy, points.length, x, y, radius);
            if (expected === -1) expect(found).toBe(-1);
            else {
              // Equal distances may pick another point at the same distance.
              const d = (i: number) => (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
              expect(found).not.toBe(-1);
              expect(d(found)).toBe(d(expected));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('handles points on a line, duplicates and NaN without a huge grid', () => {
    const n = 10_000;
    const xy = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) xy[2 * i] = i;
    xy[2 * 17] = NaN;
    const grid = new PointGrid(xy, n);
    expect(grid.nearest(4321.2, 0.1, 1)).toBe(4321);
    expect(grid.nearest(17, 0, 0.5)).toBe(-1);
    expect(new PointGrid(new Float32Array([3, 3, 3, 3]), 2).nearest(3, 3, 1)).toBe(0);
  });
});

describe('rasteriser', () => {
  const red = packColour('#ff0000');
  const blue = packColour('#0000ff');

  it('packs colours as little-endian RGBA', () => {
    const bytes = new Uint8Array(new Uint32Array([packColour('#102030', 40)]).buffer);
    expect([...bytes]).toEqual([0x10, 0x20, 0x30, 40]);
  });

  it('draws discs in their class colour, later points on top, clipped at the edges', () => {
    const width = 8;
    const height = 6;
    const pixels = new Uint32Array(width * height);
    const view = { scale: 1, offsetX: 0, offsetY: height - 1 }; // data (x, y) → pixel (x, 5 − y)
    const xy = [2, 3, 3, 3, 0, 0];
    rasterise(pixels, width, height, view, xy, 3, [0, 1, 1], new Uint32Array([red, blue]), 1);
    const at = (x: number, y: number) => pixels[y * width + x];
    expect(at(1, 2)).toBe(red);
    expect(at(2, 1)).toBe(red);
    expect(at(2, 3)).toBe(red);
    expect(at(2, 2)).toBe(blue); // the second point's disc covers the first one's centre and right pixel
    expect(at(3, 2)).toBe(blue);
    expect(at(4, 2)).toBe(blue);
    expect(at(1, 1)).toBe(0); // a radius-1 disc has no corners
    expect(at(0, 5)).toBe(blue); // clipped at the bottom-left corner
    expect(at(1, 5)).toBe(blue);
    expect(at(0, 4)).toBe(blue);
    expect(pixels.filter((p) => p !== 0).length).toBe(5 + 5 - 2 + 3);
  });

  it('skips points off screen and non-finite ones', () => {
    const pixels = new Uint32Array(16);
    rasterise(pixels, 4, 4, { scale: 1, offsetX: 0, offsetY: 3 }, [100, 100, NaN, 1, -50, 2], 3, [0, 0, 0], new Uint32Array([red]), 2);
    expect(pixels.every((p) => p === 0)).toBe(true);
  });
});
