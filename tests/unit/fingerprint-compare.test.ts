import { describe, expect, it } from 'vitest';
import { datasetFingerprint } from '../../src/data/fingerprint';
import { groupByArch, median } from '../../src/state/compare';
import type { RunState } from '../../src/state/runs';
import { recordFor } from './state-fixtures';

describe('data set fingerprints', () => {
  const train = Uint8Array.of(5, 0, 4, 1);
  const test = Uint8Array.of(7, 2);
  const preview = new Float32Array(784).fill(0.5);
  it('is 8 hex digits, stable, and FNV-1a of counts, labels and preview bytes', () => {
    expect(datasetFingerprint(train, test, preview)).toMatch(/^[0-9a-f]{8}$/);
    expect(datasetFingerprint(train, test, preview)).toBe(datasetFingerprint(Uint8Array.from(train), Uint8Array.from(test), Float32Array.from(preview)));
    // Known answer: an empty data set hashes just its two counts, 8 zero bytes (FNV-1a 32, computed independently).
    expect(datasetFingerprint(new Uint8Array(0), new Uint8Array(0), new Float32Array(0))).toBe('9be17165');
  });
  it('changes with any label, any count or the preview pixels, not with float rounding', () => {
    const base = datasetFingerprint(train, test, preview);
    expect(datasetFingerprint(Uint8Array.of(5, 0, 4, 2), test, preview)).not.toBe(base);
    expect(datasetFingerprint(train, Uint8Array.of(7, 2, 1), preview)).not.toBe(base);
    expect(datasetFingerprint(train, test, new Float32Array(784).fill(0.6))).not.toBe(base);
    expect(datasetFingerprint(train, test, new Float32Array(784).fill(0.5 + 1e-7))).toBe(base);
  });
});

const runOf = (id: string, arch: RunState['settings']['arch'], testMse: number | null): RunState => ({
  ...recordFor(id, { settings: { ...recordFor(id).settings, arch }, final: testMse === null ? null : { testMse, deadUnits: 4 }, history: [] }),
  status: 'completed',
  reconstructions: null,
  kept: true,
  deleting: false,
  savedAt: null, measuring: null,
});

describe('comparing runs grouped by architecture', () => {
  it('gives count, mean, sample standard deviation, median and range per architecture', () => {
    const groups = groupByArch([runOf('a', 'cnn_elu', 0.0051), runOf('b', 'cnn_elu', 0.0061), runOf('c', 'cnn_elu', 0.0059), runOf('d', 'dense', 0.0055), runOf('e', 'dense', null)]);
    expect(groups.map((g) => g.arch)).toEqual(['dense', 'cnn_elu']);
    const elu = groups[1];
    expect(elu.runs).toBe(3);
    expect(elu.mean).toBeCloseTo(0.0057, 10);
    expect(elu.sd).toBeCloseTo(Math.sqrt(((0.0051 - 0.0057) ** 2 + (0.0061 - 0.0057) ** 2 + (0.0059 - 0.0057) ** 2) / 2), 10);
    expect(elu.median).toBe(0.0059);
    expect([elu.min, elu.max]).toEqual([0.0051, 0.0061]);
    // One run has no spread.
    expect(groups[0]).toMatchObject({ runs: 1, mean: 0.0055 });
    expect(Number.isNaN(groups[0].sd)).toBe(true);
    expect(median([])).toBeNaN();
    expect(median([3, 1, 2, 4])).toBe(2.5);
  });
});
