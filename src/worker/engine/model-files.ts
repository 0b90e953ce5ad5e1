/**
 * The downloadable model file, and the validation shared by everything that turns stored bytes back into a
 * model (a file the user picked, or an IndexedDB entry written by an older version of the app).
 *
 * One file, one JSON object: `{ format, record, modelTopology, weightSpecs, weightData }` with the weights as
 * base64 of little-endian float32 in `weightSpecs` order (tfjs's own layout). One file is easier for people
 * to keep and pick than tfjs's model.json + weights.bin pair.
 *
 * Untrusted input is checked completely before any tensor exists: the topology must equal the architecture
 * this app builds (seeds aside), the weight specs must equal a freshly built model's, the byte count must
 * match and every weight must be finite. Only then is the model built, so a bad file costs no memory and
 * changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, ARCH_IDS, buildAutoencoder, isArchId, type ArchId } from '../../models/architectures';
import type { EpochRecord } from '../protocol';
import type { LegacyModelRecord } from './run-records';

/** The record of format model@1 (before runs): one model per architecture. */
type ModelRecord = LegacyModelRecord;

/** Why persistence failed; the page words its notice from this (e.g. 'quota' → "kept in memory only"). */
export type PersistenceErrorCode =
  /** IndexedDB is missing or refuses to open (private browsing, blocked site data) */
  | 'unavailable'
  /** the browser's storage quota is exhausted */
  | 'quota'
  /** nothing saved for that architecture */
  | 'not-found'
  /** not one of our model files, or its structure is malformed */
  | 'bad-file'
  /** one of our files, but for another architecture, format version or layer layout */
  | 'incompatible'
  /** right structure, damaged contents: truncated or non-finite weights, broken base64 */
  | 'corrupt';

/** A persistence failure with a message fit to show the user as it is. */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';

  constructor(
    readonly code: PersistenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}


/**
 * Format tag of the files (and IndexedDB entries) written before runs existed. They still import, as runs;
 * new files are runs (`run-files.ts`).
 */
export const MODEL_FILE_FORMAT = 'autoencoder-playground/model@1';

/** Batch losses kept with a model: enough for a smooth chart, small enough to keep records cheap. */
const MAX_STORED_BATCH_LOSSES = 2_000;

/**
 * Largest file read. The biggest model (dense, 716,640 float32 parameters) is ~3.8 MB as base64; anything far
 * above that is not ours, and reading it whole could exhaust the worker's memory.
 */
export const MAX_MODEL_FILE_BYTES = 32 * 1024 * 1024;

/** The weights are stored as float32: four bytes per parameter. */
const BYTES_PER_WEIGHT = 4;

