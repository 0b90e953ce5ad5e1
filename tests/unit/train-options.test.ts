import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_SETTINGS, LATENT_SIZES, NOISE_LIMITS, TRAIN_LIMITS, batchesPerEpoch, defaultRunName, describeNoise, extraEpochsError, validateNoise, validateTrainSettings } from '../../src/config/train-options';

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
    const noise = fc.oneof(
      fc.constant({ kind: 'none' }),
      fc.record({ kind: fc.constant('gaussian'), sigma: anything }),
      fc.record({ kind: fc.constant('saltPepper'), fraction: anything }),
      fc.record({ kind: fc.string(), sigma: anything }),
      anything,
    );
    const latentDim = fc.oneof(fc.constantFrom(...LATENT_SIZES), anything);
    fc.assert(
      fc.property(fc.record({ arch: fc.oneof(fc.constantFrom('dense', 'cnn_relu', 'cnn_elu'), fc.string()), epochs: anything, trainSize: anything, learningRate: anything, seed: anything, batchSize: anything, latentDim, noise }), fc.integer({ min: 0, max: 70_000 }), (input, available) => {
        const result = validateTrainSettings(input, available);
        if (!result.ok) return;
        const v = result.value;
        expect(v).toEqual(input);
        expect(Number.isInteger(v.epochs) && v.epochs >= 1 && v.epochs <= TRAIN_LIMITS.maxEpochs).toBe(true);
        expect(v.trainSize <= available && v.learningRate > 0 && v.learningRate <= TRAIN_LIMITS.maxLearningRate).toBe(true);
        expect(Number.isInteger(v.seed) && v.seed >= 0 && v.seed <= TRAIN_LIMITS.maxSeed).toBe(true);
        expect((LATENT_SIZES as readonly number[]).includes(v.latentDim)).toBe(true);
        if (v.noise.kind === 'gaussian') expect(v.noise.sigma > 0 && v.noise.sigma <= NOISE_LIMITS.maxSigma).toBe(true);
        if (v.noise.kind === 'saltPepper') expect(v.noise.fraction > 0 && v.noise.fraction <= NOISE_LIMITS.maxFraction).toBe(true);
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

describe('code size and input noise', () => {
  const bad = (patch: Record<string, unknown>) => {
    const result = validateTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, ...patch }, 60_000);
    if (result.ok) throw new Error(`accepted ${JSON.stringify(patch)}`);
    return result.errors;
  };

  it('accepts every listed code size, 64 being the default', () => {
    expect(DEFAULT_TRAIN_SETTINGS.latentDim).toBe(64);
    expect([...LATENT_SIZES]).toEqual([2, 3, 8, 16, 32, 64]);
    for (const latentDim of LATENT_SIZES) expect(validateTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, latentDim }, 60_000)).toMatchObject({ ok: true, value: { latentDim } });
  });

  it('refuses latent sizes outside the list, whatever they are', () => {
    for (const latentDim of [0, 1, 4, 63, 65, 128, -2, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '64', null, undefined, [64], { valueOf: () => 64 }]) {
      expect(bad({ latentDim }).latentDim).toBe('The code size must be one of 2, 3, 8, 16, 32, 64; latent sizes outside the list are refused.');
    }
  });

  it('accepts noise within its limits, unchanged, and none by default', () => {
    expect(DEFAULT_TRAIN_SETTINGS.noise).toEqual({ kind: 'none' });
    expect(validateNoise({ kind: 'gaussian', sigma: 0.3 })).toEqual({ ok: true, value: { kind: 'gaussian', sigma: 0.3 } });
    expect(validateNoise({ kind: 'gaussian', sigma: 1 })).toEqual({ ok: true, value: { kind: 'gaussian', sigma: 1 } });
    expect(validateNoise({ kind: 'saltPepper', fraction: 0.5 })).toEqual({ ok: true, value: { kind: 'saltPepper', fraction: 0.5 } });
    expect(validateNoise({ kind: 'saltPepper', fraction: 1e-6 })).toMatchObject({ ok: true });
  });

  it('refuses hostile or out-of-range noise with a reason', () => {
    const why = (noise: unknown) => bad({ noise }).noise;
    expect(why({ kind: 'gaussian', sigma: 0 })).toMatch(/above 0/);
    expect(why({ kind: 'gaussian', sigma: -0.1 })).toMatch(/above 0/);
    expect(why({ kind: 'gaussian', sigma: 1.01 })).toMatch(/at most 1/);
    expect(why({ kind: 'gaussian', sigma: Number.NaN })).toMatch(/must be a number/);
    expect(why({ kind: 'gaussian', sigma: Number.POSITIVE_INFINITY })).toMatch(/must be a number/);
    expect(why({ kind: 'gaussian', sigma: '0.3' })).toMatch(/must be a number/);
    expect(why({ kind: 'gaussian' })).toMatch(/exactly one strength/);
    expect(why({ kind: 'gaussian', sigma: 0.3, fraction: 0.1 })).toMatch(/field "fraction" this playground does not know \(Gaussian input noise takes exactly one strength/);
    expect(why({ kind: 'saltPepper', fraction: 0 })).toMatch(/above 0/);
    expect(why({ kind: 'saltPepper', fraction: 0.51 })).toMatch(/at most 0.5/);
    expect(why({ kind: 'saltPepper', sigma: 0.1 })).toMatch(/field "sigma" .*exactly one strength/);
    expect(why({ kind: 'saltPepper' })).toMatch(/exactly one strength/);
    expect(why({ kind: 'none', sigma: 0.1 })).toMatch(/field "sigma" .*takes no strength/);
    expect(why({ kind: 'speckle', sigma: 0.1 })).toMatch(/Choose the input noise/);
    expect(why(null)).toMatch(/Choose the input noise/);
    expect(why('gaussian')).toMatch(/Choose the input noise/);
    expect(why([{ kind: 'none' }])).toMatch(/Choose the input noise/);
    expect(why(JSON.parse('{"kind":"none","__proto__":{"sigma":1}}'))).toMatch(/takes no strength/);
  });

  it('names the code size and the noise in a run’s default name only when they differ from the reference', () => {
    expect(defaultRunName({ arch: 'dense', seed: 0, learningRate: 0.001, latentDim: 64, noise: { kind: 'none' } }, 'Dense')).toBe('Dense · seed 0 · lr 0.001');
    expect(defaultRunName({ arch: 'dense', seed: 0, learningRate: 0.001, latentDim: 2, noise: { kind: 'none' } }, 'Dense')).toBe('Dense · seed 0 · lr 0.001 · code 2');
    expect(defaultRunName({ arch: 'dense', seed: 0, learningRate: 0.001, latentDim: 64, noise: { kind: 'gaussian', sigma: 0.3 } }, 'Dense')).toBe('Dense · seed 0 · lr 0.001 · Gaussian σ 0.3');
    expect(describeNoise({ kind: 'saltPepper', fraction: 0.1 })).toBe('salt-and-pepper 10%');
    expect(describeNoise({ kind: 'none' })).toBeNull();
  });
});
