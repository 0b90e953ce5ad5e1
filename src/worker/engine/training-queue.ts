import type { MnistData } from '../../data/mnist';
import * as tf from '@tensorflow/tfjs';
import { ARCHITECTURES, IMAGE_PIXELS, buildAutoencoder, type ArchId } from '../../models/architectures';
import { checkDivergence, describeDivergence, type Divergence } from '../../models/divergence';
import type { AdamState } from '../../models/keras-adam';
import { DEFAULT_TRAIN_OPTIONS, evaluateMse, reconstruct, trainAutoencoder } from '../../models/train';
import { PREVIEW_COUNT, PREVIEW_INTERVAL_MS, TRAIN_PROGRESS_INTERVAL_MS, type EngineEvent, type EpochRecord } from '../protocol';
import { finalFigures } from './figures';
import { gpuLost, whenGpuLost } from './backends';
import { readWeights, writeWeights, type ModelStore } from './model-store';
import { PersistenceError, saveModel } from './persistence';

/** One queued training request. */
export interface TrainJob {
  runId: number;
  arch: ArchId;
  epochs: number;
  trainSize: number;
  learningRate: number;
  seed: number;
}

/**
 * Trains queued models one after another (one backend, one model at a time is fastest). Stopping a
 * queued run removes it; stopping the running one ends it after the current batch and keeps its weights;
 * the rest of the queue carries on either way.
 */
export class TrainingQueue {
  private readonly pending: TrainJob[] = [];
  private current: (TrainJob & { stopRequested: boolean }) | null = null;

  constructor(
    private readonly post: (event: EngineEvent) => void,
    private readonly store: ModelStore,
    private readonly data: () => { mnist: MnistData; preview: Float32Array } | null,
    /** Moves the engine off a lost GPU (other models included); resolves to the new backend's name. */
    private readonly recoverFromLostGpu: () => Promise<string>,
  ) {}

  enqueue(job: TrainJob): void {
    this.pending.push(job);
    if (!this.current) void this.drain();
  }

  stop(runId: number): void {
    if (this.current?.runId === runId) {
      this.current.stopRequested = true;
      return;
    }
    const at = this.pending.findIndex((job) => job.runId === runId);
    if (at < 0) return;
    this.pending.splice(at, 1);
    this.post({ type: 'trainEnd', runId, outcome: 'stopped', epochsCompleted: 0, message: 'Removed from the queue before it started.' });
  }

  private async drain(): Promise<void> {
    for (let job = this.pending.shift(); job; job = this.pending.shift()) {
      this.current = { ...job, stopRequested: false };
      this.store.training = job.arch;
      try {
        await this.train(this.current);
      } finally {
        this.current = null;
        this.store.training = null;
      }
    }
  }

