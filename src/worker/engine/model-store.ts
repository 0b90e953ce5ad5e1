import type * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, splitAutoencoder, type ArchId } from '../../models/architectures';
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

  /** Notes the record of a model the store holds (after training, restoring or importing it). */
  setRecord(record: ModelRecord): void {
    this.records.set(record.arch, record);
  }

  /** The record of a held model. @throws when the model is not trained or is training */
  record(arch: ArchId): ModelRecord {
    this.ready(arch);
    const record = this.records.get(arch);
    if (!record) throw new Error(`${ARCHITECTURES[arch].label} has no training record yet.`);
    return record;
  }

  forget(arch: ArchId): void {
    const halves = this.halves.get(arch);
    halves?.encoder.dispose();
    halves?.decoder.dispose();
    this.halves.delete(arch);
    this.models.get(arch)?.dispose();
    this.models.delete(arch);
    this.records.delete(arch);
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
