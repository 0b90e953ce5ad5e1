/**
 * Keeps trained models across page reloads, in the worker's IndexedDB, and re-exports the downloadable-file
 * API of `./model-files` so the engine imports persistence from one place.
 *
 * Storage: database `autoencoder-playground`, two object stores keyed by architecture id: `records` (the
 * small {@link ModelRecord}, listed on start-up) and `weights` (topology, weight specs, weight bytes: ~1.7 MB
 * for a CNN, ~2.9 MB for the dense model). Both are written in ONE transaction, so a save either replaces the
 * old model entirely or leaves it as it was. tfjs's own `indexeddb://` handler is not used: it writes its two
 * stores in separate transactions and resolves before the commit, so a quota failure at commit time would
 * be reported as success, and it refuses to run outside `IS_BROWSER` environments.
 *
 * Whatever is read back goes through the same checks as an imported file (`checkPayload`), so an entry left
 * by an older version of the app is reported as incompatible rather than crashing the engine.
 */
import type * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, ARCH_IDS, type ArchId } from '../../models/architectures';
import {
  MODEL_FILE_FORMAT,
  PersistenceError,
  artifactsOf,
  checkPayload,
  modelFromPayload,
  normalizeRecord,
  type ModelRecord,
} from './model-files';

export {
  MAX_MODEL_FILE_BYTES,
  MAX_STORED_BATCH_LOSSES,
  MODEL_FILE_FORMAT,
  PersistenceError,
  exportModelFile,
  importModelFile,
  suggestedFileName,
  thinBatchLosses,
  type ModelRecord,
  type PersistenceErrorCode,
} from './model-files';

/** Name of our database (tfjs's own is `tensorflowjs`; this one is separate). */
export const DATABASE_NAME = 'autoencoder-playground';
/** Bumped, with an upgrade step, whenever the stores change shape. */
const DATABASE_VERSION = 1;
const RECORDS_STORE = 'records';
const WEIGHTS_STORE = 'weights';

