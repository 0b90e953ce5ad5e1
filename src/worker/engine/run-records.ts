/**
 * Run records as data: checking one that comes from storage or a file, turning a model record of the
 * format before runs existed into a run, and keeping batch-loss curves bounded. Pure; no tfjs.
 */
import { TRAIN_LIMITS, validateTrainSettings } from '../../config/train-options';
import { ARCHITECTURES, isArchId } from '../../models/arch-spec';
import type { DatasetInfo, EpochRecord, RunOutcome, RunRecord } from '../protocol';
import { PersistenceError } from './model-files';

/**
 * Batch losses kept per run. 200 epochs (the most) of 60,000 images at batch 256 are 47,000 batches, so
 * every run the form allows at the reference batch size keeps every loss; longer curves (tiny batches)
 * are halved by averaging pairs, which keeps each point's place on the epoch axis exact.
 */
export const MAX_STORED_BATCH_LOSSES = 50_000;

/**
 * Appends `losses` (raw, one per batch) to a run's curve and returns the new curve; halves it (averaging
 * pairs, doubling `record.lossStride`) while it is too long. Batches arriving at a stride above 1 are
 * averaged in groups of that stride.
 */
export function appendBatchLosses(record: Pick<RunRecord, 'batchLosses' | 'lossStride'>, losses: ArrayLike<number>): number[] {
  let curve = record.batchLosses.slice();
  const stride = record.lossStride;
  for (let i = 0; i < losses.length; i += stride) {
    let sum = 0;
    const end = Math.min(losses.length, i + stride);
    for (let j = i; j < end; j++) sum += losses[j];
    curve.push(sum / (end - i));
  }
  while (curve.length > MAX_STORED_BATCH_LOSSES) {
    const halved: number[] = [];
    for (let i = 0; i < curve.length; i += 2) halved.push(i + 1 < curve.length ? (curve[i] + curve[i + 1]) / 2 : curve[i]);
    curve = halved;
    record.lossStride *= 2;
  }
  return curve;
}

const OUTCOMES: readonly RunOutcome[] = ['completed', 'stopped', 'diverged', 'failed'];

type Raw = Record<string, unknown>;

function isRaw(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(why: string): PersistenceError {
  return new PersistenceError('bad-file', `The run's description is damaged: ${why}.`);
}

function text(raw: Raw, key: string, max = 500): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.length > max) throw bad(`'${key}' should be text of at most ${max} characters`);
  return value;
}

function wholeNumber(raw: Raw, key: string, min: number, max: number): number {
  const value = raw[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw bad(`'${key}' should be a whole number from ${min} to ${max}`);
  return value;
}

/** A finite number, or NaN for a diverged run's NaN loss (JSON carries it as null, IndexedDB as NaN). */
function real(value: unknown, what: string): number {
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) return Number.NaN;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${what} should be a finite number`);
  return value;
}

function date(raw: Raw, key: string): string {
  const value = text(raw, key, 40);
  if (Number.isNaN(Date.parse(value))) throw bad(`'${key}' should be a date`);
  return value;
}

function dataset(value: unknown): DatasetInfo {
  if (!isRaw(value)) throw bad("'dataset' is missing");
  const fingerprint = text(value, 'fingerprint', 16);
  if (!/^[0-9a-f]{8}$/.test(fingerprint)) throw bad("the data set's fingerprint should be 8 hex digits");
  return { name: text(value, 'name'), fingerprint, trainCount: wholeNumber(value, 'trainCount', 1, 10_000_000), testCount: wholeNumber(value, 'testCount', 1, 10_000_000) };
}

function epochRecord(value: unknown, i: number): EpochRecord {
  if (!isRaw(value)) throw bad(`history entry ${i + 1} is not an object`);
  const epoch = wholeNumber(value, 'epoch', 1, TRAIN_LIMITS.maxEpochs);
  const field = (key: keyof EpochRecord) => real(value[key], `history entry ${i + 1}'s '${key}'`);
  return { epoch, trainLoss: field('trainLoss'), testMse: field('testMse'), trainSeconds: field('trainSeconds'), samplesPerSec: field('samplesPerSec') };
}

/**
 * Checks and copies a run record from storage or a file: known fields only, every number finite and in
 * range, settings valid by the same rules as the form.
 * @throws PersistenceError 'bad-file' with the first problem, 'incompatible' for an unknown architecture
 */
