import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS, TRAIN_LIMITS, batchesPerEpoch, defaultRunName, extraEpochsError, validateTrainSettings } from '../../src/config/train-options';

describe('training settings', () => {
  it('accepts the reference schedule unchanged', () => {
    expect(validateTrainSettings(DEFAULT_TRAIN_SETTINGS, 60_000)).toEqual({ ok: true, value: DEFAULT_TRAIN_SETTINGS });
    expect(batchesPerEpoch(DEFAULT_TRAIN_SETTINGS)).toBe(235);
    expect(defaultRunName({ arch: 'cnn_elu', seed: 1, learningRate: 0.001 }, 'CNN · ELU')).toBe('CNN · ELU · seed 1 · lr 0.001');
  });

  it('refuses bad values with a reason each, never clamping them', () => {
    const bad = (patch: Record<string, unknown>, available = 60_000) => {
      const result = validateTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, ...patch }, available);
      if (result.ok) throw new Error(`accepted ${JSON.stringify(patch)}`);
      return result.errors;
    };
    expect(bad({ epochs: Number.NaN }).epochs).toBe('Epochs must be a number.');
    expect(bad({ epochs: 0 }).epochs).toBe('Epochs must be between 1 and 200.');
    expect(bad({ epochs: 2.5 }).epochs).toBe('Epochs must be a whole number.');
    expect(bad({ epochs: '20' }).epochs).toBe('Epochs must be a number.');
    expect(bad({ epochs: 1e300 }).epochs).toBe('Epochs must be between 1 and 200.');
    expect(bad({ trainSize: 60_001 }).trainSize).toBe('Training images must be between 256 and 60,000.');
    expect(bad({ trainSize: 100 }, 857).trainSize).toBe('Training images must be between 256 and 857.');
    expect(bad({ learningRate: 0 }).learningRate).toMatch(/above 0/);
    expect(bad({ learningRate: -1 }).learningRate).toMatch(/above 0/);
    expect(bad({ learningRate: Number.POSITIVE_INFINITY }).learningRate).toMatch(/must be a number/);
    expect(bad({ learningRate: 11 }).learningRate).toBe('The learning rate must be at most 10.');
    expect(bad({ seed: -1 }).seed).toMatch(/between 0 and 4,294,967,295/);
    expect(bad({ seed: 2 ** 32 }).seed).toMatch(/between 0 and 4,294,967,295/);
    expect(bad({ batchSize: 0 }).batchSize).toMatch(/between 1 and 4,096/);
    expect(bad({ arch: 'lstm' }).arch).toMatch(/Choose one of the models/);
    expect(Object.keys(bad({ epochs: -1, seed: 'x' })).sort()).toEqual(['epochs', 'seed']);
  });

  it('a small data set lowers the smallest training size to what there is', () => {
    expect(validateTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, trainSize: 100 }, 100)).toMatchObject({ ok: true, value: { trainSize: 100 } });
    expect(validateTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, trainSize: 1 }, 0)).toMatchObject({ ok: false, errors: { trainSize: 'No training images are loaded.' } });
  });

  it('never throws, and whatever it accepts is within the limits and unchanged', () => {
    const anything = fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null), fc.constant(undefined), fc.boolean());
    fc.assert(
      fc.property(fc.record({ arch: fc.oneof(fc.constantFrom('dense', 'cnn_relu', 'cnn_elu'), fc.string()), epochs: anything, trainSize: anything, learningRate: anything, seed: anything, batchSize: anything }), fc.integer({ min: 0, max: 70_000 }), (input, available) => {
        const result = validateTrainSettings(input, available);
        if (!result.ok) return;
        const v = result.value;
        expect(v).toEqual(input);
        expect(Number.isInteger(v.epochs) && v.epochs >= 1 && v.epochs <= TRAIN_LIMITS.maxEpochs).toBe(true);
        expect(v.trainSize <= available && v.learningRate > 0 && v.learningRate <= TRAIN_LIMITS.maxLearningRate).toBe(true);
        expect(Number.isInteger(v.seed) && v.seed >= 0 && v.seed <= TRAIN_LIMITS.maxSeed).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('bounds how many epochs Continue adds by what a run may still have', () => {
    expect(extraEpochsError(5, 20)).toBeNull();
    expect(extraEpochsError(0, 20)).toMatch(/between 1 and 180/);
    expect(extraEpochsError(181, 20)).toMatch(/between 1 and 180/);
    expect(extraEpochsError(Number.NaN, 20)).toMatch(/must be a number/);
    expect(extraEpochsError(1, 200)).toMatch(/already has 200 epochs/);
  });
});
