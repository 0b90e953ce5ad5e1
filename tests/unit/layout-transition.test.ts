import { describe, expect, it } from 'vitest';
import { blendLayouts, easeInOut, LAYOUT_TRANSITION_MS, normaliseLayout } from '../../src/ui/map/layout-transition';
import { fitView, toScreenX, toScreenY } from '../../src/ui/map/scatter-view';

describe('moving between two map layouts', () => {
  it('eases from rest to rest: 0 → 0, ½ → ½, 1 → 1, monotone, clamped outside [0, 1]', () => {
    expect(easeInOut(0)).toBe(0);
    expect(easeInOut(0.5)).toBe(0.5);
    expect(easeInOut(1)).toBe(1);
    expect(easeInOut(-3)).toBe(0);
    expect(easeInOut(7)).toBe(1);
    expect(easeInOut(Number.NaN)).toBe(0);
    // Slow at both ends: the first and last tenth cover far less than a tenth of the way.
    expect(easeInOut(0.1)).toBeLessThan(0.01);
    expect(1 - easeInOut(0.9)).toBeLessThan(0.01);
    let last = 0;
    for (let t = 0.01; t <= 1; t += 0.01) {
      expect(easeInOut(t)).toBeGreaterThanOrEqual(last);
      last = easeInOut(t);
    }
    expect(LAYOUT_TRANSITION_MS).toBeGreaterThanOrEqual(500);
    expect(LAYOUT_TRANSITION_MS).toBeLessThanOrEqual(1000);
  });

  it('normalises a layout the way the view fits it: centred, the limiting span filling the view', () => {
    // A 4 × 2 box centred at (10, −5), in a view twice as wide as high: the width limits (4 → 2 wide).
    const xy = Float32Array.of(8, -6, 12, -4, 10, -5);
    expect(Array.from(normaliseLayout(xy, 3, 2))).toEqual([-1, -0.5, 1, 0.5, 0, 0]);
    // In a square view the width still limits: 4 → 1.
    expect(Array.from(normaliseLayout(xy, 3, 1))).toEqual([-0.5, -0.25, 0.5, 0.25, 0, 0]);
    // Two layouts that differ by scale and shift normalise to the same points…
    const moved = xy.map((v, k) => (k % 2 === 0 ? v * 30 + 7 : v * 30 - 2));
    expect(Array.from(normaliseLayout(moved, 3, 2))).toEqual(Array.from(normaliseLayout(xy, 3, 2)));
    // …and, up to the view's own scale, sit where fitView puts them on screen.
    const width = 800;
    const height = 400;
    const view = fitView(xy, 3, width, height, 0);
    const normal = normaliseLayout(xy, 3, width / height);
    for (let i = 0; i < 3; i++) {
      expect(toScreenX(view, xy[2 * i])).toBeCloseTo(width / 2 + normal[2 * i] * height, 3);
      expect(toScreenY(view, xy[2 * i + 1])).toBeCloseTo(height / 2 - normal[2 * i + 1] * height, 3);
    }
  });

  it('copes with a single point, identical points and non-finite coordinates', () => {
    expect(Array.from(normaliseLayout(Float32Array.of(3, 4), 1))).toEqual([0, 0]);
    expect(normaliseLayout(Float32Array.of(1, 1, 1, 1), 2).every(Number.isFinite)).toBe(true);
    const out = normaliseLayout(Float32Array.of(0, 0, Number.NaN, 1, 2, 2), 3);
    expect(out.every(Number.isFinite)).toBe(true);
    expect(Array.from(normaliseLayout(Float32Array.of(Number.NaN, Number.NaN), 1))).toEqual([0, 0]);
  });

  it('blends from the old layout to the new: the old at 0, the new at 1, the eased share between', () => {
    const from = Float32Array.of(0, 0, 1, 1);
    const to = Float32Array.of(1, -1, 1, 3);
    expect(Array.from(blendLayouts(from, to, 2, 0))).toEqual([0, 0, 1, 1]);
    expect(Array.from(blendLayouts(from, to, 2, 1))).toEqual([1, -1, 1, 3]);
    expect(Array.from(blendLayouts(from, to, 2, 0.5))).toEqual([0.5, -0.5, 1, 2]);
    const quarter = blendLayouts(from, to, 2, 0.25);
    expect(quarter[0]).toBeCloseTo(easeInOut(0.25), 6);
    expect(quarter[3]).toBeCloseTo(1 + 2 * easeInOut(0.25), 6);
    // Reuses the buffer it is given.
    const out = new Float32Array(4);
    expect(blendLayouts(from, to, 2, 1, out)).toBe(out);
    expect(() => blendLayouts(from, Float32Array.of(1, 2), 2, 0.5)).toThrow(/two layouts of 2 points/);
  });
});
