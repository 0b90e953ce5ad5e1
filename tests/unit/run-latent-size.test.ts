/**
 * Runs with a chosen code size and input noise in records and run files: older records without the fields read
 * as the reference (64, no noise), a 2-d run's file round-trips with weights built at 2, and a code size
 * outside the list, or weights of another size, are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder } from '../../src/models/architectures';
import { writeWeights } from '../../src/worker/engine/model-store';
import { checkRunWeights, exportRunFile, importRunFile, runFileChecksum } from '../../src/worker/engine/run-files';
import { normalizeRunRecord } from '../../src/worker/engine/run-records';
import { MNIST } from './state-fixtures';
import { adamFor, expectSameArrays, predictions, runRecord, weightsOf } from './run-fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const newId = () => 'unused';

describe('code size and noise of saved runs', () => {
  it('a record written before they existed reads as code size 64 without noise', () => {
    const { latentDim: _d, noise: _n, ...older } = runRecord('dense').settings;
    const record = normalizeRunRecord({ ...runRecord('dense'), settings: older });
    expect(record.settings.latentDim).toBe(64);
    expect(record.settings.noise).toEqual({ kind: 'none' });
  });

  it('keeps a chosen code size and noise, and refuses sizes outside the list and bad noise', () => {
    const base = runRecord('cnn_elu');
    const noisy = normalizeRunRecord({ ...base, settings: { ...base.settings, latentDim: 2, noise: { kind: 'saltPepper', fraction: 0.2 } }, final: { testMse: 0.05, deadUnits: 1 } });
    expect(noisy.settings).toMatchObject({ latentDim: 2, noise: { kind: 'saltPepper', fraction: 0.2 } });
    for (const latentDim of [0, 5, 65, 128, '2', null]) {
      expect(() => normalizeRunRecord({ ...base, settings: { ...base.settings, latentDim } })).toThrow(/latent sizes outside the list are refused/);
    }
    expect(() => normalizeRunRecord({ ...base, settings: { ...base.settings, noise: { kind: 'gaussian', sigma: 3 } } })).toThrow(/σ must be at most 1/);
    // More dead units than the code has is a damaged record.
    expect(() => normalizeRunRecord({ ...base, settings: { ...base.settings, latentDim: 2 }, final: { testMse: 0.05, deadUnits: 3 } })).toThrow(/3 dead units in a code of 2/);
  });

  it('a 2-d run’s file round-trips: weights built at code size 2, same predictions', async () => {
    const model = buildAutoencoder('dense', 4, 2);
    const weights = weightsOf(model);
    const base = runRecord('dense');
    const record = { ...base, settings: { ...base.settings, latentDim: 2 as const, noise: { kind: 'gaussian' as const, sigma: 0.4 } }, final: { testMse: 0.04, deadUnits: 0 } };
    const run = { weights, optimizer: adamFor(weights, 7) };
    const blob = await exportRunFile(record, run);
    const back = await importRunFile(blob, MNIST, newId);
    expect(back.record.settings).toEqual(record.settings);
    expectSameArrays(back.weights.weights, weights);
    const rebuilt = buildAutoencoder('dense', undefined, back.record.settings.latentDim);
    writeWeights(rebuilt, back.weights.weights);
    expectSameArrays([predictions(rebuilt, 'dense')], [predictions(model, 'dense')]);
    [model, rebuilt].forEach((m) => m.dispose());
  });

  it('refuses weights of another code size than the record says, before anything is built', async () => {
    const model = buildAutoencoder('cnn_relu', 4, 64);
    const weights = weightsOf(model);
    model.dispose();
    expect(() => checkRunWeights({ arch: 'cnn_relu', latentDim: 2 }, { weights, optimizer: null })).toThrow(/values where this architecture has/);
    // A file whose record claims 2 but carries 64-d weights, re-signed so only the weight check can refuse it.
    const good = JSON.parse(await (await exportRunFile(runRecord('cnn_relu', { final: { testMse: 0.03, deadUnits: 0 } }), { weights, optimizer: null })).text()) as Record<string, unknown> & { record: { settings: Record<string, unknown> } };
    const { sha256: _old, ...content } = good;
    const edited = { ...content, record: { ...good.record, settings: { ...good.record.settings, latentDim: 2 } } };
    const blob = new Blob([JSON.stringify({ ...edited, sha256: await runFileChecksum(edited) })]);
    await expect(importRunFile(blob, MNIST, newId)).rejects.toMatchObject({ code: 'incompatible' });
  });
});