/** A JSON value as `JSON.parse` returns it. */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Topology, weight specs and weight bytes: what both the file and the IndexedDB entry hold. */
export interface ModelPayload {
  /** tfjs LayersModel topology (`model.toJSON(null, false)`) */
  modelTopology: JsonObject;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** all weights, concatenated in `weightSpecs` order */
  weightData: ArrayBuffer;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

// ——— record ———

/** Every key a model@1 record may have (`seed` and `batchLosses` only in later ones). */
const LEGACY_RECORD_KEYS: ReadonlySet<string> = new Set(['arch', 'savedAt', 'epochs', 'trainSize', 'history', 'initialTestMse', 'backend', 'seed', 'batchLosses']);
const EPOCH_KEYS: ReadonlySet<string> = new Set(['epoch', 'trainLoss', 'testMse', 'trainSeconds', 'samplesPerSec']);
/** The keys of a model@1 file, as the removed exportModelFile wrote them. */
const LEGACY_FILE_KEYS: ReadonlySet<string> = new Set(['format', 'record', 'modelTopology', 'weightSpecs', 'weightData']);
/** A weight spec as tfjs writes one for float32 weights; quantisation keys and anything else are refused. */
const WEIGHT_SPEC_KEYS: ReadonlySet<string> = new Set(['name', 'shape', 'dtype']);

/** The first key of `value` not in `known`, or null: unknown keys are refused by name, never dropped. */
function unknownKey(value: JsonObject, known: ReadonlySet<string>): string | null {
  return Object.keys(value).find((key) => !known.has(key)) ?? null;
}

/**
 * Checks and copies a record (known fields only). JSON has no NaN, so a diverged run's NaN losses come back
 * as null; those read back as NaN rather than rejecting the file. Batch losses above
 * {@link MAX_STORED_BATCH_LOSSES} are thinned.
 * @throws PersistenceError 'bad-file' for a malformed record, 'incompatible' for an unknown architecture
 */
export function normalizeRecord(raw: unknown): ModelRecord {
  const bad = (why: string) => new PersistenceError('bad-file', `The model file's description is damaged: ${why}.`);
  if (!isObject(raw)) throw bad('it is missing');
  const unknown = unknownKey(raw, LEGACY_RECORD_KEYS);
  if (unknown !== null) throw bad(`it has a field ${quote(unknown)} this playground does not know (it reads only the fields it wrote)`);
  const arch: unknown = raw.arch;
  if (typeof arch !== 'string') throw bad('it names no architecture');
  if (!isArchId(arch)) {
    throw new PersistenceError(
      'incompatible',
      `This file holds a model of an unknown architecture '${arch}'; this playground knows ${ARCH_IDS.join(', ')}.`,
    );
  }
  const count = (key: string, min: number): number => {
    const value = raw[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw bad(`'${key}' should be a whole number ≥ ${min}, found ${quote(value)}`);
    }
    return value;
  };
  const real = (value: Json | undefined, what: string): number => {
    if (value === null) return NaN;
    if (typeof value !== 'number') throw bad(`${what} should be a number, found ${quote(value)}`);
    return value;
  };

  const savedAt = raw.savedAt;
  if (typeof savedAt !== 'string' || Number.isNaN(Date.parse(savedAt))) {
    throw bad(`'savedAt' should be a date, found ${quote(savedAt)}`);
  }
  const backend = raw.backend;
  if (typeof backend !== 'string') throw bad(`'backend' should be text, found ${quote(backend)}`);
  const initial = raw.initialTestMse;
  if (initial !== null && typeof initial !== 'number') {
    throw bad(`'initialTestMse' should be a number or null, found ${quote(initial)}`);
  }
  const history = raw.history;
  if (!Array.isArray(history)) throw bad(`'history' should be a list, found ${quote(history)}`);

  const record: ModelRecord = {
    arch,
    savedAt,
    epochs: count('epochs', 0),
    trainSize: count('trainSize', 0),
    history: history.map((entry, i): EpochRecord => {
      if (!isObject(entry)) throw bad(`history entry ${i + 1} is not an object`);
      const extra = unknownKey(entry, EPOCH_KEYS);
      if (extra !== null) throw bad(`history entry ${i + 1} has a field ${quote(extra)} this playground does not know`);
      const epoch = entry.epoch;
      if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 1) {
        throw bad(`history entry ${i + 1} has no epoch number`);
      }
      const field = (key: keyof EpochRecord) => real(entry[key], `history entry ${i + 1}'s '${key}'`);
      return {
        epoch,
        trainLoss: field('trainLoss'),
        testMse: field('testMse'),
        trainSeconds: field('trainSeconds'),
        samplesPerSec: field('samplesPerSec'),
      };
    }),
    initialTestMse: initial,
    backend,
  };
  if (raw.seed !== undefined) record.seed = count('seed', 0);
  const losses = raw.batchLosses;
  if (losses !== undefined) {
    if (!Array.isArray(losses)) throw bad(`'batchLosses' should be a list, found ${quote(losses)}`);
    record.batchLosses = thinBatchLosses(losses.map((loss, i) => real(loss, `batch loss ${i + 1}`)));
  }
  return record;
}

/**
 * Thins a loss curve to at most `max` points by averaging equal runs of consecutive batches (averages keep
 * the trend a stride would alias). Returns a copy, unchanged when it is already short enough.
 */
