/**
 * Training settings: the one options module for a training run. The interface, the defaults (the Keras
 * tutorial's reference schedule), the limits with their reasons, and `validateTrainSettings`. Every other
 * shape — the form, the `train` command, the worker's run, the training loop's options — is this one or a
 * `Pick` of it; nothing clamps or copies it on the way.
 */
import { ARCH_IDS, type ArchId } from '../models/arch-spec';
import { MAX_SEED, type FieldErrors, type Validation } from './limits';

/** What a person chooses before clicking Train; saved with the run it makes. */
export interface TrainSettings {
  arch: ArchId;
  /** epochs to train in total (a continued run raises it) */
  epochs: number;
  /** how many training images to use per epoch (the first N of the loaded training set) */
  trainSize: number;
  /** Adam's step size; the reference uses Keras's default 0.001 */
  learningRate: number;
  /** seeds the initial weights and the per-epoch shuffle; the reference uses 0 */
  seed: number;
  /** images per optimiser step; the reference uses 256 and the form does not change it */
  batchSize: number;
  /** width of the bottleneck (the code): one of LATENT_SIZES; the reference uses 64 */
  latentDim: LatentSize;
  /** noise added to the training inputs (a denoising autoencoder); the target stays the clean image */
  noise: InputNoise;
}

/** The code sizes a person may choose: 64 is the reference; 2 makes the latent plane itself the map. */
export const LATENT_SIZES = [2, 3, 8, 16, 32, 64] as const;

/** One of {@link LATENT_SIZES}. */
export type LatentSize = (typeof LATENT_SIZES)[number];

/** The reference code size (the Keras tutorial's 64). */
export const DEFAULT_LATENT_SIZE: LatentSize = 64;

/** True for a code size in {@link LATENT_SIZES}. */
export function isLatentSize(value: unknown): value is LatentSize {
  return typeof value === 'number' && (LATENT_SIZES as readonly number[]).includes(value);
}

/**
 * Noise on the training inputs: none (a plain autoencoder), Gaussian with standard deviation `sigma`
 * (then clipped to [0, 1]), or salt and pepper, where each pixel becomes 0 or 1 (equally likely) with
 * probability `fraction`.
 */
export type InputNoise = { kind: 'none' } | { kind: 'gaussian'; sigma: number } | { kind: 'saltPepper'; fraction: number };

/** The kinds of input noise, in the order the form lists them. */
export const NOISE_KINDS: readonly InputNoise['kind'][] = ['none', 'gaussian', 'saltPepper'];

/** No noise: a plain autoencoder (the reference). */
export const NO_NOISE: Readonly<InputNoise> = Object.freeze({ kind: 'none' });

/** Bounds of the noise strengths, with the reasons. */
export const NOISE_LIMITS = {
  /** σ = 1 already buries a digit (pixels are in [0, 1]); above it every input is clipped noise */
  maxSigma: 1,
  /** past half the pixels flipped, the noise carries more of the image than the digit does */
  maxFraction: 0.5,
} as const;

/** The noise in words, e.g. "Gaussian σ 0.3" or "salt-and-pepper 10%"; null for none. */
export function describeNoise(noise: InputNoise): string | null {
  switch (noise.kind) {
    case 'none':
      return null;
    case 'gaussian':
      return `Gaussian σ ${noise.sigma}`;
    case 'saltPepper':
      return `salt-and-pepper ${Number((noise.fraction * 100).toFixed(4))}%`;
  }
}

/** The reference schedule: 20 epochs on all 60,000 training images, batch 256, lr 0.001, seed 0. */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = Object.freeze({
  arch: 'dense',
  epochs: 20,
  trainSize: 60_000,
  learningRate: 1e-3,
  seed: 0,
  batchSize: 256,
  latentDim: DEFAULT_LATENT_SIZE,
  noise: NO_NOISE,
});

