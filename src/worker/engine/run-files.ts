/**
 * The downloadable run file (format run@2) and the check every set of run weights passes before it is used
 * (from a file, from storage, or before saving).
 *
 * One JSON object: `{ format, record, weights, optimizer }` — the run's record, its weights as base64 of
 * little-endian float32 (one string per tensor, in `getWeights()` order) and Adam's state the same way, so a
 * loaded run can be continued exactly. The file carries no topology: the model is always built from this
 * app's own architecture, so nothing in a file can change what is built. Files of the format before runs
 * (model@1) still import, as runs (`model-files.ts`).
 */
import { buildAutoencoder, type ArchId } from '../../models/architectures';
import type { AdamState } from '../../models/keras-adam';
import type { DatasetInfo, RunRecord } from '../protocol';
import { decodeBase64, encodeBase64, MAX_MODEL_FILE_BYTES, MODEL_FILE_FORMAT, PersistenceError, readLegacyModelFile } from './model-files';
import type { RunWeights } from './model-store';
import { legacyRunRecord, normalizeRunRecord } from './run-records';

/** Format tag of run files; the suffix is bumped when old readers could no longer read them. */
export const RUN_FILE_FORMAT = 'autoencoder-playground/run@2';

const NOT_OURS = 'This file is not an Autoencoder Playground run or model';

/** Weight shapes of each architecture, in `getWeights()` order (a model is built and disposed once). */
const shapes = new Map<ArchId, number[][]>();

function weightShapes(arch: ArchId): number[][] {
  let found = shapes.get(arch);
  if (!found) {
    const model = buildAutoencoder(arch);
    found = model.getWeights().map((w) => [...w.shape]);
    model.dispose();
    shapes.set(arch, found);
  }
  return found;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Checks that weights (and Adam's moments, if any) fit architecture `arch` and are finite.
 * @throws PersistenceError 'incompatible' for the wrong count or sizes, 'corrupt' for NaN or infinite values
 */
export function checkRunWeights(arch: ArchId, run: RunWeights): void {
  const want = weightShapes(arch);
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

function fromBase64(value: unknown, what: string): Float32Array[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new PersistenceError('bad-file', `The file's ${what} are missing.`);
  return value.map((text) => {
    const bytes = decodeBase64(text);
    if (bytes.length % 4 !== 0) throw new PersistenceError('corrupt', `The file's ${what} are truncated.`);
    return new Float32Array(bytes.buffer);
  });
}

/** One self-contained JSON file of a run: checked first, so every exported file imports again. */
export function exportRunFile(record: RunRecord, run: RunWeights): Blob {
  const clean = normalizeRunRecord(record);
  checkRunWeights(clean.settings.arch, run);
  const optimizer = run.optimizer ? { iterations: run.optimizer.iterations, m: toBase64(run.optimizer.m), v: toBase64(run.optimizer.v) } : null;
  const file = { format: RUN_FILE_FORMAT, record: clean, weights: toBase64(run.weights), optimizer };
  return new Blob([JSON.stringify(file)], { type: 'application/json' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a run file (run@2) or a model file from before runs (model@1). Everything is checked before
 * anything is built, so a bad file changes nothing.
 * @param mnist the bundled data set, which model@1 files were trained on
 * @param newId an id for a model@1 file's run (run files keep theirs)
 * @returns the run, and a notice when the file is of the older format
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
    return { record, weights: { weights: legacy.weights, optimizer: null }, notice: 'This file is from before runs kept their learning rate and optimiser state: it loads as a run with learning rate 0.001, and continuing it starts Adam afresh.' };
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
  const record = normalizeRunRecord(parsed.record);
  const weights = fromBase64(parsed.weights, 'weights');
  const rawOptimizer = parsed.optimizer;
  let optimizer: AdamState | null = null;
  if (isObject(rawOptimizer)) {
    const iterations = rawOptimizer.iterations;
    if (typeof iterations !== 'number') throw new PersistenceError('bad-file', "The file's optimiser state is damaged.");
    optimizer = { iterations, m: fromBase64(rawOptimizer.m, "optimiser's moments"), v: fromBase64(rawOptimizer.v, "optimiser's moments") };
  } else if (rawOptimizer !== null) {
    throw new PersistenceError('bad-file', "The file's optimiser state is damaged.");
  }
  const run = { weights, optimizer };
  checkRunWeights(record.settings.arch, run);
  return { record: { ...record, resumable: record.resumable && optimizer !== null }, weights: run, notice: null };
}
