/**
 * The downloadable run file (format run@2) and the check every set of run weights passes before it is used
 * (from a file, from storage, or before saving).
 *
 * One JSON object: `{ format, record, weights, optimizer, sha256 }` — the run's record, its weights as base64 of
 * little-endian float32 (one string per tensor, in `getWeights()` order) and Adam's state the same way, so a
 * loaded run can be continued exactly, and a checksum of the rest (`runFileChecksum`). The file carries no topology: the model is always built from this
 * app's own architecture, so nothing in a file can change what is built. Files of the format before runs
 * (model@1) still import, as runs (`model-files.ts`).
 */
import { TRAIN_LIMITS, type TrainSettings } from '../../config/train-options';
import { MAX_OWN_IMAGES } from '../../data/dataset';
import { buildAutoencoder, type ArchId } from '../../models/architectures';
import type { DatasetInfo, RunRecord } from '../protocol';
import { decodeBase64, encodeBase64, MAX_MODEL_FILE_BYTES, MODEL_FILE_FORMAT, PersistenceError, readLegacyModelFile } from './model-files';
import type { RunWeights } from './model-store';
import { legacyRunRecord, normalizeRunRecord, recordError, runRecordSchema } from './run-records';
import { describePath, integer, list, nullable, oneOf, optional, parseWith, SchemaError, strictObject, text, type Infer, type Schema } from './schema';

/** Format tag of run files; the suffix is bumped when old readers could no longer read them. */
export const RUN_FILE_FORMAT = 'autoencoder-playground/run@2';

const NOT_OURS = 'This file is not an Autoencoder Playground run or model';

/** Weight shapes of each architecture and code size, in `getWeights()` order (a model is built and disposed once). */
const shapes = new Map<string, number[][]>();

function weightShapes(arch: ArchId, latentDim: number): number[][] {
  const key = `${arch}/${latentDim}`;
  let found = shapes.get(key);
  if (!found) {
    const model = buildAutoencoder(arch, undefined, latentDim);
    found = model.getWeights().map((w) => [...w.shape]);
    model.dispose();
    shapes.set(key, found);
  }
  return found;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Checks that weights (and Adam's moments, if any) fit architecture `arch` with a `latentDim`-wide code and
 * are finite.
 * @throws PersistenceError 'incompatible' for the wrong count or sizes, 'corrupt' for NaN or infinite values
 */
export function checkRunWeights({ arch, latentDim }: Pick<TrainSettings, 'arch' | 'latentDim'>, run: RunWeights): void {
  const want = weightShapes(arch, latentDim);
  const check = (arrays: readonly Float32Array[], what: string) => {
    if (arrays.length !== want.length) throw new PersistenceError('incompatible', `The ${what} hold ${arrays.length} tensors where this architecture has ${want.length}.`);
    arrays.forEach((array, i) => {
      if (!(array instanceof Float32Array) || array.length !== sizeOf(want[i])) {
        throw new PersistenceError('incompatible', `The ${what}' tensor ${i + 1} has ${array.length} values where this architecture has ${sizeOf(want[i])}.`);
      }
      for (let j = 0; j < array.length; j++) {
        if (!Number.isFinite(array[j])) throw new PersistenceError('corrupt', `The ${what} contain NaN or infinite values (tensor ${i + 1}); they cannot be used.`);
      }
    });
  };
  check(run.weights, 'weights');
  if (run.optimizer) {
    if (!Number.isInteger(run.optimizer.iterations) || run.optimizer.iterations < 0) throw new PersistenceError('corrupt', "Adam's step count is damaged.");
    check(run.optimizer.m, "optimiser's first moments");
    check(run.optimizer.v, "optimiser's second moments");
  }
}

/** A file name for a downloaded run, e.g. `autoencoder-cnn_elu-seed-1-12-epochs.json`. */
export function suggestedRunFileName(record: RunRecord): string {
  const { arch, seed } = record.settings;
  return `autoencoder-${arch}-seed-${seed}-${record.position.epochsCompleted}-epochs.json`;
}

const toBase64 = (arrays: readonly Float32Array[]) => arrays.map((a) => encodeBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));

/** One tensor: base64 of little-endian float32 (its length and values are checked by checkRunWeights). */
const tensor: Schema<Float32Array> = {
  parse: (value, path) => {
    if (typeof value !== 'string') throw new SchemaError(path, 'should be base64 text');
    const bytes = decodeBase64(value);
    if (bytes.length % 4 !== 0) throw new PersistenceError('corrupt', `The file's ${describePath(path)} is truncated.`);
    return new Float32Array(bytes.buffer);
  },
};

/** No architecture has more weight tensors than this (the CNNs have 12); the exact count is checked later. */
const MAX_TENSORS = 64;
const tensors = list(tensor, MAX_TENSORS, 'tensors');

/**
 * Adam's step count: one per batch, so at most the most epochs times the most batches an epoch can have
 * (batch size 1 on the largest data set).
 */
const MAX_ADAM_ITERATIONS = TRAIN_LIMITS.maxEpochs * MAX_OWN_IMAGES;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const checksumSchema = text(64, { test: SHA256_HEX, what: 'a SHA-256 checksum (64 hex digits)' });

/**
 * The one schema of a run file (format run@2). `sha256` is absent from files written before it existed.
 * Every key is declared; any other is refused by name.
 */
export const runFileSchema = strictObject(
  {
    format: oneOf([RUN_FILE_FORMAT]),
    record: runRecordSchema,
    weights: tensors,
    optimizer: nullable(strictObject({ iterations: integer(0, MAX_ADAM_ITERATIONS), m: tensors, v: tensors }, "Adam's state")),
    sha256: optional(checksumSchema),
  },
  'a run file',
);

/** What a run file holds once checked. */
export type RunFile = Infer<typeof runFileSchema>;

/** A run file's problem in words: the record's own message for the record, the file's otherwise. */
function fileError(error: SchemaError): PersistenceError {
  if (error.path[0] === 'record') return recordError(new SchemaError(error.path.slice(1), error.why));
  return new PersistenceError('bad-file', `The run file is damaged: ${describePath(error.path)} ${error.why}.`);
}

/**
 * The checksum of a run file: lowercase hex SHA-256 (`crypto.subtle.digest`) of the UTF-8 bytes of
 * `JSON.stringify` of the file's object without its `sha256` key, keys in the file's order. For a file as
 * exported that is exactly its text before `,"sha256":…` closed with `}` — `{"format":…,"record":…,
 * "weights":…,"optimizer":…}` — and a parsed file serialises back to the same text (JSON.stringify writes
 * the shortest exact form of each number, and keeps key order), so whitespace aside, any change to a key
 * or a value changes the checksum.
 */
export async function runFileChecksum(withoutChecksum: object): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new PersistenceError('unavailable', 'This page is not in a secure context (https or localhost), so the browser offers no SHA-256 to check run files with.');
  }
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(withoutChecksum)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The message of a file whose checksum does not match its content. */
export const CHANGED_OR_DAMAGED = 'This file was changed or damaged (its checksum does not match).';

