import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointInPolygon, pointsInPolygon, polygonBounds } from '../../src/analysis/polygon';

const square = [0, 0, 1, 0, 1, 1, 0, 1];

describe('lasso selection', () => {
  it('tells inside from outside for a square, a concave L and a self-crossing bow tie', () => {
    expect(pointInPolygon(0.5, 0.5, square)).toBe(true);
    expect(pointInPolygon(1.5, 0.5, square)).toBe(false);
    expect(pointInPolygon(-0.1, 0.5, square)).toBe(false);
    const ell = [0, 0, 2, 0, 2, 1, 1, 1, 1, 2, 0, 2];
    expect(pointInPolygon(0.5, 1.5, ell)).toBe(true);
    expect(pointInPolygon(1.5, 1.5, ell)).toBe(false); // the notch
    expect(pointInPolygon(1.5, 0.5, ell)).toBe(true);
    const bowTie = [0, 0, 2, 2, 2, 0, 0, 2];
    expect(pointInPolygon(0.2, 1, bowTie)).toBe(true);
    expect(pointInPolygon(1.8, 1, bowTie)).toBe(true);
    expect(pointInPolygon(1, 0.2, bowTie)).toBe(false);
  });

  it('puts a point on an edge shared by two polygons in exactly one of them, vertices included', () => {
    const left = [0, 0, 1, 0, 1, 1, 0, 1];
    const right = [1, 0, 2, 0, 2, 1, 1, 1];
    for (const [x, y] of [[1, 0.5], [1, 0], [1, 1], [1, 0.25]]) {
      expect(Number(pointInPolygon(x, y, left)) + Number(pointInPolygon(x, y, right))).toBeLessThanOrEqual(1);
    }
    expect(Number(pointInPolygon(1, 0.5, left)) + Number(pointInPolygon(1, 0.5, right))).toBe(1);
  });

  it('encloses nothing with fewer than 3 vertices or a non-finite one', () => {
    expect(pointInPolygon(0, 0, [])).toBe(false);
    expect(pointInPolygon(0.5, 0, [0, 0, 1, 0])).toBe(false);
    expect(pointsInPolygon(Float32Array.of(0.5, 0.5), 1, [0, 0, 1, 0])).toEqual(new Int32Array(0));
    expect(polygonBounds([0, 0, Number.NaN, 1, 1, 1])).toBeNull();
    expect(polygonBounds(square)).toEqual({ xMin: 0, xMax: 1, yMin: 0, yMax: 1 });
  });

  it('selects exactly the points inside, in index order, only among the first n', () => {
    const xy = Float32Array.of(0.5, 0.5, 2, 2, 0.1, 0.9, -1, 0.5, 0.9, 0.1, 0.5, 0.5);
    expect(Array.from(pointsInPolygon(xy, 5, square))).toEqual([0, 2, 4]);
    expect(Array.from(pointsInPolygon(xy, 6, square))).toEqual([0, 2, 4, 5]);
  });

  it('agrees with a brute-force test on random polygons and points (the band test only skips)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 6, maxLength: 30 }),
        fc.array(fc.double({ min: -12, max: 12, noNaN: true }), { minLength: 2, maxLength: 60 }),
        (polygon, coords) => {
          const even = polygon.length - (polygon.length % 2);
          const shape = polygon.slice(0, even);
          const n = Math.floor(coords.length / 2);
          const xy = Float32Array.from(coords.slice(0, 2 * n));
          const brute = Array.from({ length: n }, (_, i) => i).filter((i) => pointInPolygon(xy[2 * i], xy[2 * i + 1], shape));
          expect(Array.from(pointsInPolygon(xy, n, shape))).toEqual(brute);
        },
      ),
    );
  });
});
