import { describe, expect, it } from 'vitest';
import { barColumns, featureMapInk, knobRange, summarizeValues } from '../../src/ui/inside-view';

describe('inside-a-run view helpers', () => {
  it('spans a knob over the observed range plus 5% each side, in 100 keyboard steps', () => {
    const range = knobRange(-1, 9);
    expect(range.lo).toBeCloseTo(-1.5);
    expect(range.hi).toBeCloseTo(9.5);
    expect(range.step).toBeCloseTo(0.11);
    expect(knobRange(0, 0)).toEqual({ lo: -0.5, hi: 0.5, step: 0.01 });
  });

  it('counts values below 0 and exactly 0 (the ReLU/ELU difference)', () => {
    expect(summarizeValues(Float32Array.of(0, 0, 2, -0.5, 1))).toEqual({ count: 5, negative: 1, zero: 2, min: -0.5, max: 2 });
    expect(summarizeValues(new Float32Array(0))).toEqual({ count: 0, negative: 0, zero: 0, min: 0, max: 0 });
  });

  it('draws one channel of a channels-last stack on the layer’s shared scale', () => {
    // 2×1 pixels × 2 channels: channel 1 holds 0 and 4; the layer's scale is 0 … 8.
    const stack = Float32Array.of(8, 0, 2, 4);
    expect(Array.from(featureMapInk(stack, 2, 1, 2, 1, 0, 8))).toEqual([0, 128]);
    expect(Array.from(featureMapInk(stack, 2, 1, 2, 0, 0, 8))).toEqual([255, 64]);
  });

  it('keeps both signs when many units share a column', () => {
    const { positive, negative } = barColumns(Float32Array.of(1, -0.5, 0, 3, -1, 0.2), 2);
    expect(Array.from(positive)).toEqual([1, 3]);
    expect(Array.from(negative)).toEqual([-0.5, -1]);
    expect(barColumns(Float32Array.of(1, 2), 10).positive.length).toBe(2);
  });
});
