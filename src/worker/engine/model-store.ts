import * as tf from '@tensorflow/tfjs';
import { buildAutoencoder, splitAutoencoder } from '../../models/architectures';
import type { AdamState } from '../../models/keras-adam';
import type { RunId, RunRecord } from '../protocol';

/** A run's weights (in `getWeights()` order) and Adam state, in host memory. */
export interface RunWeights {
  weights: Float32Array[];
  /** null when none was kept (files from before runs existed) */
  optimizer: AdamState | null;
}

/**
 * The runs the engine holds, each with its own model — runs are never overwritten, so two runs of one
 * architecture live side by side. Encoder/decoder halves are built on demand and share the model's layers,
 * so all three are disposed together. Each finished run also keeps a host copy of its weights and Adam
 * state: what rebuilds it when the GPU holding it is lost, and what a continued run starts from.
 */
export class ModelStore {
  private readonly models = new Map<RunId, tf.LayersModel>();
  private readonly halves = new Map<RunId, { encoder: tf.LayersModel; decoder: tf.LayersModel }>();
  private readonly records = new Map<RunId, RunRecord>();
  private readonly host = new Map<RunId, RunWeights>();
  /** the run training now: its weights change under any reader */
  training: RunId | null = null;

  get(runId: RunId): tf.LayersModel | undefined {
    return this.models.get(runId);
  }

  /** A held run's model that is not being trained right now. @throws a message for people otherwise */
  ready(runId: RunId): tf.LayersModel {
    const name = this.records.get(runId)?.name ?? 'This run';
    if (this.training === runId) throw new Error(`${name} is training; stop it or wait for it to finish.`);
    const model = this.models.get(runId);
    if (!model) throw new Error(`${name} has no trained weights here (it may have been deleted).`);
    return model;
  }

  /** Holds `model` as run `runId`'s (replacing only that run's earlier model object). */
  set(runId: RunId, model: tf.LayersModel): void {
    if (this.models.get(runId) !== model) this.disposeModel(runId);
    this.models.set(runId, model);
  }

  /** Notes a finished run's record and the host copy of its weights and Adam state. */
  setRun(record: RunRecord, weights: RunWeights): void {
    this.records.set(record.id, record);
    this.host.set(record.id, weights);
  }

  /** Updates the record only (a rename). */
  setRecord(record: RunRecord): void {
    this.records.set(record.id, record);
  }

  /** The record of a held run. @throws when unknown */
  record(runId: RunId): RunRecord {
    const record = this.findRecord(runId);
    if (!record) throw new Error('That run is not here any more (it may have been deleted).');
    return record;
  }

  /** The record of a held run, or undefined. */
  findRecord(runId: RunId): RunRecord | undefined {
    return this.records.get(runId);
  }

  /** Host copy of a finished run's weights and Adam state. */
  hostWeights(runId: RunId): RunWeights | undefined {
    return this.host.get(runId);
  }

  /** Every held run's record, oldest first. */
  list(): RunRecord[] {
    return [...this.records.values()];
  }

  /**
   * After the backend changed (a lost GPU): rebuilds every held model on the active backend from its host
   * copy, except `skip` (the run in training, which restores itself). Returns the runs it rebuilt.
   */
  rebuildOnActiveBackend(skip: RunId | null): RunId[] {
    const rebuilt: RunId[] = [];
    for (const runId of [...this.models.keys()]) {
      if (runId === skip) continue;
      const weights = this.host.get(runId);
      const record = this.records.get(runId);
      this.disposeModel(runId);
      if (!weights || !record) continue;
      const model = buildAutoencoder(record.settings.arch, undefined, record.settings.latentDim);
      writeWeights(model, weights.weights);
      this.models.set(runId, model);
      rebuilt.push(runId);
    }
    return rebuilt;
  }

  /** Drops a run: its model, halves, record and host copy. */
  forget(runId: RunId): void {
    this.disposeModel(runId);
    this.records.delete(runId);
    this.host.delete(runId);
  }

  private disposeModel(runId: RunId): void {
    const halves = this.halves.get(runId);
    halves?.encoder.dispose();
    halves?.decoder.dispose();
    this.halves.delete(runId);
    this.models.get(runId)?.dispose();
    this.models.delete(runId);
  }

  halvesOf(runId: RunId): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
    const model = this.ready(runId);
    const existing = this.halves.get(runId);
    if (existing) return existing;
    const halves = splitAutoencoder(model);
    this.halves.set(runId, halves);
    return halves;
  }
}

/**
 * The model's weights copied to host memory, in `getWeights()` order. Async: a synchronous read blocks a GPU
 * backend's worker, and tfjs-webgpu 4.22's `dataSync` returns zeros on software adapters.
 */
export async function readWeights(model: tf.LayersModel): Promise<Float32Array[]> {
  const values = await Promise.all(model.getWeights().map((w) => w.data()));
  return values.map((v) => Float32Array.from(v));
}

/** Sets the model's weights from host copies made by `readWeights` (on any backend). */
export function writeWeights(model: tf.LayersModel, weights: readonly Float32Array[]): void {
  const tensors = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}
