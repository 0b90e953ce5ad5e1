import { describe, expect, it } from 'vitest';
import { difRows, ditRows, fft, FftPlan, GridConvolver, nextPowerOfTwo } from '../../src/analysis/fft';
import { FftSimd } from '../../src/analysis/wasm/fft-simd';
import { FftRepulsion, interpolate3, nearPairs, SplitKernels } from '../../src/analysis/tsneFft';
import { gaussian, mulberry32, type Rng } from '../../src/analysis/rng';
import { RepulsionSimd } from '../../src/analysis/wasm/tsne-simd';

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * j * k) / n;
      outRe[k] += re[j] * Math.cos(a) - im[j] * Math.sin(a);
      outIm[k] += re[j] * Math.sin(a) + im[j] * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

describe('fft', () => {
  it('matches a naive DFT and inverts itself', () => {
    const rng = mulberry32(1);
    for (const n of [1, 2, 4, 8, 64]) {
      const re = Float64Array.from({ length: n }, () => rng() - 0.5);
      const im = Float64Array.from({ length: n }, () => rng() - 0.5);
      const [er, ei] = naiveDft(re, im);
      const r2 = re.slice();
      const i2 = im.slice();
      fft(r2, i2);
      for (let k = 0; k < n; k++) {
        expect(r2[k]).toBeCloseTo(er[k], 10);
        expect(i2[k]).toBeCloseTo(ei[k], 10);
      }
      fft(r2, i2, true);
      for (let k = 0; k < n; k++) {
        expect(r2[k]).toBeCloseTo(re[k], 12);
        expect(i2[k]).toBeCloseTo(im[k], 12);
      }
    }
  });

  it('nextPowerOfTwo', () => {
    expect([1, 2, 3, 5, 64, 65].map(nextPowerOfTwo)).toEqual([1, 2, 4, 8, 64, 128]);
  });
});

describe('GridConvolver', () => {
  it('computes linear 2-D convolutions with two packed asymmetric kernels, repeatedly', () => {
    const rng = mulberry32(2);
    for (const m of [1, 3, 5, 8, 13]) {
      const conv = new GridConvolver(m);
      expect(conv.size).toBeGreaterThanOrEqual(2 * m - 1);
      const ka = (dx: number, dy: number): number => 1 / (1 + dx * dx + 0.5 * dy * dy) + 0.1 * dx;
      const kb = (dx: number, dy: number): number => dy / (1 + dx * dx + dy * dy) ** 2 - 0.05 * dx * dy;
      const spec = conv.kernelSpectrum(ka, kb);
      // Several grids in a row: stale buffers from an earlier call must not leak into the next.
      for (let rep = 0; rep < 3; rep++) {
        const grid = Float64Array.from({ length: m * m }, () => rng() * 2 - 1);
        const outA = new Float64Array(m * m);
        const outB = new Float64Array(m * m);
        conv.load(grid);
        conv.convolvePair(spec, outA, outB);
        for (let y = 0; y < m; y++) {
          for (let x = 0; x < m; x++) {
            let a = 0;
            let b = 0;
            for (let y2 = 0; y2 < m; y2++) {
              for (let x2 = 0; x2 < m; x2++) {
                a += grid[y2 * m + x2] * ka(x - x2, y - y2);
                b += grid[y2 * m + x2] * kb(x - x2, y - y2);
              }
            }
            expect(outA[y * m + x]).toBeCloseTo(a, 10);
            expect(outB[y * m + x]).toBeCloseTo(b, 10);
          }
        }
      }
    }
  });
});

describe('GridConvolver.quadraticForm', () => {
  it('equals ⟨grid, grid ⊛ k⟩ for an even kernel', () => {
    const rng = mulberry32(5);
    for (const m of [1, 4, 7]) {
      const conv = new GridConvolver(m);
      const k = (dx: number, dy: number): number => 1 / (1 + dx * dx + dy * dy);
      const spec = conv.kernelSpectrum(k, () => 0);
      const grid = Float64Array.from({ length: m * m }, () => rng());
      conv.load(grid);
      let expected = 0;
      for (let a = 0; a < m * m; a++) {
        for (let b = 0; b < m * m; b++) {
          expected += grid[a] * grid[b] * k((a % m) - (b % m), Math.floor(a / m) - Math.floor(b / m));
        }
      }
      expect(conv.quadraticForm(spec)).toBeCloseTo(expected, 9);
    }
  });
});