export function thinBatchLosses(losses: ArrayLike<number>, max = MAX_STORED_BATCH_LOSSES): number[] {
  const n = losses.length;
  if (n <= max) return Array.from(losses);
  const out = new Array<number>(max);
  for (let i = 0; i < max; i++) {
    const start = Math.floor((i * n) / max);
    const end = Math.floor(((i + 1) * n) / max);
    let sum = 0;
    for (let j = start; j < end; j++) sum += losses[j];
    out[i] = sum / (end - start);
  }
  return out;
}

// ——— the architecture's reference shape ———

interface Reference {
  /** keys of the topology itself (class_name, config, keras_version, backend) and of its config */
  topologyKeys: ReadonlySet<string>;
  configKeys: ReadonlySet<string>;
  className: Json;
  layers: JsonObject[];
  inputLayers: Json;
  outputLayers: Json;
  weightSpecs: tf.io.WeightsManifestEntry[];
  expectedBytes: number;
}

/** Saved once per architecture; pure JSON, so caching it holds no tensors. */
const references = new Map<ArchId, Promise<Reference>>();

/** The topology and weight specs of a freshly built model of `arch` (built and disposed at once). */
function referenceOf(arch: ArchId): Promise<Reference> {
  let reference = references.get(arch);
  if (!reference) {
    reference = (async () => {
      const model = buildAutoencoder(arch);
      try {
        const { modelTopology, weightSpecs } = await artifactsOf(model);
        const config = modelTopology.config;
        if (!isObject(config) || !Array.isArray(config.layers)) throw new Error(`Unexpected topology of ${arch}`);
        return {
          topologyKeys: new Set(Object.keys(modelTopology)),
          configKeys: new Set(Object.keys(config)),
          className: modelTopology.class_name ?? null,
          layers: config.layers.filter(isObject),
          inputLayers: config.input_layers ?? null,
          outputLayers: config.output_layers ?? null,
          weightSpecs,
          expectedBytes: weightSpecs.reduce((sum, spec) => sum + sizeOf(spec.shape) * BYTES_PER_WEIGHT, 0),
        };
      } finally {
        model.dispose();
      }
    })();
    // A failure here is a bug, not a bad file: do not cache it, so a retry reports it again.
    reference.catch(() => references.delete(arch));
    references.set(arch, reference);
  }
  return reference;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, d) => product * d, 1);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Config keys that do not change what the model computes. The initialiser seed only mattered before
 * training; every other difference (activation, units, filters, shapes, wiring) would.
 */
const IGNORED_CONFIG_KEYS: ReadonlySet<string> = new Set(['seed']);

/** First difference between a file's topology and the architecture's, in words; null when they agree. */
function topologyMismatch(topology: JsonObject, reference: Reference): string | null {
  const config = topology.config;
  if (!isObject(config) || !Array.isArray(config.layers)) return 'it has no layer list';
  if (!jsonEqual(topology.class_name, reference.className)) return `it is a ${quote(topology.class_name)} where there should be a ${quote(reference.className)}`;
  const layers = config.layers;
  if (layers.length !== reference.layers.length) {
    return `it has ${layers.length} layers where there should be ${reference.layers.length}`;
  }
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const expected = reference.layers[i];
    if (!isObject(layer)) return `layer ${i + 1} is not described`;
    if (layer.name !== expected.name || layer.class_name !== expected.class_name) {
      return (
        `layer ${i + 1} is ${quote(layer.name)} (${quote(layer.class_name)}) where there should be ` +
        `${quote(expected.name)} (${quote(expected.class_name)})`
      );
    }
    const name = String(expected.name);
    const extraLayerKey = unknownKey(layer, new Set(Object.keys(expected)));
    if (extraLayerKey !== null) return `layer '${name}' has a field ${quote(extraLayerKey)} this architecture's layer does not have`;
    if (!jsonEqual(layer.inbound_nodes, expected.inbound_nodes)) return `layer '${name}' is connected differently`;
    const got = isObject(layer.config) ? layer.config : {};
    const want = isObject(expected.config) ? expected.config : {};
    const extraConfigKey = unknownKey(got, new Set(Object.keys(want)));
    if (extraConfigKey !== null) return `layer '${name}' has a setting ${quote(extraConfigKey)} this architecture's layer does not have`;
    const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
    for (const key of keys) {
      if (IGNORED_CONFIG_KEYS.has(key) || jsonEqual(got[key], want[key])) continue;
      return `layer '${name}' has ${key} ${quote(got[key])} where there should be ${quote(want[key])}`;
    }
  }
  if (!jsonEqual(config.input_layers, reference.inputLayers) || !jsonEqual(config.output_layers, reference.outputLayers)) {
    return 'its inputs or outputs are wired differently';
  }
  return null;
}

