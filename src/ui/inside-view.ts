/** Pure helpers of the "Inside a run" panel: slider ranges, value summaries, feature-map and bar-strip drawing data. */

/** A knob's slider range: the unit's observed range over the data with a margin on each side. */
export interface KnobRange {
  lo: number;
  hi: number;
  /** one keyboard arrow press: 1/100 of the range */
  step: number;
}

/** Share of the observed range added on each side, so a knob can go a little beyond anything seen. */
export const KNOB_MARGIN = 0.05;

/**
 * The slider range of a unit observed between `min` and `max` over the data. A unit that never changed gets
 * ±0.5 around its value (its slider is disabled anyway: it is dead).
 */
export function knobRange(min: number, max: number): KnobRange {
  const span = max - min;
  const margin = span > 0 ? span * KNOB_MARGIN : 0.5;
  const lo = min - margin;
  const hi = max + margin;
  return { lo, hi, step: (hi - lo) / 100 };
}

/** How a layer's values spread: the ReLU/ELU difference is in `negative` and `zero`. */
export interface ValueSummary {
  count: number;
  /** values below 0 (ELU goes down to −1; ReLU never) */
  negative: number;
  /** values exactly 0 (ReLU's inactive units; ELU is 0 only at input 0) */
  zero: number;
  min: number;
  max: number;
}

export function summarizeValues(values: Float32Array): ValueSummary {
  let negative = 0;
  let zero = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < 0) negative++;
    else if (v === 0) zero++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: values.length, negative, zero, min: values.length ? min : 0, max: values.length ? max : 0 };
}

/**
 * Grey levels (0 = white paper … 255 = black ink) of feature map `channel` of an h × w × c stack (channels
 * last), on one scale shared by every map of the layer: `lo` (the layer's minimum, or 0 if above) is white,
 * `hi` (the layer's maximum) black. Shared rather than per map, so a map that barely responds looks faint.
 * @returns h × w ink levels, row-major
 */
export function featureMapInk(values: Float32Array, h: number, w: number, c: number, channel: number, lo: number, hi: number): Uint8ClampedArray {
  const ink = new Uint8ClampedArray(h * w);
  const span = hi - lo;
  for (let p = 0; p < h * w; p++) ink[p] = span > 0 ? Math.round(((values[p * c + channel] - lo) / span) * 255) : 0;
  return ink;
}

/**
 * Columns of a bar strip `width` columns wide: when there are more units than columns, each column shows the
 * largest positive and the most negative value of the units it covers, so neither sign disappears.
 */
export function barColumns(values: Float32Array, width: number): { positive: Float32Array; negative: Float32Array } {
  const columns = Math.max(1, Math.min(width, values.length));
  const positive = new Float32Array(columns);
  const negative = new Float32Array(columns);
  for (let i = 0; i < values.length; i++) {
    const column = Math.floor((i * columns) / values.length);
    const v = values[i];
    if (v > positive[column]) positive[column] = v;
    if (v < negative[column]) negative[column] = v;
  }
  return { positive, negative };
}
