import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, buildAutoencoder, splitAutoencoder, type ArchId } from '../../models/architectures';
import type { ModelRecord } from '../protocol';

/**
 * The trained models the engine holds, one per architecture, with their encoder/decoder halves built
 * on demand. The halves share the model's layers, so all three are disposed together.
 */
export class ModelStore {
  private readonly models = new Map<ArchId, tf.LayersModel>();
  private readonly halves = new Map<ArchId, { encoder: tf.LayersModel; decoder: tf.LayersModel }>();
  /** what was saved (or would be) beside each model: its training history and settings */
  private readonly records = new Map<ArchId, ModelRecord>();
  /** each finished model's weights in host memory: what rebuilds it when the GPU holding it is lost */
  private readonly hostWeights = new Map<ArchId, Float32Array[]>();
  /** the architecture being trained now: its weights change under any reader */
  training: ArchId | null = null;

  get(arch: ArchId): tf.LayersModel | undefined {
    return this.models.get(arch);
  }

  /** A trained model that is not being trained right now. @throws a message for people otherwise */
  ready(arch: ArchId): tf.LayersModel {
    if (this.training === arch) throw new Error(`${ARCHITECTURES[arch].label} is training; stop it or wait for it to finish.`);
    const model = this.models.get(arch);
    if (!model) throw new Error(`${ARCHITECTURES[arch].label} has not been trained yet.`);
    return model;
  }

  set(arch: ArchId, model: tf.LayersModel): void {
    this.forget(arch);
    this.models.set(arch, model);
  }

  /**
   * Notes the record of a model the store holds once it is finished (trained, restored or imported), and
   * keeps a host copy of its weights (a few MB) so a lost GPU cannot take the model with it.
   */
  async setRecord(record: ModelRecord): Promise<void> {
    this.records.set(record.arch, record);
    const model = this.models.get(record.arch);
    if (!model) return;
    const weights = await readWeights(model);
    // The model may have been replaced while its weights were on their way.
    if (this.models.get(record.arch) === model) this.hostWeights.set(record.arch, weights);
  }

  /**
   * After the backend changed (a lost GPU): rebuilds every held model on the active backend from its host
   * copy, except `skip` (the model in training, which its run restores itself). Returns what it rebuilt.
   */
  rebuildOnActiveBackend(skip: ArchId | null): ArchId[] {
    const rebuilt: ArchId[] = [];
    for (const arch of [...this.models.keys()]) {
      if (arch === skip) continue;
      const weights = this.hostWeights.get(arch);
      const record = this.records.get(arch);
      this.disposeModel(arch);
      if (!weights || !record) continue;
      const model = buildAutoencoder(arch);
      writeWeights(model, weights);
      this.models.set(arch, model);
      rebuilt.push(arch);
    }
    return rebuilt;
  }

  /** The record of a held model. @throws when the model is not trained or is training */
  record(arch: ArchId): ModelRecord {
    this.ready(arch);
    const record = this.records.get(arch);
    if (!record) throw new Error(`${ARCHITECTURES[arch].label} has no training record yet.`);
    return record;
  }

  forget(arch: ArchId): void {
    this.disposeModel(arch);
    this.records.delete(arch);
    this.hostWeights.delete(arch);
  }

  private disposeModel(arch: ArchId): void {
    const halves = this.halves.get(arch);
    halves?.encoder.dispose();
    halves?.decoder.dispose();
    this.halves.delete(arch);
    this.models.get(arch)?.dispose();
    this.models.delete(arch);
  }

  halvesOf(arch: ArchId): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
    const model = this.ready(arch);
    const existing = this.halves.get(arch);
    if (existing) return existing;
    const halves = splitAutoencoder(model);
    this.halves.set(arch, halves);
    return halves;
  }
}

/**
 * The model's weights copied to host memory, in `getWeights()` order. Async: tfjs-webgpu's synchronous
 * read returns zeros on software adapters and loses the device.
 */
export async function readWeights(model: tf.LayersModel): Promise<Float32Array[]> {
  const values = await Promise.all(model.getWeights().map((w) => w.data() as Promise<Float32Array>));
  return values.map((v) => v.slice());
}

/** Sets the model's weights from host copies made by `readWeights` (on any backend). */
export function writeWeights(model: tf.LayersModel, weights: readonly Float32Array[]): void {
  const tensors = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
}
