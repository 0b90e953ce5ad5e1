import { describe, expect, it } from 'vitest';
import { fft, GridConvolver, nextPowerOfTwo } from '../../src/analysis/fft';
import { SplitKernels } from '../../src/analysis/tsneFft';
import { mulberry32 } from '../../src/analysis/rng';

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
