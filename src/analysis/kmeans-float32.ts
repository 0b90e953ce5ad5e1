/**
 * The float32 distance bounds of k-means' assignment step (see kmeans-workspace.ts's `span`): a float32
 * dot product, as the SIMD kernel computes it, and a bound on its error. Both the JavaScript reference
 * and the kernel generator use them.
 */

/**
 * x[xo…xo+d) · y[yo…yo+d) in float32 arithmetic, as the SIMD kernel's f32x4 dot product runs it: four
 * partial sums over the features t ≡ 0…3 (mod 4), each product and sum rounded to float32 (Math.fround of
 * the float64 result is the float32 result for + and ×), the leftover D mod 4 terms added to s0, and the
 * result (s0 + s1) + (s2 + s3). x must hold float32 values. Its error is bounded in {@link spanFactor}.
 */
export function dot32(x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, d: number): number {
  const f = Math.fround;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = xo + (d & ~3);
  let p = xo;
  let q = yo;
  for (; p < end4; p += 4, q += 4) {
    s0 = f(s0 + f(x[p] * y[q]));
    s1 = f(s1 + f(x[p + 1] * y[q + 1]));
    s2 = f(s2 + f(x[p + 2] * y[q + 2]));
    s3 = f(s3 + f(x[p + 3] * y[q + 3]));
  }
  for (const end = xo + d; p < end; p++, q++) s0 = f(s0 + f(x[p] * y[q]));
  return f(f(s0 + s1) + f(s2 + s3));
}

/**
 * E / (‖x‖² + ‖c‖²), where E bounds the error of ‖x‖² + ‖c‖² − 2·dot32(x, fround(c)) as a value of
 * ‖x − c‖² (x float32, c float64, D features).
 *   - Rounding c to float32 moves x·c by at most u·Σ|x_t c_t|, u = 2⁻²⁴.
 *   - Each term of dot32 passes through one product and at most D/4 + 5 sums (its lane, the leftover
 *     features, the two final sums), D + 4 roundings in all, so by the standard bound the sum is off by
 *     at most γ_{D+4}·Σ|x_t c_t|·(1 + u), γ_m = m·u/(1 − m·u) ≤ 1.0101·m·u.
 *   - Together ≤ 1.02·(D + 6)·u·Σ|x_t c_t| ≤ 1.02·(D + 6)·u·‖x‖‖c‖ (Cauchy–Schwarz), and twice that —
 *     the dot product counts twice — is at most 1.02·(D + 6)·u·(‖x‖² + ‖c‖²).
 *   - 2⁻⁴⁴·(‖x‖² + ‖c‖²) more covers the float64 roundings: of the norms, of the sums and of the square
 *     roots taken of s ± E (each ≤ 2⁻⁵¹ of that scale).
 */
export function spanFactor(d: number): number {
  return 1.02 * (d + 6) * 2 ** -24 + 2 ** -44;
}