describe('SplitKernels', () => {
  it('equal the kernels beyond the radius and meet them smoothly at it', () => {
    for (const degree of [0, 1, 2, 3]) {
      const split = new SplitKernels(2.5, degree);
      const u0 = split.radius2;
      for (const u of [u0, u0 + 0.1, 10, 100]) {
        expect(split.far1(u)).toBeCloseTo(1 / (1 + u), 14);
        expect(split.far2(u)).toBeCloseTo(1 / (1 + u) ** 2, 14);
      }
      // Continuous value and (for degree ≥ 1) slope across the seam.
      const h = 1e-6;
      expect(split.far1(u0 - h)).toBeCloseTo(1 / (1 + u0 - h), 6);
      if (degree >= 1) {
        const slopeInside = (split.far2(u0) - split.far2(u0 - h)) / h;
        expect(slopeInside).toBeCloseTo(-2 / (1 + u0) ** 3, 5);
      }
      // Inside, the far part stays bounded by the kernel's own peak.
      for (let u = 0; u < u0; u += 0.5) expect(Math.abs(split.far1(u))).toBeLessThanOrEqual(1);
    }
    expect(() => new SplitKernels(1, SplitKernels.MAX_DEGREE + 1)).toThrow();
  });
});

/** n clustered points (a few tight blobs plus a sparse spread), n × 2 row-major. */
function clustered(n: number, width: number, rng: Rng): Float64Array {
  const y = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const blob = i % 5;
    const spread = blob === 4 ? width / 3 : width / 40;
    y[2 * i] = (blob % 2) * width * 0.6 + spread * gaussian(rng);
    y[2 * i + 1] = (blob >> 1) * width * 0.3 + spread * gaussian(rng);
  }
  return y;
}

/** Cell-ordered copy of y on a side × side list of cells `cell` wide, as FftRepulsion builds it. */
function cellList(y: Float64Array, n: number, side: number, cell: number): { cellStart: Int32Array; xs: Float64Array; ys: Float64Array } {
  let minX = Infinity;
  let minY = Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, y[2 * i]);
    minY = Math.min(minY, y[2 * i + 1]);
  }
  const cellOf = new Int32Array(n);
  const cellStart = new Int32Array(side * side + 1);
  for (let i = 0; i < n; i++) {
    const cx = Math.min(side - 1, Math.floor((y[2 * i] - minX) / cell));
    const cy = Math.min(side - 1, Math.floor((y[2 * i + 1] - minY) / cell));
    cellOf[i] = cy * side + cx;
    cellStart[cellOf[i] + 1]++;
  }
  for (let c = 0; c < side * side; c++) cellStart[c + 1] += cellStart[c];
  const fill = cellStart.slice();
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const at = fill[cellOf[i]]++;
    xs[at] = y[2 * i];
    ys[at] = y[2 * i + 1];
  }
  return { cellStart, xs, ys };
}

