/** Shared fixtures of the run persistence and run file tests: a run record, a seeded model, Adam state. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { buildAutoencoder, inputShapeOf, type ArchId } from '../../src/models/architectures';
import type { AdamState } from '../../src/models/keras-adam';
import { writeWeights } from '../../src/worker/engine/model-store';
import type { RunRecord } from '../../src/worker/protocol';
import { MNIST } from './state-fixtures';

export function runRecord(arch: ArchId, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `run-${arch}`,
    name: `${arch} · seed 1 · lr 0.002`,
    settings: { arch, epochs: 2, trainSize: 6_000, learningRate: 0.002, seed: 1, batchSize: 256, latentDim: 64, noise: { kind: 'none' } },
    dataset: MNIST,
    backend: 'cpu',
    createdAt: '2026-01-02T03:04:05.678Z',
    endedAt: '2026-01-02T03:09:05.678Z',
    outcome: 'completed',
    position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 24 },
    history: [
      { epoch: 1, trainLoss: 0.05, testMse: 0.04, trainSeconds: 12.5, samplesPerSec: 480 },
      { epoch: 2, trainLoss: 0.03, testMse: 0.025, trainSeconds: 11.75, samplesPerSec: 510.5 },
    ],
    batchLosses: Array.from({ length: 48 }, (_, i) => 0.3 / (i + 1)),
    lossStride: 1,
    initialTestMse: 0.23,
    final: { testMse: 0.025, deadUnits: 3 },
    message: null,
    partial: null,
    resumable: true,
    ...overrides,
  };
}

/** A model with every weight non-zero and seed-dependent (biases start at zero, so shift them). */
export function trainedModel(arch: ArchId, seed: number): tf.LayersModel {
  const model = buildAutoencoder(arch, seed);
  const shifted = tf.tidy(() => model.getWeights().map((w, i) => tf.add(w, (seed + i) * 1e-3)));
  model.setWeights(shifted);
  tf.dispose(shifted);
  return model;
}

/** Adam moments shaped like `weights`, every value distinct and finite (v is positive, as Adam's is). */
export function adamFor(weights: readonly Float32Array[], iterations: number): AdamState {
  const moments = (scale: number, offset: number) => weights.map((w, i) => w.map((_, j) => offset + scale * (((j * 7_919 + i * 104_729 + iterations) % 1_000) + 1)));
  return { iterations, m: moments(1e-5, -5e-3), v: moments(1e-8, 0) };
}

export function predictions(model: tf.LayersModel, arch: ArchId): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.randomUniform([3, ...inputShapeOf(arch)], 0, 1, 'float32', 11));
    if (Array.isArray(out)) throw new Error('expected one output');
    return out.dataSync() as Float32Array;
  });
}

/** Predictions of a model of `arch` built by the app and given `weights`: what the engine does with a run. */
export function predictionsWith(arch: ArchId, weights: readonly Float32Array[]): Float32Array {
  const model = buildAutoencoder(arch);
  writeWeights(model, weights);
  const out = predictions(model, arch);
  model.dispose();
  return out;
}

/** Bytewise equality of tensor lists (vitest's element-wise toEqual takes seconds on megabytes). */
export function expectSameArrays(got: readonly Float32Array[], want: readonly Float32Array[]) {
  expect(got.map((a) => a.length)).toEqual(want.map((a) => a.length));
  const same = got.map((a, i) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(want[i].buffer, want[i].byteOffset, want[i].byteLength)));
  expect(same).toEqual(want.map(() => true));
}

/** A model's weights on the host, synchronously (tests run on the CPU backend, where that is safe). */
export function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()));
}
