/** Time estimates as arithmetic and formatting (never timed). */
import { describe, expect, it } from 'vitest';
import { CNN_TO_DENSE_SPEED, expectedSpeed, trainingSeconds } from '../../src/state/estimate';
import { secondsLeft, type RunState } from '../../src/state/runs';
import { formatDuration, plural } from '../../src/ui/format';
import { recordFor } from './state-fixtures';

describe('time estimates', () => {
  it('prefers a measured speed, else scales the warm-up’s dense speed for the CNNs by backend kind', () => {
    expect(expectedSpeed('cnn_elu', 'wasm', 2080, 6000)).toBe(2080);
    expect(expectedSpeed('dense', 'wasm', null, 6000)).toBe(6000);
    expect(expectedSpeed('cnn_relu', 'wasm', null, 6000)).toBeCloseTo(6000 * CNN_TO_DENSE_SPEED.wasm);
    expect(expectedSpeed('cnn_relu', 'webgpu', null, 20_000)).toBeCloseTo(12_000);
    expect(expectedSpeed('dense', 'wasm', null, null)).toBeNull();
    expect(expectedSpeed('dense', null, null, 6000)).toBeNull();
    expect(expectedSpeed('dense', 'wasm', Number.NaN, 0)).toBeNull();
  });

  it('the reference schedule at 2,000 images/s is 10 minutes; a run half done has half left', () => {
    expect(trainingSeconds(20, 60_000, 2000)).toBe(600);
    expect(formatDuration(600)).toBe('10 min');
    const run: RunState = { ...recordFor('a', { settings: { ...recordFor('a').settings, epochs: 2, trainSize: 512, batchSize: 256 }, position: { epochsCompleted: 1, batch: 0, batchesPerEpoch: 2 }, history: [] }), status: 'running', reconstructions: null, kept: true, deleting: false, savedAt: null, measuring: null };
    // 2 batches of 256 left at 256 images/s.
    expect(secondsLeft(run, 256)).toBe(2);
    expect(secondsLeft(run, null)).toBeNull();
    // The run's own last epoch speed wins over the estimate passed in.
    expect(secondsLeft({ ...run, history: [{ epoch: 1, trainLoss: 0.1, testMse: 0.1, trainSeconds: 1, samplesPerSec: 512 }] }, 256)).toBe(1);
  });

  it('formats durations and counts for people', () => {
    expect([formatDuration(0.2), formatDuration(45), formatDuration(89), formatDuration(90), formatDuration(3 * 3600 + 20 * 60)]).toEqual(['1 s', '45 s', '89 s', '2 min', '3 h 20 min']);
    expect(formatDuration(Number.NaN)).toBe('–');
    expect([plural(1, 'epoch'), plural(3, 'epoch'), plural(60000, 'image')]).toEqual(['1 epoch', '3 epochs', '60,000 images']);
  });
});
