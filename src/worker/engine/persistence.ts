/**
 * Keeps training runs across page reloads, in the worker's IndexedDB.
 *
 * Storage: database `autoencoder-playground`, version 2, two object stores keyed by run id: `runs` (the small
 * {@link RunRecord}, listed on start-up) and `runWeights` (the weights and Adam state as Float32Arrays: ~2.9 MB
 * plus twice that for Adam for the dense model). Both are written in ONE transaction, so a save either
 * replaces the run's entry entirely or leaves it as it was. Version 1 kept one model per architecture in
 * `records` and `weights`; those entries are read once, turned into runs and removed (`readLegacyModels`,
 * `removeLegacyModel`).
 *
 * Whatever is read back goes through the same checks as an imported file, so a damaged entry is skipped with
 * a notice rather than crashing the engine or hiding the other runs.
 */
import { errorMessage } from '../../errors';
import type { ArchId } from '../../models/architectures';
import type { AdamState } from '../../models/keras-adam';
import type { RunId, RunRecord } from '../protocol';
import { checkPayload, PersistenceError, weightsFromPayload } from './model-files';
import type { RunWeights } from './model-store';
import { checkRunWeights } from './run-files';
import { normalizeRunRecord, type LegacyModelRecord } from './run-records';

export { PersistenceError, type PersistenceErrorCode } from './model-files';

/** Name of our database (tfjs's own is `tensorflowjs`; this one is separate). */
export const DATABASE_NAME = 'autoencoder-playground';
/** Bumped, with an upgrade step, whenever the stores change shape. */
const DATABASE_VERSION = 2;
const RUNS_STORE = 'runs';
const RUN_WEIGHTS_STORE = 'runWeights';
/** Version 1's stores: one model per architecture. */
const LEGACY_RECORDS_STORE = 'records';
const LEGACY_WEIGHTS_STORE = 'weights';
const ALL_STORES = [RUNS_STORE, RUN_WEIGHTS_STORE, LEGACY_RECORDS_STORE, LEGACY_WEIGHTS_STORE];

/** Format tag of a `runWeights` entry. */
export const RUN_WEIGHTS_FORMAT = 'autoencoder-playground/run-weights@2';

/** One `runWeights` entry. */
interface StoredRunWeights {
  format: string;
  weights: Float32Array[];
  optimizer: AdamState | null;
}

const STORAGE_OFF = 'so runs are kept in memory only';

/** Turns a DOMException (or anything thrown by IndexedDB) into a PersistenceError the page can show. */
function storageError(error: unknown, action: string): PersistenceError {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  // A transaction aborted without a cause reports error === null.
  const detail = error instanceof Error || error instanceof DOMException ? error.message : error == null ? '' : String(error);
  // Firefox before 2020 named it NS_ERROR_DOM_QUOTA_REACHED.
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED') {
    return new PersistenceError(
      'quota',
      `The browser's storage for this site is full, ${STORAGE_OFF}. Deleting saved runs or this site's data frees space.`,
    );
  }
  return new PersistenceError(
    'unavailable',
    `Browser storage (IndexedDB) could not ${action} (${detail || name || 'no reason given'}), ${STORAGE_OFF}.`,
  );
}

function idbFactory(): IDBFactory {
  let factory: IDBFactory | undefined;
  try {
    // Absent in some private modes; the property access itself throws in some sandboxed contexts.
    factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  } catch (error) {
    throw storageError(error, 'be opened');
  }
  if (!factory) {
    throw new PersistenceError('unavailable', `This browser offers no IndexedDB here (private browsing?), ${STORAGE_OFF}.`);
  }
  return factory;
}

function openDatabase(): Promise<IDBDatabase> {
  const factory = idbFactory();
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(DATABASE_NAME, DATABASE_VERSION);
    } catch (error) {
      reject(storageError(error, 'be opened'));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of ALL_STORES) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the schema must not wait on this worker's open connection.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(storageError(request.error, 'be opened'));
  });
}

/**
 * Runs one transaction over every store and resolves once it has COMMITTED (not when the requests succeed:
 * quota errors can arrive at commit). `body` queues requests and returns a reader for their results.
 * Any failure aborts the whole transaction, so nothing is half-written.
 */