describe('near field', () => {
  it('nearPairs sums the exact-minus-far kernels over exactly the pairs within the radius', () => {
    const rng = mulberry32(31);
    for (const [n, side, degree] of [
      [1, 1, 1],
      [37, 3, 1],
      [501, 7, 1],
      [800, 11, 3],
    ]) {
      const y = clustered(n, 12, rng);
      let span = 0;
      for (let e = 0; e < 2 * n; e++) span = Math.max(span, Math.abs(y[e]));
      const cell = (2 * span + 1) / side;
      const split = new SplitKernels(2 * cell, degree);
      const { cellStart, xs, ys } = cellList(y, n, side, cell);
      const fxs = new Float64Array(n);
      const fys = new Float64Array(n);
      const dz = nearPairs(0, side, side, 2, cellStart, xs, ys, fxs, fys, split);
      // Brute force over all pairs of the cell-ordered points.
      const expected = new Float64Array(2 * n);
      let expectedZ = 0;
      for (let a = 0; a < n; a++) {
        for (let b = a + 1; b < n; b++) {
          const dx = xs[a] - xs[b];
          const dy = ys[a] - ys[b];
          const u = dx * dx + dy * dy;
          if (u >= split.radius2) continue;
          expectedZ += 1 / (1 + u) - split.far1(u);
          const g = 1 / (1 + u) ** 2 - split.far2(u);
          expected[a] += g * dx;
          expected[n + a] += g * dy;
          expected[b] -= g * dx;
          expected[n + b] -= g * dy;
        }
      }
      let scale = 1e-300;
      for (let e = 0; e < 2 * n; e++) scale = Math.max(scale, Math.abs(expected[e]));
      const force = [...fxs, ...fys];
      for (let e = 0; e < 2 * n; e++) expect(Math.abs(force[e] - expected[e])).toBeLessThan(1e-12 * scale);
      expect(Math.abs(dz - expectedZ)).toBeLessThanOrEqual(1e-12 * Math.abs(expectedZ));
    }
  });

  it('the SIMD kernel equals nearPairs bit for bit, over whole lists and row ranges', () => {
    const rng = mulberry32(32);
    const simd = RepulsionSimd.create();
    expect(simd).not.toBeNull();
    if (!simd) return;
    for (const [n, side, degree] of [
      [2, 1, 1],
      [333, 5, 1],
      [2000, 13, 2],
      [700, 4, 0],
    ]) {
      const y = clustered(n, 20, rng);
      let span = 0;
      for (let e = 0; e < 2 * n; e++) span = Math.max(span, Math.abs(y[e]));
      const cell = (2 * span + 1) / side;
      const split = new SplitKernels(1.7 * cell, degree);
      const { cellStart, xs, ys } = cellList(y, n, side, cell);
      const mid = Math.floor(side / 2);
      for (const [from, to] of [
        [0, side],
        [0, mid],
        [mid, side],
      ]) {
        const fxs = new Float64Array(n);
        const fys = new Float64Array(n);
        const dz = nearPairs(from, to, side, 2, cellStart, xs, ys, fxs, fys, split);
        const views = simd.reserve(n, side * side + 1, 4, 3);
        views.xs.set(xs);
        views.ys.set(ys);
        views.cellStart.set(cellStart);
        views.fxs.fill(0, 0, n);
        views.fys.fill(0, 0, n);
        expect(simd.nearPairs(from, to, side, 2, split)).toBe(dz);
        expect(Array.from(views.fxs.subarray(0, n))).toEqual(Array.from(fxs));
        expect(Array.from(views.fys.subarray(0, n))).toEqual(Array.from(fys));
      }
    }
  });

  it('the SIMD interpolation equals interpolate3 bit for bit', () => {
    const rng = mulberry32(34);
    const simd = RepulsionSimd.create();
    if (!simd) throw new Error('no SIMD kernels');
    for (const [n, m] of [
      [1, 3],
      [7, 5],
      [1001, 64],
    ]) {
      const views = simd.reserve(n, 2, m * m, 3);
      for (let e = 0; e < 2 * m * m; e++) views.phi[e] = gaussian(rng);
      for (let i = 0; i < n; i++) {
        views.baseX[i] = Math.floor(rng() * (m - 2));
        views.baseY[i] = Math.floor(rng() * (m - 2));
        for (let a = 0; a < 3; a++) {
          views.wx[3 * i + a] = gaussian(rng);
          views.wy[3 * i + a] = gaussian(rng);
        }
      }
      const reference = new Float64Array(2 * n);
      interpolate3(views.phi, m, n, views.baseX, views.baseY, views.wx, views.wy, reference);
      simd.interpolate3(n, m);
      expect(Array.from(views.interp.subarray(0, 2 * n))).toEqual(Array.from(reference));
    }
  });

  it('FftRepulsion gives the same forces and Z with and without the SIMD kernels', () => {
    const rng = mulberry32(33);
    const n = 3001;
    const withSimd = new FftRepulsion();
    const withoutSimd = new FftRepulsion({ simd: false });
    // A growing map: re-planned grids, a near field that appears and widens.
    for (const width of [0.5, 5, 40, 150, 160]) {
      const y = clustered(n, width, rng);
      const a = new Float64Array(2 * n);
      const b = new Float64Array(2 * n);
      expect(withSimd.compute(y, n, a)).toBe(withoutSimd.compute(y, n, b));
      expect(Array.from(a)).toEqual(Array.from(b));
    }
  });
});

