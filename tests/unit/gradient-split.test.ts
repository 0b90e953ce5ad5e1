import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analysis/rng';
import {
  type BlockKernel,
  gradientBlocks,
  gradientControl,
  type GradientJob,
  GradientSplitter,
  markHelperReady,
  MAX_BLOCKS,
  serveGradients,
  servePending,
} from '../../src/models/gradient-split';
import { blockKernelOf, weightGradientKernels, weightGradientReference } from '../../src/models/wasm/weight-gradient-simd';

describe('gradientBlocks', () => {
  const shapes: [number, number][] = [
    [4, 32],
    [128, 64],
    [3136, 64],
    [64, 3136],
    [12, 8],
    [4, 8],
  ];
  for (const [k, n] of shapes) {
    for (const parts of [1, 2, 3, 8]) {
      it(`dW [${k}, ${n}] in ${parts} part(s): whole tiles covering every entry once`, () => {
        const blocks = gradientBlocks(k, n, parts);
        const covered = new Uint8Array(k * n);
        for (const { k0, k1, n0, n1 } of blocks) {
          expect([k0 % 4, k1 % 4, n0 % 8, n1 % 8]).toEqual([0, 0, 0, 0]);
          expect(k1).toBeGreaterThan(k0);
          expect(n1).toBeGreaterThan(n0);
          for (let a = k0; a < k1; a++) for (let b = n0; b < n1; b++) covered[a * n + b]++;
        }
        expect(covered.every((c) => c === 1)).toBe(true);
        const tiles = Math.max(k / 4, n / 8);
        expect(blocks.length).toBe(Math.min(parts, tiles, MAX_BLOCKS));
      });
    }
  }

  it('cuts along the dimension with more tiles, so the narrower operand is the one both threads read', () => {
    expect(gradientBlocks(128, 64, 2).map((b) => [b.k0, b.k1, b.n0, b.n1])).toEqual([
      [0, 64, 0, 64],
      [64, 128, 0, 64],
    ]);
    expect(gradientBlocks(4, 32, 2).map((b) => [b.k0, b.k1, b.n0, b.n1])).toEqual([
      [0, 4, 0, 16],
      [0, 4, 16, 32],
    ]);
  });
});

/** A job on a fresh shared memory laid out as tfjs would: x [rows, k], dz [rows, n], dW [k, n] (garbage-filled). */
function sharedJob(rows: number, k: number, n: number, seed: number) {
  const bytes = 4 * (rows * k + rows * n + k * n) + 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536), maximum: Math.ceil(bytes / 65536), shared: true });
  const kernels = weightGradientKernels(memory, 'plain');
  if (!kernels) throw new Error('no SIMD kernels');
  const rng = mulberry32(seed);
  const job: GradientJob = { rows, k, n, x: 16, dz: 16 + 4 * rows * k, dw: 16 + 4 * (rows * k + rows * n) };
  const x = new Float32Array(memory.buffer, job.x, rows * k);
  const dz = new Float32Array(memory.buffer, job.dz, rows * n);
  x.forEach((_, i) => (x[i] = rng() * 2 - 1));
  dz.forEach((_, i) => (dz[i] = rng() * 2 - 1));
  new Float32Array(memory.buffer, job.dw, k * n).fill(7);
  const expected = weightGradientReference(x.slice(), dz.slice(), rows, k, n);
  const result = () => Array.from(new Float32Array(memory.buffer, job.dw, k * n));
  return { memory, job, kernel: blockKernelOf(kernels), expected: Array.from(expected), result };
}