async function transact<T>(mode: IDBTransactionMode, action: string, body: (stores: Record<string, IDBObjectStore>) => () => T): Promise<T> {
  const db = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      let tx: IDBTransaction | undefined;
      try {
        tx = db.transaction(ALL_STORES, mode);
        const transaction = tx;
        const stores = Object.fromEntries(ALL_STORES.map((name) => [name, transaction.objectStore(name)]));
        const read = body(stores);
        transaction.oncomplete = () => {
          try {
            resolve(read());
          } catch (error) {
            reject(error);
          }
        };
        transaction.onabort = () => reject(storageError(transaction.error, action));
      } catch (error) {
        // put() throws synchronously for quota or clone errors; undo the requests already queued.
        try {
          tx?.abort();
        } catch {
          // already finished or aborted: nothing to undo
        }
        reject(storageError(error, action));
      }
    });
  } finally {
    db.close();
  }
}

/** Result of an IDBRequest after its transaction committed, as `unknown` (IndexedDB types it `any`). */
function resultOf(request: IDBRequest): unknown {
  return request.result;
}

/**
 * Saves a run (record and weights together), replacing only that run's earlier entry. Checked like an import
 * first, so whatever is saved loads again.
 * @throws PersistenceError 'unavailable' (no IndexedDB, private mode) or 'quota' (storage full): the run's
 *   earlier entry is then unchanged; 'bad-file' / 'corrupt' for a malformed record or non-finite weights
 */
export async function saveRun(record: RunRecord, weights: RunWeights): Promise<void> {
  const clean = normalizeRunRecord(record);
  checkRunWeights(clean.settings, weights);
  const stored: StoredRunWeights = { format: RUN_WEIGHTS_FORMAT, weights: weights.weights, optimizer: weights.optimizer };
  await transact('readwrite', `save the run ${clean.name}`, (stores) => {
    stores[RUN_WEIGHTS_STORE].put(stored, clean.id);
    stores[RUNS_STORE].put(clean, clean.id);
    return () => undefined;
  });
}

/** Rewrites a saved run's record only (a rename); nothing happens when the run is not saved. */
export async function saveRunRecord(record: RunRecord): Promise<void> {
  const clean = normalizeRunRecord(record);
  await transact('readwrite', `rename the run ${clean.name}`, (stores) => {
    const existing = stores[RUNS_STORE].getKey(clean.id);
    existing.onsuccess = () => {
      if (existing.result !== undefined) stores[RUNS_STORE].put(clean, clean.id);
    };
    return () => undefined;
  });
}

/**
 * Every saved run that reads back, oldest first, each with its weights; a damaged entry is skipped (and
 * left in place) with a notice, so one bad entry never hides the others.
 * @throws PersistenceError 'unavailable' when IndexedDB cannot be used
 */
export async function loadSavedRuns(): Promise<{ runs: SavedRun[]; notices: string[] }> {
  const { records, weights, keys } = await transact('readonly', 'list saved runs', (stores) => {
    const recordsRequest = stores[RUNS_STORE].getAll();
    const weightsRequest = stores[RUN_WEIGHTS_STORE].getAll();
    const keysRequest = stores[RUN_WEIGHTS_STORE].getAllKeys();
    return () => ({ records: resultOf(recordsRequest), weights: resultOf(weightsRequest), keys: resultOf(keysRequest) });
  });
  const byId = new Map<unknown, unknown>();
  if (Array.isArray(keys) && Array.isArray(weights)) keys.forEach((key, i) => byId.set(key, weights[i]));
  const runs: SavedRun[] = [];
  const notices: string[] = [];
  for (const raw of Array.isArray(records) ? records : []) {
    const entry = readSavedRun(raw, (id) => byId.get(id));
    if ('notice' in entry) notices.push(entry.notice);
    else runs.push(entry);
  }
  runs.sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt));
  return { runs, notices };
}

/**
 * One saved run, as {@link loadSavedRuns} reads it: null when it is not saved (any more), a notice when it
 * does not read back.
 * @throws PersistenceError 'unavailable' when IndexedDB cannot be used
 */
export async function loadSavedRun(runId: RunId): Promise<SavedRun | { notice: string } | null> {
  const { record, weights } = await transact('readonly', 'read a saved run', (stores) => {
    const recordRequest = stores[RUNS_STORE].get(runId);
    const weightsRequest = stores[RUN_WEIGHTS_STORE].get(runId);
    return () => ({ record: resultOf(recordRequest), weights: resultOf(weightsRequest) });
  });
  return record === undefined ? null : readSavedRun(record, () => weights);
}