/** One `weights` entry. The format tag lets a later version recognise entries it cannot read. */
interface StoredWeights {
  format: string;
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

const STORAGE_OFF = 'so trained models are kept in memory only';

/** Turns a DOMException (or anything thrown by IndexedDB) into a PersistenceError the page can show. */
function storageError(error: unknown, action: string): PersistenceError {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  // A transaction aborted without a cause reports error === null.
  const detail = error instanceof Error || error instanceof DOMException ? error.message : error == null ? '' : String(error);
  // Firefox before 2020 named it NS_ERROR_DOM_QUOTA_REACHED.
  if (name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED') {
    return new PersistenceError(
      'quota',
      `The browser's storage for this site is full, ${STORAGE_OFF}. Deleting saved models or this site's data frees space.`,
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
      for (const store of [RECORDS_STORE, WEIGHTS_STORE]) {
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
 * Runs one transaction over both stores and resolves once it has COMMITTED (not when the requests succeed:
 * quota errors can arrive at commit). `body` queues requests and returns a reader for their results.
 * Any failure aborts the whole transaction, so nothing is half-written.
 */
async function transact<T>(
  mode: IDBTransactionMode,
  action: string,
  body: (records: IDBObjectStore, weights: IDBObjectStore) => () => T,
): Promise<T> {
  const db = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      let tx: IDBTransaction | undefined;
      try {
        tx = db.transaction([RECORDS_STORE, WEIGHTS_STORE], mode);
        const transaction = tx;
        const read = body(tx.objectStore(RECORDS_STORE), tx.objectStore(WEIGHTS_STORE));
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
 * Saves a trained model and its record, replacing any saved model of the same architecture. The model is
 * checked like an import first, so whatever is saved loads again.
 * @throws PersistenceError 'unavailable' (no IndexedDB, private mode) or 'quota' (storage full); the
 *   previously saved model of that architecture, if any, is then unchanged. Also 'bad-file' / 'corrupt' for a
 *   malformed record or non-finite weights.
 */
export async function saveModel(model: tf.LayersModel, record: ModelRecord): Promise<void> {
  const clean = normalizeRecord(record);
  const artifacts = await artifactsOf(model);
  const payload = await checkPayload(clean.arch, artifacts.modelTopology, artifacts.weightSpecs, artifacts.weightData);
  const stored: StoredWeights = { format: MODEL_FILE_FORMAT, ...payload };
  await transact('readwrite', `save the ${ARCHITECTURES[clean.arch].label} model`, (records, weights) => {
    weights.put(stored, clean.arch);
    records.put(clean, clean.arch);
    return () => undefined;
  });
}

/**
 * Records of every saved model, in architecture display order. Entries that are unreadable or have lost their
 * weights are skipped rather than hiding the others.
 * @throws PersistenceError 'unavailable' when IndexedDB cannot be used
 */
export async function listSavedModels(): Promise<ModelRecord[]> {
  const { rawRecords, weightKeys } = await transact('readonly', 'list saved models', (records, weights) => {
    const recordsRequest = records.getAll();
    const keysRequest = weights.getAllKeys();
    return () => ({ rawRecords: resultOf(recordsRequest), weightKeys: resultOf(keysRequest) });
  });
  const withWeights = new Set(Array.isArray(weightKeys) ? weightKeys : []);
  const found: ModelRecord[] = [];
  for (const raw of Array.isArray(rawRecords) ? rawRecords : []) {
    try {
      const record = normalizeRecord(raw);
      if (withWeights.has(record.arch)) found.push(record);
    } catch {
      // written by an incompatible version; loadSavedModel reports it if asked for
    }
  }
  return found.sort((a, b) => ARCH_IDS.indexOf(a.arch) - ARCH_IDS.indexOf(b.arch));
}

/**
 * Rebuilds the saved model of `arch`, checked like an imported file.
 * @throws PersistenceError 'not-found' when none is saved, 'incompatible' / 'corrupt' when the stored entry
 *   cannot be used (the caller may delete it), 'unavailable' when IndexedDB cannot be used
 */
export async function loadSavedModel(arch: ArchId): Promise<{ model: tf.LayersModel; record: ModelRecord }> {
  const label = ARCHITECTURES[arch].label;
  const { rawRecord, rawWeights } = await transact('readonly', `load the ${label} model`, (records, weights) => {
    const recordRequest = records.get(arch);
    const weightsRequest = weights.get(arch);
    return () => ({ rawRecord: resultOf(recordRequest), rawWeights: resultOf(weightsRequest) });
  });
  if (rawRecord === undefined || rawWeights === undefined) {
    throw new PersistenceError('not-found', `No ${label} model is saved in this browser.`);
  }
  let record: ModelRecord;
  try {
    record = normalizeRecord(rawRecord);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new PersistenceError('corrupt', `The saved ${label} model cannot be read: ${detail}`);
  }
  if (record.arch !== arch || !isStoredWeights(rawWeights)) {
    throw new PersistenceError('corrupt', `The saved ${label} model is damaged; delete it and train again.`);
  }
  if (rawWeights.format !== MODEL_FILE_FORMAT) {
    throw new PersistenceError(
      'incompatible',
      `The saved ${label} model was stored as ${rawWeights.format}, which this version cannot read; delete it and train again.`,
    );
  }
  const payload = await checkPayload(arch, rawWeights.modelTopology, rawWeights.weightSpecs, rawWeights.weightData);
  return { model: await modelFromPayload(payload), record };
}

function isStoredWeights(value: unknown): value is StoredWeights {
  if (typeof value !== 'object' || value === null) return false;
  const entry: Partial<Record<keyof StoredWeights, unknown>> = value;
  return (
    typeof entry.format === 'string' &&
    typeof entry.modelTopology === 'object' &&
    Array.isArray(entry.weightSpecs) &&
    entry.weightData instanceof ArrayBuffer
  );
}

/**
 * Deletes the saved model of `arch` (record and weights together); deleting what is not saved is no error.
 * @throws PersistenceError 'unavailable' when IndexedDB cannot be used
 */
export async function deleteSavedModel(arch: ArchId): Promise<void> {
  await transact('readwrite', `delete the ${ARCHITECTURES[arch].label} model`, (records, weights) => {
    records.delete(arch);
    weights.delete(arch);
    return () => undefined;
  });
}
