import * as tf from '@tensorflow/tfjs';
import { IdxError } from '../../data/idx';
import { loadMnist, type MnistData } from '../../data/mnist';
import { ARCHITECTURES, buildAutoencoder, summarize, type ArchId } from '../../models/architectures';
import { DEFAULT_TRAIN_OPTIONS, evaluateMse, reconstruct, trainAutoencoder } from '../../models/train';
import {
  PREVIEW_COUNT,
  PREVIEW_INTERVAL_MS,
  PROGRESS_INTERVAL_MS,
  type BackendName,
  type EngineEvent,
  type EngineRequest,
} from '../protocol';
import { selectBackend } from './backends';

/** Sends one event to the page. */
export type Post = (event: EngineEvent) => void;

interface ActiveRun {
  runId: number;
  stopRequested: boolean;
}

/**
 * Everything the worker does, independent of `self`: owns the data set, the trained models and the
 * current run. The worker file only forwards messages here.
 */
export class Engine {
  private data: MnistData | null = null;
  private preview: Float32Array = new Float32Array(0);
  private readonly models = new Map<ArchId, tf.LayersModel>();
  private run: ActiveRun | null = null;

  constructor(private readonly post: Post) {}

  /** Handles one request; long work (training) runs on while later requests (stop) arrive. */
  async handle(request: EngineRequest): Promise<void> {
    switch (request.type) {
      case 'init':
        return this.init(request.baseUrl, request.backend);
      case 'summary':
        return this.summary(request.arch);
      case 'train':
        return this.train(request.runId, request.arch, request.epochs, request.trainSize);
      case 'stop':
        if (this.run && this.run.runId === request.runId) this.run.stopRequested = true;
        return;
      default: {
        const unreachable: never = request;
        throw new Error(`Unknown request ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async init(baseUrl: string, backend: BackendName | undefined): Promise<void> {
    const report = await selectBackend(backend);
    this.post({ type: 'backend', backend: report });
    const started = performance.now();
    let lastPost = 0;
    try {
      this.data = await loadMnist(baseUrl, (progress) => {
        const now = performance.now();
        if (now - lastPost < PROGRESS_INTERVAL_MS && progress.loadedBytes < progress.totalBytes) return;
        lastPost = now;
        this.post({ type: 'dataProgress', ...progress });
      });
    } catch (error) {
      const code = error instanceof IdxError ? error.code : 'unknown';
      this.post({ type: 'dataError', code, message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const { test, train } = this.data;
    this.preview = test.images.slice(0, PREVIEW_COUNT * 784);
    this.post({
      type: 'dataReady',
      trainCount: train.count,
      testCount: test.count,
      millis: performance.now() - started,
      previewImages: this.preview.slice(),
      previewLabels: test.labels.slice(0, PREVIEW_COUNT),
    });
  }

  private summary(arch: ArchId): void {
    const model = this.models.get(arch) ?? buildAutoencoder(arch);
    const layers = summarize(model);
    if (!this.models.has(arch)) model.dispose();
    this.post({ type: 'summary', arch, layers, totalParams: layers.reduce((sum, row) => sum + row.params, 0) });
  }

  private async train(runId: number, arch: ArchId, epochs: number, trainSize: number): Promise<void> {
    const data = this.data;
    if (!data) {
      this.post({ type: 'trainEnd', runId, outcome: 'failed', epochsCompleted: 0, message: 'The data set is not loaded yet.' });
      return;
    }
    if (this.run) {
      this.post({ type: 'trainEnd', runId, outcome: 'failed', epochsCompleted: 0, message: 'Another model is training; stop it first.' });
      return;
    }
    const run: ActiveRun = { runId, stopRequested: false };
    this.run = run;
    const count = Math.max(1, Math.min(Math.floor(trainSize), data.train.count));
    const options = { ...DEFAULT_TRAIN_OPTIONS, epochs };
    let epochsCompleted = 0;
    try {
      this.models.get(arch)?.dispose();
      this.models.delete(arch);
      const model = buildAutoencoder(arch, options.seed);
      this.models.set(arch, model);
      const train = { images: data.train.images.subarray(0, count * 784), count };
      const initialTestMse = evaluateMse(model, arch, data.test);
      this.post({
        type: 'trainStarted',
        runId,
        arch,
        epochs,
        trainSize: count,
        batchesPerEpoch: Math.ceil(count / options.batchSize),
        initialTestMse,
      });
      let pending: number[] = [];
      let lastProgress = performance.now();
      let lastPreview = lastProgress;
      const result = await trainAutoencoder(model, arch, train, data.test, options, {
        onBatch: (info) => {
          pending.push(info.loss);
          const now = performance.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
          lastProgress = now;
          const previewDue = now - lastPreview >= PREVIEW_INTERVAL_MS;
          if (previewDue) lastPreview = now;
          this.post({
            type: 'trainProgress',
            runId,
            epoch: info.epoch,
            batch: info.batch + 1,
            batchLosses: Float32Array.from(pending),
            reconstructions: previewDue ? reconstruct(model, arch, this.preview, PREVIEW_COUNT) : undefined,
          });
          pending = [];
        },
        onEpochEnd: (info) => {
          if (pending.length > 0) {
            this.post({
              type: 'trainProgress',
              runId,
              epoch: info.epoch,
              batch: Math.ceil(count / options.batchSize),
              batchLosses: Float32Array.from(pending),
            });
            pending = [];
          }
          epochsCompleted = info.epoch + 1;
          this.post({
            type: 'epochEnd',
            runId,
            record: {
              epoch: info.epoch + 1,
              trainLoss: info.trainLoss,
              testMse: info.testMse,
              trainSeconds: info.trainSeconds,
              samplesPerSec: info.samplesPerSec,
            },
            reconstructions: reconstruct(model, arch, this.preview, PREVIEW_COUNT),
          });
        },
        shouldStop: () => run.stopRequested,
      });
      this.post({
        type: 'trainEnd',
        runId,
        outcome: result.stopped ? 'stopped' : 'completed',
        epochsCompleted: result.epochsCompleted,
        message: result.stopped ? `Stopped by you; ${ARCHITECTURES[arch].label} keeps the weights learned so far.` : undefined,
      });
    } catch (error) {
      this.post({
        type: 'trainEnd',
        runId,
        outcome: 'failed',
        epochsCompleted,
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.run = null;
    }
  }
}