/** First difference between a file's weight specs and the architecture's, in words; null when they agree. */
function specsMismatch(specs: unknown, reference: Reference): string | null {
  if (!Array.isArray(specs)) return 'it has no weight list';
  const want = reference.weightSpecs;
  if (specs.length !== want.length) return `it has ${specs.length} weight tensors where there should be ${want.length}`;
  for (let i = 0; i < specs.length; i++) {
    const spec: unknown = specs[i];
    const expected = want[i];
    if (!isObject(spec)) return `weight ${i + 1} is not described`;
    const extra = unknownKey(spec, WEIGHT_SPEC_KEYS);
    if (extra !== null) return `weight ${i + 1} has a field ${quote(extra)} this playground does not read`;
    if (spec.name !== expected.name) {
      return `weight ${i + 1} is ${quote(spec.name)} where there should be '${expected.name}'`;
    }
    if (!jsonEqual(spec.shape, expected.shape)) {
      return `weight '${expected.name}' has shape ${quote(spec.shape)} where there should be ${quote(expected.shape)}`;
    }
    if (spec.dtype !== 'float32') return `weight '${expected.name}' is stored as ${quote(spec.dtype)}, not float32`;
    if (spec.quantization !== undefined || spec.group !== undefined) return `weight '${expected.name}' is quantised`;
  }
  return null;
}

/**
 * Checks an untrusted payload against the architecture `arch` without building anything.
 * @returns the payload with its specs re-typed (they equal the reference's)
 * @throws PersistenceError 'bad-file' | 'incompatible' | 'corrupt' with the first problem found
 */
export async function checkPayload(
  arch: ArchId,
  modelTopology: unknown,
  weightSpecs: unknown,
  weightData: ArrayBuffer,
): Promise<ModelPayload> {
  const label = ARCHITECTURES[arch].label;
  const reference = await referenceOf(arch);
  if (!isObject(modelTopology)) throw new PersistenceError('bad-file', 'The file has no model topology.');
  // tfjs builds from keys such as `model_config` when they are present; this app never builds from a
  // topology, but a topology with anything it does not check is refused rather than passed on.
  const extraKey = unknownKey(modelTopology, reference.topologyKeys) ?? (isObject(modelTopology.config) ? unknownKey(modelTopology.config, reference.configKeys) : null);
  if (extraKey !== null) {
    throw new PersistenceError(
      'incompatible',
      `The model's topology has a field ${quote(extraKey)} that this playground does not check (it could describe another model), so the file is refused.`,
    );
  }
  for (const key of ['keras_version', 'backend']) {
    const value = modelTopology[key];
    if (value !== undefined && (typeof value !== 'string' || value.length > 100)) throw new PersistenceError('bad-file', `The model's topology has a damaged '${key}'.`);
  }
  const layout = topologyMismatch(modelTopology, reference);
  if (layout !== null) {
    throw new PersistenceError(
      'incompatible',
      `The file says it holds a ${label} model, but its layers do not match that architecture: ${layout}.`,
    );
  }
  const specs = specsMismatch(weightSpecs, reference);
  if (specs !== null) {
    throw new PersistenceError('incompatible', `The weights do not fit the ${label} architecture: ${specs}.`);
  }
  const found = weightData.byteLength;
  if (found < reference.expectedBytes) {
    throw new PersistenceError(
      'corrupt',
      `The weights are truncated: expected ${reference.expectedBytes} bytes, found ${found}.`,
    );
  }
  if (found > reference.expectedBytes) {
    throw new PersistenceError(
      'corrupt',
      `The weights are too long: expected ${reference.expectedBytes} bytes, found ${found}.`,
    );
  }
  const bad = firstNonFinite(new Float32Array(weightData));
  if (bad >= 0) {
    let offset = 0;
    const spec = reference.weightSpecs.find((s) => (offset += sizeOf(s.shape)) > bad);
    throw new PersistenceError(
      'corrupt',
      `The weights contain NaN or infinite values (first in '${spec?.name ?? '?'}'); the model cannot be used.`,
    );
  }
  // The specs equal the reference's; returning copies of those gives them their proper type.
  return { modelTopology, weightSpecs: reference.weightSpecs.map((s) => ({ ...s })), weightData };
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}

