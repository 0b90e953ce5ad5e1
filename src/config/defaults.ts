/**
 * User-settable training parameters and their defaults: the reference schedule (20 epochs on all
 * 60,000 training images, batch 256).
 */
import type { ArchId } from '../models/arch-spec';

/** What the user chooses before clicking Train. */
export interface TrainSettings {
  arch: ArchId;
  /** epochs to train, 1–MAX_EPOCHS */
  epochs: number;
  /** how many training images to use (the first N of the 60,000) */
  trainSize: number;
  /** Adam's step size; the reference uses Keras's default 0.001 */
  learningRate: number;
  /** seeds the initial weights and the per-epoch shuffle; the reference uses 0 */
  seed: number;
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = { arch: 'dense', epochs: 20, trainSize: 60_000, learningRate: 1e-3, seed: 0 };

/** Bounds the form enforces, with the reasons. */
export const SETTINGS_LIMITS = {
  /** more than 200 epochs is never useful for these models and would run for hours */
  maxEpochs: 200,
  /** one batch is the smallest subset that trains at all */
  minTrainSize: 256,
  /** seeds are 32-bit unsigned integers (mulberry32 and tfjs's initialisers take them) */
  maxSeed: 2 ** 32 - 1,
} as const;

/**
 * Clamps settings typed by a person into the allowed ranges.
 * @param available how many training images are loaded
 */
export function clampSettings(settings: TrainSettings, available: number): TrainSettings {
  const int = (value: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(Number.isFinite(value) ? value : lo)));
  return {
    arch: settings.arch,
    epochs: int(settings.epochs, 1, SETTINGS_LIMITS.maxEpochs),
    trainSize: int(settings.trainSize, Math.min(SETTINGS_LIMITS.minTrainSize, available), available),
    // Any positive step is allowed, even absurd ones: a diverging run is handled and explained.
    learningRate: Number.isFinite(settings.learningRate) && settings.learningRate > 0 ? Math.min(settings.learningRate, 1e3) : DEFAULT_TRAIN_SETTINGS.learningRate,
    seed: int(settings.seed, 0, SETTINGS_LIMITS.maxSeed),
  };
}
