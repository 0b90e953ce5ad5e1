/**
 * Power-of-two fast Fourier transforms (radix-2 decimation, with stages fused in pairs) on split
 * (real / imaginary) Float64Arrays, and a 2-D linear convolver built on them for the t-SNE
 * repulsion grid (FIt-SNE, Linderman et al. 2019).
 *
 * The forward pass is decimation-in-frequency (natural order in, bit-reversed order out) and the
 * inverse is decimation-in-time (bit-reversed in, natural out). A pointwise product of two spectra
 * does not care about their order, so the bit-reversal permutation is never a pass of its own: where
 * an order matters it is folded into the transposes, which move the data anyway.
 *
 * Both 2-D passes run "across rows": a butterfly combines two whole rows with one twiddle, so the
 * inner loop is a contiguous, branch-free sweep that V8 compiles well. The second dimension is
 * reached by transposing, and the spectrum is kept in that transposed layout.
 *
 * `GridConvolver` runs the column loops of its row passes in WebAssembly SIMD where available
 * (wasm/fft-simd.ts: two columns per f64x2, bit-identical to the loops here).
 */

import { FftSimd } from './wasm/fft-simd';

/** Twiddle factors for transforms of one power-of-two length. */
export class FftPlan {
  /** Transform length, a power of two ≥ 2. */
  readonly size: number;
  /** cos(2πj/size) for j < size (the radix-4 steps index up to 3·size/4). */
  readonly cos: Float64Array;
  /** −sin(2πj/size) for j < size: the forward twiddle's imaginary part. */
  readonly sin: Float64Array;

  constructor(size: number) {
    if (!isPowerOfTwo(size) || size < 2) throw new Error(`FFT length must be a power of two ≥ 2, got ${size}`);
    this.size = size;
    this.cos = new Float64Array(size);
    this.sin = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      const angle = (2 * Math.PI * j) / size;
      this.cos[j] = Math.cos(angle);
      this.sin[j] = -Math.sin(angle);
    }
  }
}

/** Side of the square tiles in which transposes move data. */
const TILE = 16;

/** True for 1, 2, 4, 8, … */
export function isPowerOfTwo(x: number): boolean {
  return Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;
}