// ——— tfjs artifacts ———

/** A model's topology, weight specs and weights, through a memory save handler (reads the weights back). */
export async function artifactsOf(model: tf.LayersModel): Promise<ModelPayload> {
  // A holder object, because TypeScript does not see a callback assign a local `let`.
  const saved: { artifacts?: tf.io.ModelArtifacts } = {};
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved.artifacts = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved.artifacts === undefined) throw new Error('tfjs saved no artifacts');
  const { modelTopology, weightSpecs, weightData } = saved.artifacts;
  if (!isObject(modelTopology) || weightSpecs === undefined || weightData === undefined) {
    throw new Error('tfjs saved incomplete artifacts');
  }
  return { modelTopology, weightSpecs, weightData: tf.io.CompositeArrayBuffer.join(weightData) };
}

/**
 * The weights of a payload that {@link checkPayload} accepted, one array per tensor in `weightSpecs` order
 * (the order of `model.getWeights()`). The model itself is always built from this app's own architecture,
 * never from the file's topology, so nothing in a file can change what is built.
 */
export function weightsFromPayload(payload: ModelPayload): Float32Array[] {
  const all = new Float32Array(payload.weightData);
  let offset = 0;
  return payload.weightSpecs.map((spec) => {
    const size = sizeOf(spec.shape);
    const part = all.slice(offset, offset + size);
    offset += size;
    return part;
  });
}

// ——— base64 ———

/**
 * Bytes per `String.fromCharCode` call: spreading millions of arguments overflows the stack, and a multiple of
 * 3 makes each chunk's base64 end without padding, so the pieces concatenate.
 */
const BASE64_CHUNK_BYTES = 3 * 8_192;

/** Standard base64 (with padding) of `bytes`, chunked so multi-megabyte inputs are safe. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let start = 0; start < bytes.length; start += BASE64_CHUNK_BYTES) {
    const chunk = bytes.subarray(start, start + BASE64_CHUNK_BYTES);
    parts.push(btoa(String.fromCharCode(...chunk)));
  }
  return parts.join('');
}

/**
 * Bytes of a standard base64 string.
 * @throws PersistenceError 'corrupt' when the text is not valid base64
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new PersistenceError('corrupt', 'The weights are damaged: they are not valid base64 text.');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ——— the file ———

/**
 * Reads a model@1 file (written before runs existed) from its parsed JSON. Everything is validated before
 * anything is built (see the module comment), so a bad file changes nothing.
 * @throws PersistenceError with a message fit for the user: 'bad-file' (not ours / malformed),
 *   'incompatible' (unknown architecture, other format version, layers or weight shapes that do not fit),
 *   'corrupt' (truncated, broken or non-finite weights)
 */
export async function readLegacyModelFile(parsed: Record<string, unknown>): Promise<{ record: ModelRecord; weights: Float32Array[] }> {
  const extra = Object.keys(parsed).find((key) => !LEGACY_FILE_KEYS.has(key));
  if (extra !== undefined) {
    throw new PersistenceError('bad-file', `The model file has a field ${quote(extra)} this playground does not know (it reads only the fields it wrote), so it is refused.`);
  }
  const record = normalizeRecord(parsed.record);
  if (typeof parsed.weightData !== 'string') throw new PersistenceError('bad-file', 'The model file has no weights.');
  const bytes = decodeBase64(parsed.weightData);
  const payload = await checkPayload(record.arch, parsed.modelTopology, parsed.weightSpecs, bytes.buffer);
  return { record, weights: weightsFromPayload(payload) };
}