describe('FFT row passes in WebAssembly SIMD', () => {
  it('leave GridConvolver results unchanged, bit for bit', () => {
    const rng = mulberry32(42);
    for (const m of [1, 5, 16, 33]) {
      const withSimd = new GridConvolver(m);
      const withoutSimd = new GridConvolver(m, { simd: false });
      const ka = (dx: number, dy: number): number => 1 / (1 + 0.3 * (dx * dx + dy * dy));
      const kb = (dx: number, dy: number): number => (dx - 0.5 * dy) / (1 + dx * dx + dy * dy) ** 2;
      const spectra = [withSimd.kernelSpectrum(ka, kb), withoutSimd.kernelSpectrum(ka, kb)];
      expect(Array.from(spectra[0].re)).toEqual(Array.from(spectra[1].re));
      expect(Array.from(spectra[0].im)).toEqual(Array.from(spectra[1].im));
      for (let trial = 0; trial < 2; trial++) {
        const grid = Float64Array.from({ length: m * m }, () => gaussian(rng));
        const outs = [0, 1].map(() => [new Float64Array(m * m), new Float64Array(m * m)]);
        [withSimd, withoutSimd].forEach((conv, c) => {
          conv.load(grid);
          conv.convolvePair(spectra[c], outs[c][0], outs[c][1]);
        });
        expect(withSimd.quadraticForm(spectra[0])).toBe(withoutSimd.quadraticForm(spectra[1]));
        expect(Array.from(outs[0][0])).toEqual(Array.from(outs[1][0]));
        expect(Array.from(outs[0][1])).toEqual(Array.from(outs[1][1]));
        // The interleaved form holds the same values.
        const interleaved = new Float64Array(2 * m * m);
        withSimd.convolvePairInterleaved(spectra[0], interleaved);
        expect(Array.from(interleaved.filter((_, e) => e % 2 === 0))).toEqual(Array.from(outs[0][0]));
        expect(Array.from(interleaved.filter((_, e) => e % 2 === 1))).toEqual(Array.from(outs[0][1]));
      }
    }
  });

  it('equal difRows and ditRows bit for bit (all stage counts, odd column runs, pruned or not)', () => {
    const rng = mulberry32(41);
    for (const size of [2, 4, 8, 16, 32, 64, 128]) {
      const stride = size + 3;
      const length = size * stride;
      const simd = FftSimd.create(2, length);
      expect(simd).not.toBeNull();
      if (!simd) return;
      const [re, im] = simd.arrays;
      const plan = new FftPlan(size);
      for (const [colStart, colEnd] of [
        [0, stride],
        [1, stride - 1],
        [2, 3],
        [0, 2],
      ]) {
        for (const flag of [false, true]) {
          for (const pass of ['dif', 'dit'] as const) {
            for (let e = 0; e < length; e++) {
              re[e] = gaussian(rng);
              im[e] = gaussian(rng);
            }
            const refRe = re.slice();
            const refIm = im.slice();
            if (pass === 'dif') {
              difRows(refRe, refIm, stride, colStart, colEnd, plan, flag);
              simd.difRows(re, im, stride, colStart, colEnd, plan, flag);
            } else {
              ditRows(refRe, refIm, stride, colStart, colEnd, plan, flag);
              simd.ditRows(re, im, stride, colStart, colEnd, plan, flag);
            }
            expect(Array.from(re)).toEqual(Array.from(refRe));
            expect(Array.from(im)).toEqual(Array.from(refIm));
          }
        }
      }
    }
  });
});