/** Bounds of each setting, with the reasons. */
export const TRAIN_LIMITS = {
  /** more than 200 epochs is never useful for these models and would run for hours */
  maxEpochs: 200,
  /** one batch is the smallest subset that trains at all */
  minTrainSize: 256,
  /**
   * Adam's step is at most about lr per weight per step; beyond 10 every weight jumps by more than the
   * whole range the models use, which teaches nothing even about divergence (10 already diverges at once)
   */
  maxLearningRate: 10,
  /** seeds are 32-bit unsigned integers (mulberry32 and tfjs's initialisers take them) */
  maxSeed: MAX_SEED,
  /** the batch sizes a person might compare; the reference is 256 */
  minBatchSize: 1,
  maxBatchSize: 4096,
  /** epochs one Continue may add */
  maxExtraEpochs: 200,
} as const;

/**
 * Checks input noise: an object of one of the three kinds with exactly its fields, the strength a finite
 * number within its limit. Returns the clean copy, or the reason it is refused.
 */
export function validateNoise(input: unknown): { ok: true; value: InputNoise } | { ok: false; error: string } {
  const refuse = (error: string) => ({ ok: false as const, error });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return refuse('Choose the input noise: none, Gaussian or salt-and-pepper.');
  const keys = Object.keys(input);
  const fields = input as Record<string, unknown>;
  // A field of another kind, or of none, is named: it is a mistake (or another app's), never silently dropped.
  const unknown = (...wanted: string[]) => keys.find((k) => !wanted.includes(k));
  const named = (key: string, what: string) =>
    refuse(`The input noise has a field ${JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}…` : key)} this playground does not know (${what}).`);
  switch (fields.kind) {
    case 'none': {
      const extra = unknown('kind');
      return extra === undefined ? { ok: true, value: { kind: 'none' } } : named(extra, 'input noise “none” takes no strength');
    }
    case 'gaussian': {
      const extra = unknown('kind', 'sigma');
      if (extra !== undefined) return named(extra, 'Gaussian input noise takes exactly one strength, σ');
      if (!keys.includes('sigma')) return refuse('Gaussian input noise takes exactly one strength, σ.');
      const sigma = fields.sigma;
      if (typeof sigma !== 'number' || !Number.isFinite(sigma)) return refuse('The noise σ must be a number, such as 0.3.');
      if (sigma <= 0) return refuse('The noise σ must be above 0 (choose no noise for none).');
      if (sigma > NOISE_LIMITS.maxSigma) return refuse(`The noise σ must be at most ${NOISE_LIMITS.maxSigma}: pixels lie in [0, 1], so a larger σ leaves only clipped noise.`);
      return { ok: true, value: { kind: 'gaussian', sigma } };
    }
    case 'saltPepper': {
      const extra = unknown('kind', 'fraction');
      if (extra !== undefined) return named(extra, 'salt-and-pepper input noise takes exactly one strength, the fraction of pixels');
      if (!keys.includes('fraction')) return refuse('Salt-and-pepper input noise takes exactly one strength, the fraction of pixels.');
      const fraction = fields.fraction;
      if (typeof fraction !== 'number' || !Number.isFinite(fraction)) return refuse('The salt-and-pepper fraction must be a number, such as 0.1.');
      if (fraction <= 0) return refuse('The salt-and-pepper fraction must be above 0 (choose no noise for none).');
      if (fraction > NOISE_LIMITS.maxFraction) return refuse(`The salt-and-pepper fraction must be at most ${NOISE_LIMITS.maxFraction}: beyond half the pixels the noise outweighs the digit.`);
      return { ok: true, value: { kind: 'saltPepper', fraction } };
    }
    default:
      return refuse('Choose the input noise: none, Gaussian or salt-and-pepper.');
  }
}

/** The reason a code size is refused, or null: latent sizes outside the list are refused. */
export function latentDimError(value: unknown): string | null {
  return isLatentSize(value) ? null : `The code size must be one of ${LATENT_SIZES.join(', ')}; latent sizes outside the list are refused.`;
}

/** The fields a person types. */
export type TrainField = 'epochs' | 'trainSize' | 'learningRate' | 'seed' | 'batchSize';

/** Why each invalid field was refused, in words for the form. */
export type TrainErrors = FieldErrors<TrainSettings>;

function integerIn(value: unknown, min: number, max: number, what: string): string | null {
  if (typeof value !== 'number' || Number.isNaN(value)) return `${what} must be a number.`;
  if (!Number.isInteger(value)) return `${what} must be a whole number.`;
  if (value < min || value > max) return `${what} must be between ${min.toLocaleString('en')} and ${max.toLocaleString('en')}.`;
  return null;
}

/**
 * Checks settings typed by a person (or carried by a message or a file). Nothing is clamped: a value
 * out of range is refused with the reason, so what trains is exactly what was asked for.
 * @param available training images in the loaded data set (the upper bound of `trainSize`)
 */
export function validateTrainSettings(input: Partial<Record<keyof TrainSettings, unknown>>, available: number): Validation<TrainSettings> {
  const errors: TrainErrors = {};
  const arch = ARCH_IDS.find((id) => id === input.arch);
  if (!arch) errors.arch = `Choose one of the models (${ARCH_IDS.join(', ')}).`;
  const check = (field: TrainField, message: string | null) => {
    if (message) errors[field] = message;
  };
  check('epochs', integerIn(input.epochs, 1, TRAIN_LIMITS.maxEpochs, 'Epochs'));
  const minTrain = Math.min(TRAIN_LIMITS.minTrainSize, available);
  check('trainSize', available < 1 ? 'No training images are loaded.' : integerIn(input.trainSize, minTrain, available, 'Training images'));
  const lr = input.learningRate;
  if (typeof lr !== 'number' || !Number.isFinite(lr)) errors.learningRate = 'The learning rate must be a number, such as 0.001.';
  else if (lr <= 0) errors.learningRate = 'The learning rate must be above 0 (the reference uses 0.001).';
  else if (lr > TRAIN_LIMITS.maxLearningRate) errors.learningRate = `The learning rate must be at most ${TRAIN_LIMITS.maxLearningRate}.`;
  check('seed', integerIn(input.seed, 0, TRAIN_LIMITS.maxSeed, 'The seed'));
  check('batchSize', integerIn(input.batchSize, TRAIN_LIMITS.minBatchSize, TRAIN_LIMITS.maxBatchSize, 'The batch size'));
  const latentDim = input.latentDim;
  const latentMessage = latentDimError(latentDim);
  if (latentMessage) errors.latentDim = latentMessage;
  const noise = validateNoise(input.noise);
  if (!noise.ok) errors.noise = noise.error;
  if (Object.keys(errors).length > 0 || !arch || !isLatentSize(latentDim) || !noise.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      arch,
      epochs: Number(input.epochs),
      trainSize: Number(input.trainSize),
      learningRate: Number(input.learningRate),
      seed: Number(input.seed),
      batchSize: Number(input.batchSize),
      latentDim,
      noise: noise.value,
    },
  };
}

/** Checks how many epochs a Continue adds. Returns the reason it is refused, or null. */
export function extraEpochsError(extra: unknown, trainedEpochs: number): string | null {
  const bound = Math.min(TRAIN_LIMITS.maxExtraEpochs, TRAIN_LIMITS.maxEpochs - trainedEpochs);
  if (bound < 1) return `This run already has ${trainedEpochs} epochs, the most a run may have.`;
  return integerIn(extra, 1, bound, 'Extra epochs');
}

/** Batches per epoch of `trainSize` images (the last batch may be smaller). */
export function batchesPerEpoch(settings: Pick<TrainSettings, 'trainSize' | 'batchSize'>): number {
  return Math.ceil(settings.trainSize / settings.batchSize);
}

/**
 * A run's readable default name, e.g. "CNN · ELU · seed 1 · lr 0.001"; a code size other than the
 * reference's 64 and any input noise are named too ("… · code 2 · Gaussian σ 0.3"), so such runs stand out.
 */
export function defaultRunName(settings: Pick<TrainSettings, 'arch' | 'seed' | 'learningRate'> & Partial<Pick<TrainSettings, 'latentDim' | 'noise'>>, label: string): string {
  const code = settings.latentDim !== undefined && settings.latentDim !== DEFAULT_LATENT_SIZE ? ` · code ${settings.latentDim}` : '';
  const noise = settings.noise ? describeNoise(settings.noise) : null;
  return `${label} · seed ${settings.seed} · lr ${settings.learningRate}${code}${noise ? ` · ${noise}` : ''}`;
}