describe('GradientSplitter (one thread playing both sides)', () => {
  it('shares a job with a helper that claims a block while the training thread computes its first: the same bits as one call', () => {
    const { job, kernel, expected, result } = sharedJob(300, 16, 40, 1);
    const control = gradientControl();
    markHelperReady(control);
    const splitter = new GradientSplitter(control);
    let helperBlocks = 0;
    // The helper runs "meanwhile": inside the training thread's first block.
    const training: BlockKernel = (j, b) => {
      if (helperBlocks === 0) helperBlocks += servePending(control, kernel, 1);
      kernel(j, b);
    };
    const report = splitter.run(job, gradientBlocks(job.k, job.n, 3), training);
    expect(report).toEqual({ here: 2, helper: 1 });
    expect(helperBlocks).toBe(1);
    expect(result()).toEqual(expected);
  });

  it('computes every block itself while the helper has not said READY', () => {
    const { job, kernel, expected, result } = sharedJob(64, 8, 16, 2);
    const splitter = new GradientSplitter(gradientControl());
    expect(splitter.helperActive).toBe(false);
    expect(splitter.run(job, gradientBlocks(job.k, job.n, 2), kernel)).toEqual({ here: 2, helper: 0 });
    expect(result()).toEqual(expected);
  });

  it('does not wait on a ready helper that never wakes: the training thread takes every block', () => {
    const { job, kernel, expected, result } = sharedJob(64, 8, 16, 3);
    const control = gradientControl();
    markHelperReady(control);
    const started = performance.now();
    expect(new GradientSplitter(control, 60_000).run(job, gradientBlocks(job.k, job.n, 2), kernel)).toEqual({ here: 2, helper: 0 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result()).toEqual(expected);
  });

  it('recomputes a block the helper took and never finished, and stops counting on that helper', () => {
    const { job, kernel, expected, result } = sharedJob(64, 8, 16, 4);
    const control = gradientControl();
    markHelperReady(control);
    const splitter = new GradientSplitter(control, 50);
    const stuck: BlockKernel = () => {
      throw new Error('the helper stalls');
    };
    let stalled = false;
    const training: BlockKernel = (j, b) => {
      if (!stalled) {
        stalled = true;
        expect(() => servePending(control, stuck, 1)).toThrow('the helper stalls');
      }
      kernel(j, b);
    };
    expect(splitter.run(job, gradientBlocks(job.k, job.n, 2), training)).toEqual({ here: 2, helper: 0 });
    expect(result()).toEqual(expected);
    expect(splitter.helperActive).toBe(false);
  });

  it('leaves a helper that wakes after the job ended nothing to claim, and nothing of the next job to take early', () => {
    const first = sharedJob(64, 8, 16, 5);
    const control = gradientControl();
    markHelperReady(control);
    const splitter = new GradientSplitter(control);
    splitter.run(first.job, gradientBlocks(8, 16, 2), first.kernel);
    expect(servePending(control, first.kernel)).toBe(0);
    // The next job: a late helper serving it claims its blocks, not the old job's.
    const second = sharedJob(64, 8, 16, 6);
    let served = 0;
    const training: BlockKernel = (j, b) => {
      served += servePending(control, second.kernel, 1);
      second.kernel(j, b);
    };
    expect(splitter.run(second.job, gradientBlocks(8, 16, 2), training)).toEqual({ here: 1, helper: 1 });
    expect(served).toBe(1);
    expect(second.result()).toEqual(second.expected);
  });

  it('a stopped helper leaves its loop at once, even when stopped before it started serving', () => {
    const control = gradientControl();
    new GradientSplitter(control).stop();
    expect(serveGradients(control, () => undefined)).toBe(0);
  });
});

describe('GradientSplitter with the helper on a real second thread (a Node worker thread)', () => {
  it('splits jobs with it: the same bits as one call, and every block the helper says it computed is one a job counted', async () => {
    // A worker thread cannot load TypeScript: bundle the helper's entry with Vite first.
    const dir = mkdtempSync(join(tmpdir(), 'gradient-helper-'));
    try {
      await build({
        configFile: false,
        logLevel: 'silent',
        publicDir: false,
        build: { ssr: join(__dirname, 'fixtures/gradient-helper-thread.ts'), outDir: dir, emptyOutDir: true, minify: false },
      });
      const { memory, job, kernel, expected, result } = sharedJob(40_000, 32, 64, 7);
      const control = gradientControl();
      const worker = new Worker(join(dir, 'gradient-helper-thread.js'), { workerData: { memory, control } });
      const served = new Promise<number>((resolve) => worker.once('message', (m: { served: number }) => resolve(m.served)));
      const splitter = new GradientSplitter(control);
      const deadline = Date.now() + 30_000;
      while (!splitter.helperActive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(splitter.helperActive).toBe(true);
      let helperBlocks = 0;
      for (let run = 0; run < 10; run++) {
        new Float32Array(memory.buffer, job.dw, job.k * job.n).fill(7);
        const report = splitter.run(job, gradientBlocks(job.k, job.n, 2), kernel);
        expect(report.here + report.helper).toBe(2);
        helperBlocks += report.helper;
        expect(result()).toEqual(expected);
      }
      // Each job takes milliseconds; the helper wakes in microseconds, so it takes part.
      expect(helperBlocks).toBeGreaterThan(0);
      splitter.stop();
      expect(await served).toBe(helperBlocks);
      await worker.terminate();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
