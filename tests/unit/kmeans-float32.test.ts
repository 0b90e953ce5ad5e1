import { describe, expect, it } from 'vitest';
import { dot32, spanFactor } from '../../src/analysis/kmeans-float32';
import { gaussian, mulberry32 } from '../../src/analysis/rng';

/** ‖x − c‖² in the difference form, float64: off by ~D·2⁻⁵³ of itself, far below the bound tested. */
function squaredDistance(x: Float32Array, c: Float64Array): number {
  let s = 0;
  for (let t = 0; t < x.length; t++) s += (x[t] - c[t]) ** 2;
  return s;
}

function norm2(v: ArrayLike<number>): number {
  let s = 0;
  for (let t = 0; t < v.length; t++) s += v[t] * v[t];
  return s;
}

/**
 * Row/centre pairs the bound must hold for: plain Gaussian ones at several scales, and ones sharing a
 * large offset, where ‖x‖² + ‖c‖² − 2·x·c cancels almost entirely (a row next to its centre, far out).
 */
function* pairs(d: number, seed: number): Generator<{ x: Float32Array; c: Float64Array }> {
  const rng = mulberry32(seed);
  for (const scale of [1e-3, 1, 37, 1e4]) {
    for (const offset of [0, 1, 100, 1e4]) {
      for (const spread of [1, 1e-2, 1e-5]) {
        for (let r = 0; r < 8; r++) {
          const base = Array.from({ length: d }, () => offset * scale * (1 + 0.1 * gaussian(rng)));
          const x = Float32Array.from(base, (b) => b + spread * scale * gaussian(rng));
          // Centres are means: float64 values that float32 cannot hold.
          const c = Float64Array.from(base, (b) => b + spread * scale * gaussian(rng) * (1 + 1e-9));
          yield { x, c };
        }
      }
    }
  }
}

describe('float32 distance bounds for the k-means assignment', () => {
  it('dot32 rounds every product and sum to float32, in four partial sums', () => {
    const rng = mulberry32(3);
    for (const d of [1, 3, 4, 7, 16, 64]) {
      const x = Float32Array.from({ length: d }, () => gaussian(rng));
      const y = Float32Array.from({ length: d }, () => gaussian(rng));
      // The same sums, rounded by storing into float32 arrays instead of Math.fround.
      const lanes = new Float32Array(4);
      const product = new Float32Array(1);
      const quads = d & ~3;
      for (let t = 0; t < quads; t++) {
        product[0] = x[t] * y[t];
        lanes[t & 3] += product[0];
      }
      for (let t = quads; t < d; t++) {
        product[0] = x[t] * y[t];
        lanes[0] += product[0];
      }
      const pair = new Float32Array([lanes[0] + lanes[1], lanes[2] + lanes[3]]);
      expect(dot32(x, 0, y, 0, d)).toBe(Math.fround(pair[0] + pair[1]));
    }
  });

  it('spanFactor bounds the error of ‖x‖² + ‖c‖² − 2·dot32(x, fround(c)), cancellation included', () => {
    let worst = 0;
    let checked = 0;
    for (const d of [1, 2, 3, 5, 8, 16, 23, 64, 130]) {
      for (const { x, c } of pairs(d, 100 + d)) {
        const c32 = Float32Array.from(c);
        const xn = norm2(x);
        const cn = norm2(c);
        const approximate = xn + (cn - 2 * dot32(x, 0, c32, 0, d));
        const bound = spanFactor(d) * (xn + cn);
        const error = Math.abs(approximate - squaredDistance(x, c));
        expect(error).toBeLessThanOrEqual(bound);
        worst = Math.max(worst, error / bound);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3000);
    // Not vacuous either: the worst pair here uses a quarter of it (0.25 when written), so a bound
    // tighter by more than a few times would fail.
    expect(worst).toBeGreaterThan(0.1);
  });
});