/** A saved run: its record and weights. */
export interface SavedRun {
  record: RunRecord;
  weights: RunWeights;
}

/** Checks one stored record and its stored weights (`weightsOf` its id); what is wrong becomes a notice. */
function readSavedRun(raw: unknown, weightsOf: (id: RunId) => unknown): SavedRun | { notice: string } {
  const name = typeof raw === 'object' && raw !== null && 'name' in raw ? String(raw.name) : 'a saved run';
  try {
    const record = normalizeRunRecord(raw);
    const entry = weightsOf(record.id);
    if (!isStoredRunWeights(entry)) throw new PersistenceError('corrupt', 'its weights are missing');
    if (entry.format !== RUN_WEIGHTS_FORMAT) throw new PersistenceError('incompatible', `its weights are stored as ${entry.format}`);
    const run = { weights: entry.weights, optimizer: entry.optimizer };
    checkRunWeights(record.settings, run);
    return { record, weights: run };
  } catch (error) {
    return { notice: `The saved run “${name}” could not be read and was skipped: ${errorMessage(error)}` };
  }
}

function isStoredRunWeights(value: unknown): value is StoredRunWeights {
  if (typeof value !== 'object' || value === null) return false;
  const entry: Partial<Record<keyof StoredRunWeights, unknown>> = value;
  return typeof entry.format === 'string' && Array.isArray(entry.weights) && entry.weights.every((w) => w instanceof Float32Array) && (entry.optimizer === null || typeof entry.optimizer === 'object');
}

/**
 * Deletes a saved run (record and weights together); deleting what is not saved is no error.
 * @throws PersistenceError 'unavailable' when IndexedDB cannot be used
 */
export async function deleteSavedRun(runId: RunId): Promise<void> {
  await transact('readwrite', 'delete the run', (stores) => {
    stores[RUNS_STORE].delete(runId);
    stores[RUN_WEIGHTS_STORE].delete(runId);
    return () => undefined;
  });
}

/**
 * Version 1's saved models (one per architecture), read and checked, for turning into runs. The caller
 * saves each as a run and then calls {@link removeLegacyModel}. Unreadable entries come back as notices.
 */
export async function readLegacyModels(parse: (raw: unknown) => LegacyModelRecord): Promise<{ models: { record: LegacyModelRecord; weights: Float32Array[] }[]; notices: string[] }> {
  const { records, weights, keys } = await transact('readonly', 'list saved models', (stores) => {
    const recordsRequest = stores[LEGACY_RECORDS_STORE].getAll();
    const weightsRequest = stores[LEGACY_WEIGHTS_STORE].getAll();
    const keysRequest = stores[LEGACY_WEIGHTS_STORE].getAllKeys();
    return () => ({ records: resultOf(recordsRequest), weights: resultOf(weightsRequest), keys: resultOf(keysRequest) });
  });
  const byArch = new Map<unknown, unknown>();
  if (Array.isArray(keys) && Array.isArray(weights)) keys.forEach((key, i) => byArch.set(key, weights[i]));
  const models: { record: LegacyModelRecord; weights: Float32Array[] }[] = [];
  const notices: string[] = [];
  for (const raw of Array.isArray(records) ? records : []) {
    try {
      const record = parse(raw);
      const entry = byArch.get(record.arch);
      if (typeof entry !== 'object' || entry === null || !('weightData' in entry) || !(entry.weightData instanceof ArrayBuffer) || !('modelTopology' in entry) || !('weightSpecs' in entry)) {
        throw new PersistenceError('corrupt', 'its weights are missing');
      }
      const payload = await checkPayload(record.arch, entry.modelTopology, entry.weightSpecs, entry.weightData);
      models.push({ record, weights: weightsFromPayload(payload) });
    } catch (error) {
      notices.push(`A model saved by an earlier version could not be read and was skipped: ${errorMessage(error)}`);
    }
  }
  return { models, notices };
}

/** Removes version 1's entry of `arch` once it lives on as a run. */
export async function removeLegacyModel(arch: ArchId): Promise<void> {
  await transact('readwrite', 'tidy up an old saved model', (stores) => {
    stores[LEGACY_RECORDS_STORE].delete(arch);
    stores[LEGACY_WEIGHTS_STORE].delete(arch);
    return () => undefined;
  });
}