export function normalizeRunRecord(raw: unknown): RunRecord {
  if (!isRaw(raw)) throw bad('it is missing');
  const rawSettings = raw.settings;
  if (!isRaw(rawSettings)) throw bad("'settings' is missing");
  if (!isArchId(rawSettings.arch)) throw new PersistenceError('incompatible', `This run is of an unknown architecture ${JSON.stringify(rawSettings.arch)}.`);
  const data = dataset(raw.dataset);
  const checked = validateTrainSettings(rawSettings, data.trainCount);
  if (!checked.ok) throw bad(`its settings are invalid (${Object.values(checked.errors).join(' ')})`);
  const outcome = OUTCOMES.find((o) => o === raw.outcome);
  if (!outcome) throw bad("'outcome' is not one of completed, stopped, diverged, failed");
  const position = raw.position;
  if (!isRaw(position)) throw bad("'position' is missing");
  const history = raw.history;
  if (!Array.isArray(history) || history.length > TRAIN_LIMITS.maxEpochs) throw bad("'history' should be a list of at most 200 epochs");
  const losses = raw.batchLosses;
  if (!Array.isArray(losses) || losses.length > MAX_STORED_BATCH_LOSSES) throw bad(`'batchLosses' should be a list of at most ${MAX_STORED_BATCH_LOSSES} numbers`);
  const final = raw.final;
  const partial = raw.partial;
  const initial = raw.initialTestMse;
  const message = raw.message;
  if (message !== null && typeof message !== 'string') throw bad("'message' should be text or null");
  return {
    id: text(raw, 'id', 100),
    name: text(raw, 'name', 200),
    settings: checked.value,
    dataset: data,
    backend: text(raw, 'backend', 40),
    createdAt: date(raw, 'createdAt'),
    endedAt: date(raw, 'endedAt'),
    outcome,
    position: {
      epochsCompleted: wholeNumber(position, 'epochsCompleted', 0, TRAIN_LIMITS.maxEpochs),
      batch: wholeNumber(position, 'batch', 0, 10_000_000),
      batchesPerEpoch: wholeNumber(position, 'batchesPerEpoch', 1, 10_000_000),
    },
    history: history.map(epochRecord),
    batchLosses: losses.map((loss, i) => real(loss, `batch loss ${i + 1}`)),
    lossStride: wholeNumber(raw, 'lossStride', 1, 1 << 20),
    initialTestMse: initial === null ? null : real(initial, "'initialTestMse'"),
    final: isRaw(final) ? { testMse: real(final.testMse, "the final test MSE"), deadUnits: wholeNumber(final, 'deadUnits', 0, 64) } : null,
    message: typeof message === 'string' ? message.slice(0, 2000) : null,
    partial: isRaw(partial) ? { weightedLoss: real(partial.weightedLoss, "the partial epoch's loss"), seconds: real(partial.seconds, "the partial epoch's seconds") } : null,
    resumable: raw.resumable === true,
  };
}

/** The model record of files and storage from before runs existed (format model@1). */
export interface LegacyModelRecord {
  arch: 'dense' | 'cnn_relu' | 'cnn_elu';
  savedAt: string;
  epochs: number;
  trainSize: number;
  history: EpochRecord[];
  initialTestMse: number | null;
  backend: string;
  seed?: number;
  batchLosses?: number[];
}

/** The data set every model before runs was trained on: MNIST (its fingerprint is filled in on import). */
export function legacyRunRecord(legacy: LegacyModelRecord, id: string, mnist: DatasetInfo): RunRecord {
  const batchesPerEpoch = Math.max(1, Math.ceil(legacy.trainSize / 256));
  const losses = legacy.batchLosses ?? [];
  // Old records thinned long curves to 2,000 points: spread them evenly over the epochs trained.
  const stride = Math.max(1, Math.round((legacy.epochs * batchesPerEpoch) / Math.max(1, losses.length)));
  const seed = legacy.seed ?? 0;
  return {
    id,
    name: `${ARCHITECTURES[legacy.arch].label} · seed ${seed} · lr 0.001`,
    settings: { arch: legacy.arch, epochs: Math.max(1, legacy.epochs), trainSize: legacy.trainSize, learningRate: 1e-3, seed, batchSize: 256 },
    dataset: mnist,
    backend: legacy.backend,
    createdAt: legacy.savedAt,
    endedAt: legacy.savedAt,
    outcome: 'completed',
    position: { epochsCompleted: legacy.epochs, batch: 0, batchesPerEpoch },
    history: legacy.history,
    batchLosses: losses,
    lossStride: stride,
    initialTestMse: legacy.initialTestMse,
    final: null,
    message: 'Saved before runs kept their learning rate and optimiser state: assumed the default 0.001, and continuing it starts Adam afresh.',
    partial: null,
    resumable: false,
  };
}