/** Said when a file loads without a checksum to confirm it. */
export const NO_CHECKSUM_NOTICE = 'It carries no checksum (written before run files had one), so damage to it cannot be detected; it passed every other check.';

/**
 * One self-contained JSON file of a run, with its checksum ({@link runFileChecksum}): checked first, so
 * every exported file imports again.
 */
export async function exportRunFile(record: RunRecord, run: RunWeights): Promise<Blob> {
  const clean = normalizeRunRecord(record);
  checkRunWeights(clean.settings, run);
  const optimizer = run.optimizer ? { iterations: run.optimizer.iterations, m: toBase64(run.optimizer.m), v: toBase64(run.optimizer.v) } : null;
  const file = { format: RUN_FILE_FORMAT, record: clean, weights: toBase64(run.weights), optimizer };
  const sha256 = await runFileChecksum(file);
  // The checksum goes last, so the text before it is exactly what was hashed.
  return new Blob([JSON.stringify({ ...file, sha256 })], { type: 'application/json' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a run file (run@2) or a model file from before runs (model@1). Everything is checked before
 * anything is built, so a bad file changes nothing: the size, the JSON, the format, the checksum (when the
 * file has one), then the whole file against {@link runFileSchema} and the weights against the architecture.
 * @param mnist the bundled data set, which model@1 files were trained on
 * @param newId an id for a model@1 file's run (run files keep theirs)
 * @returns the run, and a notice when the file is of the older format or carries no checksum
 * @throws PersistenceError with a message fit for the user
 */
export async function importRunFile(file: Blob, mnist: DatasetInfo, newId: () => string): Promise<{ record: RunRecord; weights: RunWeights; notice: string | null }> {
  if (file.size > MAX_MODEL_FILE_BYTES) {
    const mb = (file.size / 1024 / 1024).toFixed(0);
    throw new PersistenceError('bad-file', `${NOT_OURS}: at ${mb} MB it is far larger than any of ours.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await file.text());
  } catch {
    throw new PersistenceError('bad-file', `${NOT_OURS} (it is not JSON).`);
  }
  if (!isObject(parsed)) throw new PersistenceError('bad-file', `${NOT_OURS}.`);
  const format = parsed.format;
  if (format === MODEL_FILE_FORMAT) {
    const legacy = await readLegacyModelFile(parsed);
    const record = normalizeRunRecord(legacyRunRecord(legacy.record, newId(), mnist));
    return {
      record,
      weights: { weights: legacy.weights, optimizer: null },
      notice: `This file is from before runs kept their learning rate and optimiser state: it loads as a run with learning rate 0.001, and continuing it starts Adam afresh. ${NO_CHECKSUM_NOTICE}`,
    };
  }
  if (format !== RUN_FILE_FORMAT) {
    if (typeof format === 'string' && format.startsWith('autoencoder-playground/')) {
      throw new PersistenceError('incompatible', `This file has format ${format}, which this version of the playground cannot read (it reads ${RUN_FILE_FORMAT} and ${MODEL_FILE_FORMAT}).`);
    }
    if ('weightsManifest' in parsed && 'modelTopology' in parsed) {
      throw new PersistenceError('bad-file', `${NOT_OURS}: it is a TensorFlow.js model.json; load a file downloaded from this playground instead.`);
    }
    throw new PersistenceError('bad-file', `${NOT_OURS}.`);
  }
  // The checksum first: a changed file is told as changed, whatever else the change broke.
  const { sha256, ...content } = parsed;
  if (sha256 !== undefined) {
    const claimed = parseWith(checksumSchema, sha256, (error) => fileError(new SchemaError(['sha256'], error.why)));
    if ((await runFileChecksum(content)) !== claimed) throw new PersistenceError('corrupt', CHANGED_OR_DAMAGED);
  }
  const checked = parseWith(runFileSchema, parsed, fileError);
  const run = { weights: checked.weights, optimizer: checked.optimizer };
  checkRunWeights(checked.record.settings, run);
  return {
    record: { ...checked.record, resumable: checked.record.resumable && run.optimizer !== null },
    weights: run,
    notice: sha256 === undefined ? `This run file loaded. ${NO_CHECKSUM_NOTICE}` : null,
  };
}
