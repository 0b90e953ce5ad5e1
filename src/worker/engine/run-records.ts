/**
 * Run records as data: checking one that comes from storage or a file, turning a model record of the
 * format before runs existed into a run, and keeping batch-loss curves bounded. Pure; no tfjs.
 */
import { DEFAULT_LATENT_SIZE, NO_NOISE, TRAIN_LIMITS, validateTrainSettings, type TrainSettings } from '../../config/train-options';
import { MAX_OWN_IMAGES } from '../../data/dataset';
import { ARCHITECTURES, isArchId, LATENT_DIM, type ArchId } from '../../models/arch-spec';
import type { DatasetInfo, EpochRecord, RunOutcome, RunRecord } from '../protocol';
import { PersistenceError } from './model-files';
import {
  absentAs,
  boolean,
  date,
  describePath,
  finite,
  integer,
  list,
  loss,
  nullable,
  oneOf,
  parseWith,
  refine,
  SchemaError,
  strictObject,
  text,
  unchecked,
  type Infer,
  type Schema,
} from './schema';

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

/**
 * Batches per epoch: at most one per image (batch size 1) of the largest data set the page loads, whose
 * training part is at most MAX_OWN_IMAGES.
 */
const MAX_BATCHES_PER_EPOCH = MAX_OWN_IMAGES;

/**
 * Loss stride: doubled each time a curve passes MAX_STORED_BATCH_LOSSES; 200 epochs of 300,000 batches
 * reach stride 2,048, model@1 imports spread 2,000 points over at most 200 × 300,000 batches (30,000).
 * 2^20 leaves room and still refuses absurd values.
 */
const MAX_LOSS_STRIDE = 2 ** 20;

/** Epoch times and speeds: finite and not negative (an epoch never takes less than no time). */
const seconds = finite(0);

/** The architecture first: an unknown one is another app's run, not a damaged one ('incompatible'). */
const archId: Schema<ArchId> = {
  parse: (value) => {
    if (!isArchId(value)) throw new PersistenceError('incompatible', `This run is of an unknown architecture ${JSON.stringify(value)}.`);
    return value;
  },
};

/**
 * Settings carry exactly the TrainSettings keys; their values are checked by the form's own rules
 * (`validateTrainSettings`, which states each limit and its reason) once the data set's size is known.
 * `latentDim` and `noise` are absent from runs saved before a person could choose them: those ran the
 * reference code size (64) without noise, and read as such.
 */
const settingsKeys = strictObject(
  {
    arch: archId,
    epochs: unchecked,
    trainSize: unchecked,
    learningRate: unchecked,
    seed: unchecked,
    batchSize: unchecked,
    latentDim: absentAs(unchecked, DEFAULT_LATENT_SIZE),
    noise: absentAs(unchecked, NO_NOISE),
  },
  'the training settings',
);

const datasetSchema = strictObject(
  {
    name: text(500),
    fingerprint: text(8, { test: /^[0-9a-f]{8}$/, what: '8 hex digits (the data set’s fingerprint)' }),
    /** no data set the page loads holds more images than MAX_OWN_IMAGES, MNIST's 70,000 included */
    trainCount: integer(1, MAX_OWN_IMAGES),
    testCount: integer(1, MAX_OWN_IMAGES),
  },
  'the data set it was trained on',
);

const epochSchema = strictObject(
  { epoch: integer(1, TRAIN_LIMITS.maxEpochs), trainLoss: loss, testMse: loss, trainSeconds: seconds, samplesPerSec: seconds },
  'one epoch’s figures',
);

/**
 * The run record as stored and written to run files: every key, its type and its range. `final`,
 * `message`, `partial` and `resumable` may be absent (records written before they existed).
 */
const recordShape = strictObject(
  {
    id: text(100),
    name: text(200),
    settings: settingsKeys,
    dataset: datasetSchema,
    backend: text(40),
    createdAt: date,
    endedAt: date,
    outcome: oneOf(OUTCOMES),
    position: strictObject(
      {
        epochsCompleted: integer(0, TRAIN_LIMITS.maxEpochs),
        batch: integer(0, MAX_BATCHES_PER_EPOCH),
        batchesPerEpoch: integer(1, MAX_BATCHES_PER_EPOCH),
      },
      'a position in the schedule',
    ),
    history: list(epochSchema, TRAIN_LIMITS.maxEpochs, 'epochs'),
    batchLosses: list(loss, MAX_STORED_BATCH_LOSSES, 'numbers'),
    lossStride: integer(1, MAX_LOSS_STRIDE),
    /**
     * null when unknown (model@1 files from before it was measured). Never NaN: freshly initialised
     * weights always score, and JSON's null could not tell a NaN from "unknown".
     */
    initialTestMse: nullable(finite(0)),
    /** dead units are latent units: at most the largest code (LATENT_DIM), and at most the run's own code (checked below) */
    final: absentAs(nullable(strictObject({ testMse: loss, deadUnits: integer(0, LATENT_DIM) }, 'the final figures')), null),
    message: absentAs(nullable(text(2000)), null),
    partial: absentAs(nullable(strictObject({ weightedLoss: loss, seconds }, 'the partial epoch’s figures')), null),
    resumable: absentAs(boolean, false),
  },
  'a run record',
);

const DAMAGED = "The run's description is damaged:";

/** The one schema of a run record: its shape, then the settings by the form's rules for its data set. */
export const runRecordSchema: Schema<RunRecord> = refine(recordShape, (raw): RunRecord => {
  const checked = validateTrainSettings(raw.settings, raw.dataset.trainCount);
  if (!checked.ok) throw new PersistenceError('bad-file', `${DAMAGED} its settings are invalid (${Object.values(checked.errors).join(' ')}).`);
  if (raw.final && raw.final.deadUnits > checked.value.latentDim) {
    throw new PersistenceError('bad-file', `${DAMAGED} it counts ${raw.final.deadUnits} dead units in a code of ${checked.value.latentDim}.`);
  }
  return { ...raw, settings: checked.value };
});

// The schema's type is RunRecord exactly: a field added to RunRecord fails to compile here until the
// schema declares it (and the other way round).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaIsRunRecord: Same<Infer<typeof recordShape>, Omit<RunRecord, 'settings'> & { settings: Record<keyof TrainSettings, unknown> & { arch: ArchId } }> = true;
void schemaIsRunRecord;

/** The message of a record that does not fit its schema. */
export function recordError(error: SchemaError): PersistenceError {
  return new PersistenceError('bad-file', `${DAMAGED} ${describePath(error.path)} ${error.why}.`);
}

/**
 * Checks and copies a run record from storage or a file against {@link runRecordSchema}: declared fields
 * only (an unknown one is refused by name), every number finite and in range, settings valid by the same
 * rules as the form.
 * @throws PersistenceError 'bad-file' with the first problem, 'incompatible' for an unknown architecture
 */
export function normalizeRunRecord(raw: unknown): RunRecord {
  return parseWith(runRecordSchema, raw, recordError);
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
    settings: { arch: legacy.arch, epochs: Math.max(1, legacy.epochs), trainSize: legacy.trainSize, learningRate: 1e-3, seed, batchSize: 256, latentDim: DEFAULT_LATENT_SIZE, noise: NO_NOISE },
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
