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
}

/** The reference schedule: 20 epochs on all 60,000 training images, batch 256, lr 0.001, seed 0. */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = Object.freeze({
  arch: 'dense',
  epochs: 20,
  trainSize: 60_000,
  learningRate: 1e-3,
  seed: 0,
  batchSize: 256,
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
  if (Object.keys(errors).length > 0 || !arch) return { ok: false, errors };
  return {
    ok: true,
    value: {
      arch,
      epochs: Number(input.epochs),
      trainSize: Number(input.trainSize),
      learningRate: Number(input.learningRate),
      seed: Number(input.seed),
      batchSize: Number(input.batchSize),
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

/** A run's readable default name, e.g. "CNN · ELU · seed 1 · lr 0.001". */
export function defaultRunName(settings: Pick<TrainSettings, 'arch' | 'seed' | 'learningRate'>, label: string): string {
  return `${label} · seed ${settings.seed} · lr ${settings.learningRate}`;
}
