import { describe, expect, it } from 'vitest';
import { codeToPlane, gridCodes, MAX_GRID_SIDE, occupiedRange, planeToCode, tileImages } from '../../src/analysis/manifold-grid';

describe('the 2-d code plane', () => {
  it('takes the occupied range between the tail quantiles, ignoring far outliers', () => {
    // 1,001 codes on x = 0…1000 and y = 0…100, plus nothing else: the 0.5% / 99.5% quantiles are exact order statistics.
    const count = 1001;
    const codes = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      codes[2 * i] = i;
      codes[2 * i + 1] = i / 10;
    }
    expect(occupiedRange(codes, count)).toEqual({ xMin: 5, xMax: 995, yMin: expect.closeTo(0.5, 6), yMax: expect.closeTo(99.5, 6) });
    // One code far away does not stretch the range.
    codes[0] = -1e6;
    expect(occupiedRange(codes, count).xMin).toBeGreaterThan(4);
    expect(occupiedRange(codes, count, 0)).toMatchObject({ xMin: -1e6, xMax: 1000 });
  });

  it('gives a collapsed code a non-empty range and refuses empty input', () => {
    const same = Float32Array.of(2, 3, 2, 3, 2, 3);
    expect(occupiedRange(same, 3)).toEqual({ xMin: 1.5, xMax: 2.5, yMin: 2.5, yMax: 3.5 });
    expect(() => occupiedRange(new Float32Array(0), 0)).toThrow(/at least one/);
    expect(() => occupiedRange(new Float32Array(2), 2)).toThrow(/2 × 2/);
  });

  it('maps picture positions to codes and back, y pointing up', () => {
    const range = { xMin: -2, xMax: 2, yMin: 0, yMax: 8 };
    expect(planeToCode(range, 0, 0)).toEqual([-2, 8]);
    expect(planeToCode(range, 1, 1)).toEqual([2, 0]);
    expect(planeToCode(range, 0.25, 0.5)).toEqual([-1, 4]);
    for (const [u, v] of [[0.1, 0.9], [0.73, 0.2], [1.5, -0.5]]) {
      const [x, y] = planeToCode(range, u, v);
      const back = codeToPlane(range, x, y);
      expect(back[0]).toBeCloseTo(u, 12);
      expect(back[1]).toBeCloseTo(v, 12);
    }
  });

  it('puts grid codes at cell centres, row by row from the top', () => {
    const range = { xMin: 0, xMax: 4, yMin: 0, yMax: 2 };
    const codes = gridCodes(range, 2);
    // cells: (row 0, col 0) top-left … centres at u, v ∈ {¼, ¾}
    expect(Array.from(codes)).toEqual([1, 1.5, 3, 1.5, 1, 0.5, 3, 0.5]);
    expect(() => gridCodes(range, 0)).toThrow();
    expect(() => gridCodes(range, 2.5)).toThrow();
    expect(() => gridCodes(range, MAX_GRID_SIDE + 1)).toThrow();
  });

  it('tiles images into one picture in grid order', () => {
    // four 2×2 images whose pixels all equal the image's number
    const images = Float32Array.from({ length: 16 }, (_, i) => Math.floor(i / 4));
    const picture = tileImages(images, 2, 2);
    expect(Array.from(picture)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    expect(() => tileImages(images, 3, 2)).toThrow();
  });
});