  private async train(job: TrainJob & { stopRequested: boolean }): Promise<void> {
    const { runId, arch, epochs } = job;
    const loaded = this.data();
    if (!loaded) {
      this.post({ type: 'trainEnd', runId, outcome: 'failed', epochsCompleted: 0, message: 'The data set is not loaded yet.' });
      return;
    }
    const { mnist, preview } = loaded;
    const count = Math.max(1, Math.min(Math.floor(job.trainSize), mnist.train.count));
    const options = { ...DEFAULT_TRAIN_OPTIONS, epochs, learningRate: job.learningRate, seed: job.seed };
    const batchesPerEpoch = Math.ceil(count / options.batchSize);
    let epochsCompleted = 0;
    try {
      let model = buildAutoencoder(arch, options.seed);
      this.store.set(arch, model);
      const initialTestMse = await evaluateMse(model, arch, mnist.test);
      this.post({ type: 'trainStarted', runId, arch, epochs, trainSize: count, batchesPerEpoch, initialTestMse });
      const history: EpochRecord[] = [];
      // The end of the last completed epoch, in host memory: what a diverging run falls back to, and what a
      // run whose GPU is lost continues from on the next backend.
      let lastGood = await readWeights(model);
      let lastOptimizer: AdamState | null = null;
      let divergence: Divergence = null;
      const allLosses: number[] = [];
      let pending: number[] = [];
      let lastProgress = performance.now();
      let lastPreview = lastProgress;
      const flush = async (epoch: number, batch: number, withPreview: boolean) => {
        const batchLosses = Float32Array.from(pending);
        pending = [];
        const reconstructions = withPreview ? await reconstruct(model, arch, preview, PREVIEW_COUNT) : undefined;
        this.post({ type: 'trainProgress', runId, epoch, batch, batchLosses, reconstructions });
      };
      const trainSet = { images: mnist.train.images.subarray(0, count * IMAGE_PIXELS), count };
      const callbacks = {
        onBatch: async (info: { epoch: number; batch: number; loss: number }) => {
          // A lost WebGL context makes tfjs compute garbage rather than fail: stop before it is used.
          if (gpuLost()) throw new Error('The GPU context was lost.');
          divergence ??= checkDivergence(info.loss, allLosses[0] ?? info.loss, allLosses.length + 1);
          pending.push(info.loss);
          allLosses.push(info.loss);
          const now = performance.now();
          if (now - lastProgress < TRAIN_PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          const previewDue = now - lastPreview >= PREVIEW_INTERVAL_MS;
          if (previewDue) lastPreview = now;
          await flush(info.epoch, info.batch + 1, previewDue);
        },
        onEpochEnd: async (info: { epoch: number; trainLoss: number; testMse: number; trainSeconds: number; samplesPerSec: number; readOptimizerState(): Promise<AdamState> }) => {
          if (gpuLost()) throw new Error('The GPU context was lost.');
          if (pending.length > 0) await flush(info.epoch, batchesPerEpoch, false);
          // Read everything first and commit it together: the epoch counts as completed only with its
          // weights and optimiser state in host memory (what a lost GPU's run continues from).
          const weights = await readWeights(model);
          const optimizer = await info.readOptimizerState();
          const reconstructions = await reconstruct(model, arch, preview, PREVIEW_COUNT);
          if (gpuLost()) throw new Error('The GPU context was lost.');
          epochsCompleted = info.epoch + 1;
          const record = { epoch: epochsCompleted, trainLoss: info.trainLoss, testMse: info.testMse, trainSeconds: info.trainSeconds, samplesPerSec: info.samplesPerSec };
          history.push(record);
          lastGood = weights;
          lastOptimizer = optimizer;
          this.post({ type: 'epochEnd', runId, record, reconstructions });
        },
        shouldStop: () => job.stopRequested || divergence !== null,
      };
      let result: { stopped: boolean; epochsCompleted: number };
      for (;;) {
        const gpu = whenGpuLost();
        try {
          const resume = lastOptimizer ? { epochsCompleted, optimizer: lastOptimizer } : undefined;
          result = await trainAutoencoder(model, arch, trainSet, mnist.test, options, { ...callbacks, interrupted: gpu.lost }, resume);
          break;
        } catch (error) {
          if (!gpuLost()) throw error;
          // Continue on the next backend from the last completed epoch, with the same optimiser state.
          const lostBackend = tf.getBackend();
          const backend = await this.recoverFromLostGpu();
          model = buildAutoencoder(arch);
          writeWeights(model, lastGood);
          this.store.set(arch, model);
          pending = [];
          allLosses.length = epochsCompleted * batchesPerEpoch;
          this.post({
            type: 'trainNotice',
            runId,
            epochsCompleted,
            message: `The GPU (${lostBackend}) was lost in epoch ${epochsCompleted + 1}. Training goes on with ${backend} from ${epochsCompleted > 0 ? `the end of epoch ${epochsCompleted}` : 'the start'}; the batches of the interrupted epoch are repeated.`,
          });
        } finally {
          gpu.release();
        }
      }
      if (divergence) writeWeights(model, lastGood);
      if (pending.length > 0) await flush(epochsCompleted, 0, true);
      this.store.training = null;
      const final = await finalFigures(this.store, arch, mnist.test);
      const label = ARCHITECTURES[arch].label;
      this.post({
        type: 'trainEnd',
        runId,
        outcome: divergence ? 'diverged' : result.stopped ? 'stopped' : 'completed',
        epochsCompleted: result.epochsCompleted,
        message: divergence
          ? `Training diverged: ${describeDivergence(divergence)} in epoch ${epochsCompleted + 1} (learning rate ${job.learningRate}). ${label} went back to its weights from ${epochsCompleted > 0 ? `the end of epoch ${epochsCompleted}` : 'before training'}; try a smaller learning rate, such as 0.001.`
          : result.stopped
            ? `Stopped; ${label} keeps the weights learned so far.`
            : undefined,
        final,
      });
      const record = { arch, savedAt: new Date().toISOString(), epochs: result.epochsCompleted, trainSize: count, seed: job.seed, history, initialTestMse, backend: tf.getBackend(), batchLosses: allLosses };
      await this.store.setRecord(record);
      await this.save(model, record);
    } catch (error) {
      this.post({ type: 'trainEnd', runId, outcome: 'failed', epochsCompleted, message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Keeps the model across reloads; a storage failure loses nothing, the session goes on in memory. */
  private async save(model: tf.LayersModel, record: Parameters<typeof saveModel>[1]): Promise<void> {
    try {
      await saveModel(model, record);
    } catch (error) {
      const message = error instanceof PersistenceError ? error.message : `Could not save the model: ${String(error)}`;
      this.post({ type: 'storageNotice', message });
    }
  }
}
