/**
 * Exponential moving average with bias correction (as TensorBoard smooths curves), so the first
 * points are not dragged towards zero.
 * @param weight 0 = no smoothing, → 1 = heavy smoothing
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  const out = new Array<number>(values.length);
  let average = 0;
  for (let i = 0; i < values.length; i++) {
    average = weight * average + (1 - weight) * values[i];
    out[i] = average / (1 - weight ** (i + 1));
  }
  return out;
}