/** Smallest power of two ≥ x (x ≥ 1). */
export function nextPowerOfTwo(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/**
 * Forward transform along the row index of a `plan.size` × `stride` row-major array, for columns
 * [colStart, colEnd): every column is transformed independently. Natural order in, bit-reversed out.
 * With `upperHalfZero`, rows ≥ size/2 are taken to be zero (whatever they hold), which halves the
 * first stage — the zero padding of a linear convolution.
 *
 * Stages are fused in pairs (radix 4: three complex multiplications per four points instead of
 * four, and one read and write of the array per two stages), with a radix-2 stage where the count
 * is odd. The output order is that of plain radix-2 decimation in frequency.
 */
export function difRows(
  re: Float64Array,
  im: Float64Array,
  stride: number,
  colStart: number,
  colEnd: number,
  plan: FftPlan,
  upperHalfZero: boolean,
): void {
  const size = plan.size;
  const cosT = plan.cos;
  const sinT = plan.sin;
  let half = size >> 1;
  if (upperHalfZero && half >= 1) {
    // First stage with b = 0: a' = a, b' = a·w.
    for (let k = 0; k < half; k++) {
      const wr = cosT[k];
      const wi = sinT[k];
      const rowA = k * stride;
      const rowB = (k + half) * stride;
      for (let c = colStart; c < colEnd; c++) {
        const ar = re[rowA + c];
        const ai = im[rowA + c];
        re[rowB + c] = ar * wr - ai * wi;
        im[rowB + c] = ar * wi + ai * wr;
      }
    }
    half >>= 1;
  }
  // Radix-4 steps cover stages `half` and `half/2` at once.
  for (; half >= 2; half >>= 2) {
    const q = half >> 1;
    const twStep = size / (4 * q);
    for (let start = 0; start < size; start += 4 * q) {
      for (let k = 0; k < q; k++) {
        const t1 = k * twStep;
        const w1r = cosT[t1], w1i = sinT[t1]; // prettier-ignore
        const w2r = cosT[2 * t1], w2i = sinT[2 * t1]; // prettier-ignore
        const w3r = cosT[3 * t1], w3i = sinT[3 * t1]; // prettier-ignore
        const r0 = (start + k) * stride;
        const r1 = r0 + q * stride;
        const r2 = r1 + q * stride;
        const r3 = r2 + q * stride;
        for (let c = colStart; c < colEnd; c++) {
          const a0r = re[r0 + c], a0i = im[r0 + c]; // prettier-ignore
          const a1r = re[r1 + c], a1i = im[r1 + c]; // prettier-ignore
          const a2r = re[r2 + c], a2i = im[r2 + c]; // prettier-ignore
          const a3r = re[r3 + c], a3i = im[r3 + c]; // prettier-ignore
          const b0r = a0r + a2r, b0i = a0i + a2i; // prettier-ignore
          const b1r = a1r + a3r, b1i = a1i + a3i; // prettier-ignore
          const dr = a0r - a2r, di = a0i - a2i; // prettier-ignore
          // e = (a1 − a3)·(−i)
          const er = a1i - a3i, ei = a3r - a1r; // prettier-ignore
          re[r0 + c] = b0r + b1r;
          im[r0 + c] = b0i + b1i;
          const fr = b0r - b1r, fi = b0i - b1i; // prettier-ignore
          re[r1 + c] = fr * w2r - fi * w2i;
          im[r1 + c] = fr * w2i + fi * w2r;
          const gr = dr + er, gi = di + ei; // prettier-ignore
          re[r2 + c] = gr * w1r - gi * w1i;
          im[r2 + c] = gr * w1i + gi * w1r;
          const hr = dr - er, hi = di - ei; // prettier-ignore
          re[r3 + c] = hr * w3r - hi * w3i;
          im[r3 + c] = hr * w3i + hi * w3r;
        }
      }
    }
  }
  if (half === 1) {
    // A last radix-2 stage (half = 1, twiddle 1) when the stage count is odd.
    for (let start = 0; start < size; start += 2) {
      const rowA = start * stride;
      const rowB = rowA + stride;
      for (let c = colStart; c < colEnd; c++) {
        const ar = re[rowA + c];
        const ai = im[rowA + c];
        const br = re[rowB + c];
        const bi = im[rowB + c];
        re[rowA + c] = ar + br;
        im[rowA + c] = ai + bi;
        re[rowB + c] = ar - br;
        im[rowB + c] = ai - bi;
      }
    }
  }
}

/**
 * Unnormalised inverse transform along the row index (the exact inverse of `difRows` up to a factor
 * `size`), for columns [colStart, colEnd). Bit-reversed order in, natural order out. With
 * `lowerHalfOnly`, only output rows < size/2 are produced (rows ≥ size/2 are left holding garbage):
 * a linear convolution only needs the unpadded part. Radix-4 steps as in `difRows`.
 */
export function ditRows(
  re: Float64Array,
  im: Float64Array,
  stride: number,
  colStart: number,
  colEnd: number,
  plan: FftPlan,
  lowerHalfOnly: boolean,
): void {
  const size = plan.size;
  const cosT = plan.cos;
  const sinT = plan.sin;
  const lastHalf = size >> 1;
  // Stages half = 1, 2, …, limit run here; the pruned last stage (half = size/2) comes after.
  const limit = lowerHalfOnly ? lastHalf >> 1 : lastHalf;
  let half = 1;
  if (limit >= 1 && (Math.log2(limit) + 1) % 2 === 1) {
    // Odd stage count: one radix-2 stage (half = 1, twiddle 1) first.
    for (let start = 0; start < size; start += 2) {
      const rowA = start * stride;
      const rowB = rowA + stride;
      for (let c = colStart; c < colEnd; c++) {
        const ar = re[rowA + c];
        const ai = im[rowA + c];
        const br = re[rowB + c];
        const bi = im[rowB + c];
        re[rowA + c] = ar + br;
        im[rowA + c] = ai + bi;
        re[rowB + c] = ar - br;
        im[rowB + c] = ai - bi;
      }
    }
    half = 2;
  }
  // Radix-4 steps cover stages q and 2q at once (inverse twiddles: conjugates).
  for (let q = half; 2 * q <= limit; q <<= 2) {
    const twStep = size / (4 * q);
    for (let start = 0; start < size; start += 4 * q) {
      for (let k = 0; k < q; k++) {
        const t1 = k * twStep;
        const w1r = cosT[t1], w1i = -sinT[t1]; // prettier-ignore
        const w2r = cosT[2 * t1], w2i = -sinT[2 * t1]; // prettier-ignore
        const w3r = cosT[3 * t1], w3i = -sinT[3 * t1]; // prettier-ignore
        const r0 = (start + k) * stride;
        const r1 = r0 + q * stride;
        const r2 = r1 + q * stride;
        const r3 = r2 + q * stride;
        for (let c = colStart; c < colEnd; c++) {
          const a0r = re[r0 + c], a0i = im[r0 + c]; // prettier-ignore
          const x1r = re[r1 + c], x1i = im[r1 + c]; // prettier-ignore
          const x2r = re[r2 + c], x2i = im[r2 + c]; // prettier-ignore
          const x3r = re[r3 + c], x3i = im[r3 + c]; // prettier-ignore
          const t1r = x1r * w2r - x1i * w2i, t1i = x1r * w2i + x1i * w2r; // prettier-ignore
          const t2r = x2r * w1r - x2i * w1i, t2i = x2r * w1i + x2i * w1r; // prettier-ignore
          const t3r = x3r * w3r - x3i * w3i, t3i = x3r * w3i + x3i * w3r; // prettier-ignore
          const b0r = a0r + t1r, b0i = a0i + t1i; // prettier-ignore
          const b1r = a0r - t1r, b1i = a0i - t1i; // prettier-ignore
          const pr = t2r + t3r, pi = t2i + t3i; // prettier-ignore
          // i·(t2 − t3)
          const sr = t3i - t2i, si = t2r - t3r; // prettier-ignore
          re[r0 + c] = b0r + pr;
          im[r0 + c] = b0i + pi;
          re[r2 + c] = b0r - pr;
          im[r2 + c] = b0i - pi;
          re[r1 + c] = b1r + sr;
          im[r1 + c] = b1i + si;
          re[r3 + c] = b1r - sr;
          im[r3 + c] = b1i - si;
        }
      }
    }
    half = 4 * q;
  }
  if (lowerHalfOnly && lastHalf >= 1) {
    // Last stage, lower half only: a' = a + w̄·b.
    const twStep = 1;
    for (let k = 0; k < lastHalf; k++) {
      const wr = cosT[k * twStep];
      const wi = -sinT[k * twStep];
      const rowA = k * stride;
      const rowB = (k + lastHalf) * stride;
      for (let c = colStart; c < colEnd; c++) {
        const br = re[rowB + c];
        const bi = im[rowB + c];
        re[rowA + c] += br * wr - bi * wi;
        im[rowA + c] += br * wi + bi * wr;
      }
    }
  }
}

/** Index with its low `bits` bits reversed. */
export function bitReverse(index: number, bits: number): number {
  let r = 0;
  for (let b = 0; b < bits; b++) {
    r = (r << 1) | ((index >> b) & 1);
  }
  return r;
}

/**
 * In-place 1-D discrete Fourier transform in natural order: X[k] = Σ x[j]·e^{∓2πijk/n}, with the
 * minus sign forward; the inverse is divided by n so that `fft(fft(x), inverse)` returns x.
 * Arrays of length n, a power of two. A convenience for tests and small uses; the 2-D convolver
 * below avoids the reordering done here.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (im.length !== n) throw new Error('fft: real and imaginary parts differ in length');
  if (n === 1) return;
  const plan = new FftPlan(n);
  const bits = Math.log2(n);
  if (!inverse) {
    difRows(re, im, 1, 0, 1, plan, false);
    permuteBitReversed(re, im, bits);
  } else {
    permuteBitReversed(re, im, bits);
    ditRows(re, im, 1, 0, 1, plan, false);
    for (let j = 0; j < n; j++) {
      re[j] /= n;
      im[j] /= n;
    }
  }
}

function permuteBitReversed(re: Float64Array, im: Float64Array, bits: number): void {
  const n = re.length;
  for (let j = 0; j < n; j++) {
    const r = bitReverse(j, bits);
    if (r > j) {
      let t = re[j];
      re[j] = re[r];
      re[r] = t;
      t = im[j];
      im[j] = im[r];
      im[r] = t;
    }
  }
}

/**
 * A kernel spectrum in the convolver's internal layout (row = bit-reversed kx, column = natural ky),
 * scaled by 1/size².
 */
export interface GridSpectrum {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/**
 * Linear (not circular) 2-D convolution of a real m × m grid with real kernels defined on offsets
 * (dx, dy) ∈ [−(m−1), m−1]², through a zero-padded size × size circulant, size = the smallest power of
 * two ≥ 2m−1.
 *
 * Costs, in units of one size × size complex transform:
 * - `load` (forward, real input) ≈ ½: pairs of real columns share one complex column in the first
 *   pass, and the spectrum's Hermitian symmetry S(−k) = S(k)* halves the second pass;
 * - `convolvePair` ≈ 1 for two kernels at once: packed as ka + i·kb, the result's real part is
 *   grid ⊛ ka and its imaginary part grid ⊛ kb, because the grid is real;
 * - `quadraticForm` ≈ 0: ⟨grid, grid ⊛ k⟩ by Parseval, without an inverse transform.
 *
 * Usage: `kernelSpectrum` once per kernel pair (it depends only on the grid spacing), `load` once per
 * grid, then `convolvePair` / `quadraticForm`.
 */
export class GridConvolver {
  /** Grid side: points per axis of the input and output grids. */
  readonly m: number;
  /** Transform side, a power of two ≥ 2m − 1. */
  readonly size: number;
  private readonly plan: FftPlan;
  /** bitrev[k]: position of frequency k in bit-reversed order (an involution). */
  private readonly bitrev: Int32Array;
  /** negRow[r]: the row holding frequency −k when row r holds k (rows are bit-reversed). */
  private readonly negRow: Int32Array;
  private readonly specRe: Float64Array;
  private readonly specIm: Float64Array;
  private readonly workRe: Float64Array;
  private readonly workIm: Float64Array;
  private readonly auxRe: Float64Array;
  private readonly auxIm: Float64Array;

  /** The row passes' column loops in WebAssembly SIMD, over the six arrays above (null: JavaScript). */
  private readonly simd: FftSimd | null;
  /** The spectrum whose copy is in the SIMD memory. */
  private kernelInMemory: GridSpectrum | null = null;

  /** `simd`: run the row passes of `load` and `convolvePair` in WebAssembly SIMD where available (same bits). */
  constructor(m: number, options: { simd?: boolean } = {}) {
    if (!Number.isInteger(m) || m < 1) throw new Error(`grid side must be a positive integer, got ${m}`);
    this.m = m;
    const size = Math.max(2, nextPowerOfTwo(2 * m - 1));
    this.size = size;
    this.plan = new FftPlan(size);
    const bits = Math.log2(size);
    this.bitrev = new Int32Array(size);
    this.negRow = new Int32Array(size);
    for (let k = 0; k < size; k++) this.bitrev[k] = bitReverse(k, bits);
    for (let r = 0; r < size; r++) this.negRow[r] = this.bitrev[(size - this.bitrev[r]) & (size - 1)];
    const cells = size * size;
    // Six work arrays, and (SIMD only) a copy of the kernel spectrum in use.
    this.simd = options.simd === false ? null : FftSimd.create(8, cells);
    const arrays = this.simd ? this.simd.arrays : Array.from({ length: 6 }, () => new Float64Array(cells));
    [this.specRe, this.specIm, this.workRe, this.workIm, this.auxRe, this.auxIm] = arrays;
  }

  private difRows(re: Float64Array, im: Float64Array, colStart: number, colEnd: number, upperHalfZero: boolean): void {
    if (this.simd) this.simd.difRows(re, im, this.size, colStart, colEnd, this.plan, upperHalfZero);
    else difRows(re, im, this.size, colStart, colEnd, this.plan, upperHalfZero);
  }

  private ditRows(re: Float64Array, im: Float64Array, colStart: number, colEnd: number, lowerHalfOnly: boolean): void {
    if (this.simd) this.simd.ditRows(re, im, this.size, colStart, colEnd, this.plan, lowerHalfOnly);
    else ditRows(re, im, this.size, colStart, colEnd, this.plan, lowerHalfOnly);
  }

  /**
   * Spectrum of the packed kernel ka + i·kb, where ka(dx, dy) and kb(dx, dy) are sampled at integer
   * grid offsets |dx|, |dy| ≤ m − 1 (target minus source, in grid steps). Includes the 1/size² of the
   * inverse transform.
   */
  kernelSpectrum(ka: (dx: number, dy: number) => number, kb: (dx: number, dy: number) => number): GridSpectrum {
    const m = this.m;
    const w = 2 * m - 1;
    const a = new Float64Array(w * w);
    const b = new Float64Array(w * w);
    for (let dy = -(m - 1); dy <= m - 1; dy++) {
      for (let dx = -(m - 1); dx <= m - 1; dx++) {
        a[(dy + m - 1) * w + dx + m - 1] = ka(dx, dy);
        b[(dy + m - 1) * w + dx + m - 1] = kb(dx, dy);
      }
    }
    return this.kernelSpectrumFromSamples(a, b);
  }

  /**
   * `kernelSpectrum` from samples: ka and kb are (2m − 1) × (2m − 1) row-major, entry
   * [(dy + m − 1)·(2m − 1) + dx + m − 1] holding the kernel at offset (dx, dy).
   */
  kernelSpectrumFromSamples(ka: Float64Array, kb: Float64Array): GridSpectrum {
    const { m, size } = this;
    const w = 2 * m - 1;
    if (ka.length < w * w || kb.length < w * w) throw new Error('kernel samples smaller than (2m − 1)²');
    // With SIMD the transforms run in the kernels' memory, in the scratch arrays `convolvePair` uses.
    const re = this.simd ? this.auxRe.fill(0) : new Float64Array(size * size);
    const im = this.simd ? this.auxIm.fill(0) : new Float64Array(size * size);
    const scale = 1 / (size * size);
    for (let dy = -(m - 1); dy <= m - 1; dy++) {
      const row = ((dy + size) % size) * size;
      const src = (dy + m - 1) * w + m - 1;
      for (let dx = -(m - 1); dx <= m - 1; dx++) {
        const idx = row + ((dx + size) % size);
        re[idx] = ka[src + dx] * scale;
        im[idx] = kb[src + dx] * scale;
      }
    }
    // Full transform: [bit-reversed ky][x] → transpose → [x][bit-reversed ky] → [bit-reversed kx][bit-reversed ky].
    this.difRows(re, im, 0, size, false);
    transposeSquare(re, size);
    transposeSquare(im, size);
    this.difRows(re, im, 0, size, false);
    // Columns to natural ky order, the layout `load` produces.
    const outRe = new Float64Array(size * size);
    const outIm = new Float64Array(size * size);
    for (let r = 0; r < size; r++) {
      const o = r * size;
      for (let ky = 0; ky < size; ky++) {
        outRe[o + ky] = re[o + this.bitrev[ky]];
        outIm[o + ky] = im[o + this.bitrev[ky]];
      }
    }
    return { re: outRe, im: outIm };
  }

  /** Forward-transform a real m × m row-major grid; it is kept for the following calls. */
  load(grid: Float64Array): void {
    const { m, size, bitrev } = this;
    if (grid.length < m * m) throw new Error('grid smaller than m × m');
    const half = size >> 1;
    // Columns c and c + h travel together as the real and imaginary part of one complex column.
    const h = (m + 1) >> 1;
    const wr = this.workRe;
    const wi = this.workIm;
    for (let y = 0; y < m; y++) {
      const src = y * m;
      const dst = y * size;
      for (let c = 0; c < h; c++) {
        wr[dst + c] = grid[src + c];
        wi[dst + c] = c + h < m ? grid[src + c + h] : 0;
      }
    }
    // Rows m … size/2 − 1 are real zero padding (earlier calls left data there); rows ≥ size/2 are
    // skipped by the pruned first stage.
    for (let y = m; y < half; y++) {
      wr.fill(0, y * size, y * size + h);
      wi.fill(0, y * size, y * size + h);
    }
    this.difRows(wr, wi, 0, h, true);
    // Separate the two real columns' spectra, Z(k) = A(k) + i·B(k) with A, B Hermitian:
    // A = (Z(k) + Z(−k)*) / 2, B = (Z(k) − Z(−k)*) / 2i; and transpose to [x][ky], for ky ≤ size/2 only.
    const sr = this.specRe;
    const si = this.specIm;
    // Tiles keep both the strided reads and the strided writes of the transpose within cache.
    for (let k0 = 0; k0 <= half; k0 += TILE) {
      const k1 = Math.min(half + 1, k0 + TILE);
      for (let c0 = 0; c0 < h; c0 += TILE) {
        const c1 = Math.min(h, c0 + TILE);
        for (let ky = k0; ky < k1; ky++) {
          const r = bitrev[ky] * size;
          const rNeg = bitrev[(size - ky) & (size - 1)] * size;
          for (let c = c0; c < c1; c++) {
            const a = wr[r + c];
            const b = wi[r + c];
            const cc = wr[rNeg + c];
            const dd = wi[rNeg + c];
            sr[c * size + ky] = 0.5 * (a + cc);
            si[c * size + ky] = 0.5 * (b - dd);
            if (c + h < m) {
              sr[(c + h) * size + ky] = 0.5 * (b + dd);
              si[(c + h) * size + ky] = 0.5 * (cc - a);
            }
          }
        }
      }
    }
    for (let x = m; x < half; x++) {
      sr.fill(0, x * size, x * size + half + 1);
      si.fill(0, x * size, x * size + half + 1);
    }
    this.difRows(sr, si, 0, half + 1, true);
    // Columns ky > size/2 are never written: readers use S(kx, ky) = S(−kx, −ky)* instead.
  }

  /**
   * ⟨grid, grid ⊛ ka⟩ = Σ_{x, x'} grid[x]·grid[x']·ka(x − x') for a spectrum made with an even ka
   * (ka(−δ) = ka(δ)) and kb = 0, whose spectrum is real: Parseval, Σ_k |S(k)|²·K(k).
   */
  quadraticForm(spectrum: GridSpectrum): number {
    const { size } = this;
    const half = size >> 1;
    const sr = this.specRe;
    const si = this.specIm;
    const kr = spectrum.re;
    // Only ky ≤ size/2 is stored; |S|² and an even kernel's K are both symmetric under k → −k,
    // so columns strictly between 0 and size/2 stand for two.
    let sum = 0;
    for (let r = 0; r < size; r++) {
      const o = r * size;
      let rowSum = 0;
      for (let ky = 1; ky < half; ky++) rowSum += (sr[o + ky] * sr[o + ky] + si[o + ky] * si[o + ky]) * kr[o + ky];
      const e = o + half;
      sum += 2 * rowSum + (sr[o] * sr[o] + si[o] * si[o]) * kr[o] + (sr[e] * sr[e] + si[e] * si[e]) * kr[e];
    }
    return sum;
  }

  /** grid ⊛ ka and grid ⊛ kb into workRe / workIm: row y at y·size, columns x < m. */
  private convolveIntoWork(spectrum: GridSpectrum): void {
    const { m, size, bitrev } = this;
    const sr = this.specRe;
    const si = this.specIm;
    const kr = spectrum.re;
    const ki = spectrum.im;
    const ar = this.auxRe;
    const ai = this.auxIm;
    const half = size >> 1;
    const negRow = this.negRow;
    const simd = this.simd && size >= 4 ? this.simd : null;
    let kRe = kr;
    let kIm = ki;
    if (simd) {
      // The kernel spectrum goes into the kernels' memory once per spectrum (a new one comes only with a new grid).
      if (this.kernelInMemory !== spectrum) {
        simd.arrays[6].set(kr);
        simd.arrays[7].set(ki);
        this.kernelInMemory = spectrum;
      }
      kRe = simd.arrays[6];
      kIm = simd.arrays[7];
    }
    for (let r = 0; r < size; r++) {
      const o = r * size;
      // The unstored half: S(kx, ky) = S(−kx, size − ky)*.
      const oNeg = negRow[r] * size + size;
      // With SIMD, all but ky = half and ky = size − 1 in the kernels (even runs: half is even).
      if (simd) {
        simd.cmul(sr, si, kRe, kIm, ar, ai, o, half);
        simd.cmulMirror(sr, si, oNeg - (half + 1), kRe, kIm, ar, ai, o + half + 1, half - 2);
      }
      for (let ky = simd ? half : 0; ky <= half; ky++) {
        const a = sr[o + ky];
        const b = si[o + ky];
        const c = kRe[o + ky];
        const d = kIm[o + ky];
        ar[o + ky] = a * c - b * d;
        ai[o + ky] = a * d + b * c;
      }
      for (let ky = simd ? size - 1 : half + 1; ky < size; ky++) {
        const a = sr[oNeg - ky];
        const b = -si[oNeg - ky];
        const c = kRe[o + ky];
        const d = kIm[o + ky];
        ar[o + ky] = a * c - b * d;
        ai[o + ky] = a * d + b * c;
      }
    }
    // Rows are kx: back to x, of which only x < m is wanted.
    this.ditRows(ar, ai, 0, size, true);
    // Transpose to [ky][x] with ky back in bit-reversed order for the second inverse pass.
    const wr = this.workRe;
    const wi = this.workIm;
    for (let x0 = 0; x0 < m; x0 += TILE) {
      const x1 = Math.min(m, x0 + TILE);
      for (let k0 = 0; k0 < size; k0 += TILE) {
        const k1 = Math.min(size, k0 + TILE);
        for (let ky = k0; ky < k1; ky++) {
          const dst = bitrev[ky] * size;
          for (let x = x0; x < x1; x++) {
            wr[dst + x] = ar[x * size + ky];
            wi[dst + x] = ai[x * size + ky];
          }
        }
      }
    }
    this.ditRows(wr, wi, 0, m, true);
  }

  /**
   * outA = grid ⊛ ka and outB = grid ⊛ kb (both m × m row-major), for the spectrum of ka + i·kb:
   * out[y][x] = Σ_{y', x'} grid[y'][x'] · k(x − x', y − y').
   */
  convolvePair(spectrum: GridSpectrum, outA: Float64Array, outB: Float64Array): void {
    this.convolveIntoWork(spectrum);
    const { m, size } = this;
    const wr = this.workRe;
    const wi = this.workIm;
    for (let y = 0; y < m; y++) {
      const src = y * size;
      const dst = y * m;
      for (let x = 0; x < m; x++) {
        outA[dst + x] = wr[src + x];
        outB[dst + x] = wi[src + x];
      }
    }
  }

  /**
   * `convolvePair` with both results in one array, interleaved: out[2(y·m + x)] = (grid ⊛ ka)[y][x],
   * out[2(y·m + x) + 1] = (grid ⊛ kb)[y][x] — for readers that want both at a node (one cache line).
   */
  convolvePairInterleaved(spectrum: GridSpectrum, out: Float64Array): void {
    this.convolveIntoWork(spectrum);
    const { m, size } = this;
    const wr = this.workRe;
    const wi = this.workIm;
    for (let y = 0; y < m; y++) {
      const src = y * size;
      const dst = 2 * y * m;
      for (let x = 0; x < m; x++) {
        out[dst + 2 * x] = wr[src + x];
        out[dst + 2 * x + 1] = wi[src + x];
      }
    }
  }
}

function transposeSquare(a: Float64Array, size: number): void {
  for (let y = 0; y < size; y++) {
    for (let x = y + 1; x < size; x++) {
      const i = y * size + x;
      const j = x * size + y;
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
