/**
 * One training run, start to end: a new run or one continued. It owns the per-run logic — progress
 * (throttled), divergence from batch losses and from each epoch's test MSE, the best weights seen, Stop at
 * a batch, a lost GPU, the final figures and the record that is saved. Everything outside (the page, the
 * data, storage, the backend) comes in through `TrainingRunDeps`, so Node tests drive it with a fake `post`.
 */
import { Throttle } from '../throttle';
import { errorMessage } from '../../errors';
import * as tf from '@tensorflow/tfjs';
import { batchesPerEpoch as batchesOf, type TrainSettings } from '../../config/train-options';
import type { MnistData } from '../../data/mnist';
import { ARCHITECTURES, IMAGE_PIXELS, buildAutoencoder } from '../../models/architectures';
import { checkDivergence, describeDivergence, type Divergence } from '../../models/divergence';
import type { AdamState } from '../../models/keras-adam';
import { evaluateMse, reconstruct, trainAutoencoder, type BatchCheckpoint, type TestProgress, type TrainResult } from '../../models/train';
import { CHECKPOINT_INTERVAL_MS, MID_EPOCH_CHECKPOINT_MS, PREVIEW_INTERVAL_MS, TRAIN_PROGRESS_INTERVAL_MS, type DatasetInfo, type EngineEvent, type EpochRecord, type RunId, type RunRecord } from '../protocol';
import { finalFigures } from './figures';
import { testInputs } from '../../data/noise';
import { readWeights, writeWeights, type ModelStore, type RunWeights } from './model-store';
import { appendBatchLosses } from './run-records';

/** The data set a run trains on, as the engine holds it. */
export interface LoadedData {
  mnist: MnistData;
  /** the preview digits (PREVIEW_COUNT × 784) */
  preview: Float32Array;
  dataset: DatasetInfo;
}

/** What a run needs from the engine. */
export interface TrainingRunDeps {
  post: (event: EngineEvent) => void;
  store: ModelStore;
  data: () => LoadedData | null;
  /**
   * keeps a run across reloads — a finished one, and checkpoints while it trains; a failure loses nothing
   * (the run stays in memory)
   */
  save: (record: RunRecord, weights: RunWeights) => Promise<void>;
  /** forgets a saved run (one removed from the queue before it started) */
  remove: (runId: RunId) => Promise<void>;
  /** moves the engine off a lost GPU; resolves to the new backend's name */
  recoverFromLostGpu: () => Promise<string>;
  /** true once the GPU context is gone (tfjs then computes garbage rather than failing) */
  gpuLost: () => boolean;
  /** a promise that rejects when the GPU is lost, released after each attempt */
  whenGpuLost: () => { lost: Promise<never>; release(): void };
  backendName: () => string;
  now: () => Date;
}

/** A request to train: a new run, or more epochs of an existing one. */
export type TrainingJob =
  | { kind: 'new'; runId: RunId; name: string; settings: TrainSettings }
  | { kind: 'continue'; runId: RunId; extraEpochs: number };

type NewJob = Extract<TrainingJob, { kind: 'new' }>;

/** Why a saved run that is not finished can be found so: said in the messages of what is saved mid-run. */
const INTERRUPTED_BY = '(the page was closed or reloaded, or the training engine crashed)';

/** The record of a new run before its first batch: stopped at epoch 0, with the trained size the data allows. */
function newRunRecord(job: NewJob, loaded: LoadedData, deps: Pick<TrainingRunDeps, 'backendName' | 'now'>, initialTestMse: number | null): RunRecord {
  const { settings } = job;
  const trainSize = Math.min(settings.trainSize, loaded.mnist.train.count);
  return {
    id: job.runId,
    name: job.name,
    settings: { ...settings, trainSize },
    dataset: loaded.dataset,
    backend: deps.backendName(),
    createdAt: deps.now().toISOString(),
    endedAt: deps.now().toISOString(),
    outcome: 'stopped',
    position: { epochsCompleted: 0, batch: 0, batchesPerEpoch: batchesOf({ trainSize, batchSize: settings.batchSize }) },
    history: [],
    batchLosses: [],
    lossStride: 1,
    initialTestMse,
    final: null,
    message: null,
    partial: null,
    resumable: true,
  };
}

/**
 * Saves a new run as not started, with the initial weights its seed gives (those it starts from), so a page
 * closed or reloaded before its first checkpoint — or, for a run that waits in the queue, before its turn —
 * finds it there; the run's checkpoints and its own save replace it. `startsNow`: the run starts at once (else
 * it waits its turn), which is all the saved message can say of it. A failure is reported and changes nothing
 * else.
 */
export async function saveNotStarted(deps: TrainingRunDeps, job: NewJob, startsNow: boolean): Promise<void> {
  const loaded = deps.data();
  if (!loaded) return;
  const { settings } = job;
  const model = buildAutoencoder(settings.arch, settings.seed, settings.latentDim);
  try {
    const record = newRunRecord(job, loaded, deps, null);
    record.message = startsNow
      ? `Training was interrupted before any of it was saved ${INTERRUPTED_BY}; Continue trains it again from its initial weights.`
      : `Training had not started when it was interrupted ${INTERRUPTED_BY}; Continue trains it from its initial weights.`;
    await deps.save(record, { weights: await readWeights(model), optimizer: null });
  } catch (error) {
    const when = startsNow ? 'as it starts' : 'while it waits';
    deps.post({ type: 'storageNotice', message: `${job.name} could not be saved ${when}: ${errorMessage(error)}` });
  } finally {
    model.dispose();
  }
}

/**
 * Thrown out of the test-set pass a run makes before its first batch (its weights' test MSE) when Stop is
 * pressed during it: on a slow backend one pass takes tens of seconds, and the run ends without it.
 */
class StoppedWhileStarting extends Error {
  constructor() {
    super('stopped while starting');
  }
}

/** Whether every value is a finite number. */
function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

/** Weights a diverging run can go back to: the best (lowest test MSE) it had. */
interface Checkpoint {
  testMse: number;
  weights: Float32Array[];
  optimizer: AdamState | null;
  epochsCompleted: number;
  /** words for the message: "its initial weights", "its weights from the end of epoch 3" */
  what: string;
}

/** What a checkpoint saves: weights and Adam state after `epochsCompleted` epochs and `batch` batches of the next. */
interface SavedPoint {
  weights: Float32Array[];
  optimizer: AdamState | null;
  epochsCompleted: number;
  batch: number;
  /** loss sum and seconds of those `batch` batches (null at an epoch's end) */
  partial: { weightedLoss: number; seconds: number } | null;
}

/** Where a run starts from. */
interface Start {
  record: RunRecord;
  model: tf.LayersModel;
  optimizer: AdamState | null;
  baseline: Checkpoint;
}


export class TrainingRun {
  private stopRequested = false;
  /** a checkpoint could not be saved (reported once) */
  private checkpointFailed = false;

  /**
   * @param saved a save of this run under way when it starts (its not-started save, see saveNotStarted): the
   *   run waits for it before it says it started or saves or removes anything itself, not before it starts
   */
  constructor(
    private readonly deps: TrainingRunDeps,
    readonly job: TrainingJob,
    private readonly saved: Promise<unknown> = Promise.resolve(),
  ) {}

  get runId(): RunId {
    return this.job.runId;
  }

  /**
   * What tells the page how far a test-set evaluation has got (seconds per pass on a slow backend): as each
   * pass starts, then at most once per progress interval.
   */
  private measuring(): TestProgress {
    const due = new Throttle(TRAIN_PROGRESS_INTERVAL_MS);
    return (done, total) => {
      if (done < total && due.due(done === 0)) this.deps.post({ type: 'trainMeasuring', runId: this.runId, done, total });
    };
  }

  /**
   * {@link measuring} for the pass before the first batch, which Stop cuts short (between chunks of images) by
   * throwing {@link StoppedWhileStarting}. Not for the passes at an epoch's end or of the kept weights: those
   * belong to weights the run keeps.
   */
  private measuringBeforeStart(): TestProgress {
    const tell = this.measuring();
    return (done, total) => {
      // A pass that has just finished is used: the run then stops before its first batch, measured.
      if (this.stopRequested && done < total) throw new StoppedWhileStarting();
      tell(done, total);
    };
  }

  /** Ends the run after the current batch, keeping the weights it has then. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Trains, posts every event of the run, saves what it kept. Never throws. */
  async run(): Promise<void> {
    const { post, store } = this.deps;
    const loaded = this.deps.data();
    if (!loaded) {
      post({ type: 'trainEnd', runId: this.runId, outcome: 'failed', message: 'The data set is not loaded yet.', run: null });
      return;
    }
    let start: Start;
    try {
      start = this.job.kind === 'new' ? await this.startNew(this.job, loaded) : await this.startContinued(this.job, loaded);
    } catch (error) {
      if (error instanceof StoppedWhileStarting) {
        await this.stoppedWhileStarting(loaded);
        return;
      }
      post({ type: 'trainEnd', runId: this.runId, outcome: 'failed', message: errorMessage(error), run: null });
      // Nothing was kept: a new run saved as not started goes too.
      if (this.job.kind === 'new') await this.saved.then(() => this.deps.remove(this.runId)).catch(() => undefined);
      return;
    }
    await this.saved;
    store.training = this.runId;
    try {
      await this.train(start, loaded);
    } catch (error) {
      store.training = null;
      await this.fail(start, loaded, errorMessage(error));
    } finally {
      store.training = null;
    }
  }

  private async startNew(job: NewJob, loaded: LoadedData): Promise<Start> {
    const { settings } = job;
    const model = buildAutoencoder(settings.arch, settings.seed, settings.latentDim);
    this.deps.store.set(job.runId, model);
    const initialTestMse = await evaluateMse(model, settings.arch, loaded.mnist.test, undefined, settings, this.measuringBeforeStart());
    const record = newRunRecord(job, loaded, this.deps, initialTestMse);
    const baseline = { testMse: initialTestMse, weights: await readWeights(model), optimizer: null, epochsCompleted: 0, what: 'its initial (untrained) weights' };
    return { record, model, optimizer: null, baseline };
  }

  private async startContinued(job: Extract<TrainingJob, { kind: 'continue' }>, loaded: LoadedData): Promise<Start> {
    const { store } = this.deps;
    const old = store.record(job.runId);
    if (old.outcome === 'diverged') throw new Error(`${old.name} diverged; start a new run with a smaller learning rate instead.`);
    if (old.dataset.fingerprint !== loaded.dataset.fingerprint) {
      throw new Error(`${old.name} was trained on ${old.dataset.name}; load that data set again to continue it.`);
    }
    const model = store.ready(job.runId);
    const host = store.hostWeights(job.runId);
    const { epochsCompleted, batch } = old.position;
    const record: RunRecord = {
      ...old,
      settings: { ...old.settings, epochs: epochsCompleted + job.extraEpochs },
      backend: this.deps.backendName(),
      history: [...old.history],
      batchLosses: [...old.batchLosses],
      message: null,
    };
    const testMse = old.final?.testMse ?? (await evaluateMse(model, old.settings.arch, loaded.mnist.test, undefined, old.settings, this.measuringBeforeStart()));
    // A run saved before it started: its weights are the initial ones, the baseline of its divergence check.
    if (record.initialTestMse === null && epochsCompleted === 0 && batch === 0) record.initialTestMse = testMse;
    const where = batch > 0 ? `the weights it was stopped with (epoch ${epochsCompleted + 1}, batch ${batch})` : epochsCompleted > 0 ? `its weights from the end of epoch ${epochsCompleted}` : 'its initial weights';
    const baseline = { testMse, weights: host?.weights ?? (await readWeights(model)), optimizer: host?.optimizer ?? null, epochsCompleted, what: where };
    return { record, model, optimizer: host?.optimizer ?? null, baseline };
  }

  private async train(start: Start, loaded: LoadedData): Promise<void> {
    const { post, store } = this.deps;
    const { record } = start;
    const { settings } = record;
    const arch = settings.arch;
    const runId = record.id;
    let model = start.model;
    const { mnist } = loaded;
    // A denoising run's previews reconstruct the noisy preview digits (the page shows them beside the clean ones).
    const preview = previewInputs(settings, loaded.preview);
    const perEpoch = record.position.batchesPerEpoch;
    post({ type: 'trainStarted', runId, record: { ...record } });

    // The last point saved or completed (an epoch's end, or a checkpoint inside an epoch), in host memory: what a
    // run whose GPU is lost continues from.
    let lastGood: SavedPoint = { weights: start.baseline.weights, optimizer: start.optimizer, epochsCompleted: record.position.epochsCompleted, batch: record.position.batch, partial: record.partial };
    let best: Checkpoint = start.baseline;
    // The test MSE of the model's weights as they are now, while it is known: at the start and after each epoch,
    // until the next batch trains. A run stopped or cut back to measured weights need not measure them again.
    let weightsMse: number | null = start.baseline.testMse;
    // In an object: the callbacks set it, and a plain `let` would stay narrowed to null after the loop.
    const flags: { divergence: { why: string; epoch: number } | null } = { divergence: null };
    const firstEpoch = record.position.epochsCompleted;
    const segmentLosses: number[] = [];
    let pending: number[] = [];
    let lastCheckpoint = this.deps.now().getTime();
    const progressDue = new Throttle(TRAIN_PROGRESS_INTERVAL_MS, false);
    const previewDue = new Throttle(PREVIEW_INTERVAL_MS, false);
    const flush = async (epoch: number, batch: number, withPreview: boolean) => {
      const losses = pending;
      pending = [];
      record.batchLosses = appendBatchLosses(record, losses);
      const reconstructions = withPreview ? await reconstruct(model, arch, preview, preview.length / IMAGE_PIXELS) : undefined;
      post({ type: 'trainProgress', runId, epoch, batch, batchLosses: Float32Array.from(losses), reconstructions });
    };
    const trainSet = { images: mnist.train.images.subarray(0, settings.trainSize * IMAGE_PIXELS), count: settings.trainSize };
    const callbacks = {
      onBatch: (info: { epoch: number; batch: number; loss: number }) => {
        if (this.deps.gpuLost()) throw new Error('The GPU context was lost.');
        const found: Divergence = checkDivergence(info.loss, segmentLosses[0] ?? info.loss, segmentLosses.length + 1);
        if (found && !flags.divergence) flags.divergence = { why: describeDivergence(found), epoch: info.epoch + 1 };
        pending.push(info.loss);
        segmentLosses.push(info.loss);
        weightsMse = null;
        if (!progressDue.due()) return undefined;
        // Returned, so the loop waits for the preview's asynchronous read before the next batch.
        return flush(info.epoch, info.batch + 1, previewDue.due());
      },
      onEpochEnd: async (info: { epoch: number; trainLoss: number; testMse: number; trainSeconds: number; samplesPerSec: number; readOptimizerState(): Promise<AdamState> }) => {
        if (this.deps.gpuLost()) throw new Error('The GPU context was lost.');
        if (pending.length > 0) await flush(info.epoch, perEpoch, false);
        const epoch: EpochRecord = { epoch: info.epoch + 1, trainLoss: info.trainLoss, testMse: info.testMse, trainSeconds: info.trainSeconds, samplesPerSec: info.samplesPerSec };
        record.history.push(epoch);
        weightsMse = info.testMse;
        record.partial = null;
        // A run worse than the untrained model has diverged even when its loss stayed bounded (a saturated sigmoid).
        const untrained = record.initialTestMse ?? Number.POSITIVE_INFINITY;
        if (!flags.divergence && (!Number.isFinite(info.testMse) || info.testMse > untrained)) {
          flags.divergence = { why: `the test MSE after epoch ${epoch.epoch} is ${info.testMse.toFixed(4)}, worse than the untrained model's ${untrained.toFixed(4)}`, epoch: epoch.epoch };
        }
        if (!flags.divergence) {
          // The host copy first: once the page shows the epoch, a lost GPU resumes from its end.
          lastGood = { weights: await readWeights(model), optimizer: await info.readOptimizerState(), epochsCompleted: epoch.epoch, batch: 0, partial: null };
          if (info.testMse < best.testMse) {
            best = { testMse: info.testMse, weights: lastGood.weights, optimizer: lastGood.optimizer, epochsCompleted: epoch.epoch, what: `its weights from the end of epoch ${epoch.epoch}` };
          }
        }
        post({ type: 'epochEnd', runId, record: epoch, reconstructions: await reconstruct(model, arch, preview, preview.length / IMAGE_PIXELS) });
        // Not after the last epoch or a stop (the run's own save follows), nor once it has diverged.
        const more = epoch.epoch < settings.epochs && !this.stopRequested && !flags.divergence;
        if (more && this.deps.now().getTime() - lastCheckpoint >= CHECKPOINT_INTERVAL_MS) {
          await this.checkpoint(record, lastGood);
          lastCheckpoint = this.deps.now().getTime();
        }
      },
      shouldStop: () => this.stopRequested || flags.divergence !== null,
      onTestProgress: this.measuring(),
      // A long epoch (a big data set, a slow backend) is saved inside too.
      checkpointDue: () => !this.stopRequested && !flags.divergence && this.deps.now().getTime() - lastCheckpoint >= MID_EPOCH_CHECKPOINT_MS,
      onBatchCheckpoint: async (point: BatchCheckpoint) => {
        if (pending.length > 0) await flush(point.epoch, point.batch, false);
        // The loss read in just before this point may have shown divergence: such weights are not kept.
        if (flags.divergence) return;
        const weights = await readWeights(model);
        // No loss has been computed on these weights yet (the last one read was of the weights before the
        // last update): non-finite ones would otherwise be saved and shown only by the epoch's test pass.
        if (!weights.every(allFinite)) {
          flags.divergence = { why: 'the weights became NaN or infinite', epoch: point.epoch + 1 };
          return;
        }
        const kept: SavedPoint = { weights, optimizer: await point.readOptimizerState(), epochsCompleted: point.epoch, batch: point.batch, partial: point.partial };
        await this.checkpoint(record, kept);
        lastCheckpoint = this.deps.now().getTime();
        // Inside a long epoch, a lost GPU need not repeat the batches before this point.
        lastGood = kept;
      },
    };

    let result: TrainResult;
    for (;;) {
      const gpu = this.deps.whenGpuLost();
      try {
        const resume = { epochsCompleted: lastGood.epochsCompleted, batch: lastGood.batch, partial: lastGood.partial, optimizer: lastGood.optimizer };
        result = await trainAutoencoder(model, arch, trainSet, mnist.test, settings, { ...callbacks, interrupted: gpu.lost }, resume);
        break;
      } catch (error) {
        if (!this.deps.gpuLost()) throw error;
        // Continue on the next backend from the last completed epoch, with the same optimiser state.
        const lostBackend = tf.getBackend();
        const backend = await this.deps.recoverFromLostGpu();
        model = buildAutoencoder(arch, undefined, settings.latentDim);
        writeWeights(model, lastGood.weights);
        weightsMse = null;
        store.set(runId, model);
        pending = [];
        const keep = (lastGood.epochsCompleted * perEpoch + lastGood.batch) / record.lossStride;
        record.batchLosses = record.batchLosses.slice(0, Math.ceil(keep));
        record.history = record.history.filter((h) => h.epoch <= lastGood.epochsCompleted);
        record.backend = backend;
        const from =
          lastGood.batch > 0
            ? `batch ${lastGood.batch} of epoch ${lastGood.epochsCompleted + 1}, where it was last saved; the batches since are repeated`
            : `${lastGood.epochsCompleted > 0 ? `the end of epoch ${lastGood.epochsCompleted}` : 'where it started'}; the batches of the interrupted epoch are repeated`;
        record.message = `The GPU (${lostBackend}) was lost in epoch ${lastGood.epochsCompleted + 1}. Training goes on with ${backend} from ${from}.`;
        post({ type: 'trainNotice', runId, epochsCompleted: lastGood.epochsCompleted, batch: lastGood.batch, message: record.message });
      } finally {
        gpu.release();
      }
    }
    if (pending.length > 0) await flush(result.epochsCompleted, result.batch, false);
    const label = ARCHITECTURES[arch].label;
    let optimizer: AdamState | null = result.optimizer;
    const cut = flags.divergence;
    if (cut) {
      writeWeights(model, best.weights);
      weightsMse = best.testMse;
      optimizer = best.optimizer;
      record.outcome = 'diverged';
      record.position = { epochsCompleted: best.epochsCompleted, batch: best.epochsCompleted === firstEpoch ? start.record.position.batch : 0, batchesPerEpoch: perEpoch };
      record.partial = null;
      record.message =
        `Training diverged: ${cut.why} (epoch ${cut.epoch}, learning rate ${settings.learningRate}). ` +
        `The run keeps ${best.what}, the best it had (test MSE ${best.testMse.toFixed(4)}); try a smaller learning rate, such as 0.001.`;
    } else if (result.stopped) {
      record.outcome = 'stopped';
      record.position = { epochsCompleted: result.epochsCompleted, batch: result.batch, batchesPerEpoch: perEpoch };
      record.partial = result.partial;
      record.message =
        result.batch > 0
          ? `Stopped in epoch ${result.epochsCompleted + 1} at batch ${result.batch} of ${perEpoch}; ${label} keeps the weights it had then, and its test MSE is measured on them.`
          : result.epochsCompleted > firstEpoch || firstEpoch > 0
            ? `Stopped after epoch ${result.epochsCompleted}; ${label} keeps the weights it had then.`
            : `Stopped before the first batch; the weights are the untrained initial ones.`;
    } else {
      record.outcome = 'completed';
      record.position = { epochsCompleted: result.epochsCompleted, batch: 0, batchesPerEpoch: perEpoch };
      record.partial = null;
      // A completed run keeps what happened on the way (a lost GPU's notice), or nothing.
    }
    await this.finish(record, model, optimizer, loaded, weightsMse);
  }

  /**
   * Stop was pressed while the run measured its weights before the first batch. A continued run is as it was. A
   * new one is kept as it stands, not started: its initial weights, no test MSE yet (measured when it is
   * continued), saved so (after its not-started save, which said it was interrupted).
   */
  private async stoppedWhileStarting(loaded: LoadedData): Promise<void> {
    const { post, store } = this.deps;
    if (this.job.kind === 'continue') {
      post({ type: 'trainEnd', runId: this.runId, outcome: 'stopped', message: 'Stopped before continuing; the run is as it was.', run: null });
      return;
    }
    const record = newRunRecord(this.job, loaded, this.deps, null);
    record.message = 'Stopped before the first batch, while the untrained model was measured; Continue trains it from its initial weights.';
    // Its save must come after the not-started one.
    await this.saved;
    await this.end(record, store.ready(this.runId), null, loaded);
  }

  /**
   * Saves the run as it was at the end of an epoch or at a batch inside one (`kept`: its weights and Adam state
   * then, and where), recorded as stopped there with a message that says so, for a page that is closed or
   * reloaded before the run ends; the run's own save replaces it. A failure is reported once per run and
   * training goes on.
   */
  private async checkpoint(record: RunRecord, kept: SavedPoint): Promise<void> {
    const { post } = this.deps;
    const { epochsCompleted: done, batch } = kept;
    const where = batch > 0 ? `its weights from batch ${batch} of that epoch` : `its weights from the end of epoch ${done}`;
    const interrupted =
      `Training was interrupted in epoch ${done + 1} of ${record.settings.epochs} ${INTERRUPTED_BY}; ` +
      `the run keeps ${where}, saved then. Continue trains on from there.`;
    const saved: RunRecord = {
      ...record,
      history: [...record.history],
      batchLosses: [...record.batchLosses],
      outcome: 'stopped',
      position: { ...record.position, epochsCompleted: done, batch },
      partial: batch > 0 ? kept.partial : null,
      final: null,
      endedAt: this.deps.now().toISOString(),
      message: record.message ? `${record.message} ${interrupted}` : interrupted,
    };
    try {
      await this.deps.save(saved, { weights: kept.weights, optimizer: kept.optimizer });
      post({ type: 'trainCheckpoint', runId: record.id, epochsCompleted: done, batch });
    } catch (error) {
      if (!this.checkpointFailed) post({ type: 'storageNotice', message: `${record.name} could not be saved while it trains: ${errorMessage(error)}` });
      this.checkpointFailed = true;
    }
  }

  /** Measures the kept weights, then ends the run with them (see {@link end}). */
  /** `weightsMse`: the test MSE already measured on the model's weights as they are, if it was (see finalFigures). */
  private async finish(record: RunRecord, model: tf.LayersModel, optimizer: AdamState | null, loaded: LoadedData, weightsMse: number | null): Promise<void> {
    const { store } = this.deps;
    store.training = null;
    record.final = await finalFigures(store, record.id, record.settings, loaded.mnist.test, this.measuring(), weightsMse ?? undefined);
    await this.end(record, model, optimizer, loaded);
  }

  /** Tells the page the run has ended with `record` and the model's weights, keeps the run in memory and saves it. */
  private async end(record: RunRecord, model: tf.LayersModel, optimizer: AdamState | null, loaded: LoadedData): Promise<void> {
    const { post, store } = this.deps;
    record.endedAt = this.deps.now().toISOString();
    const weights: RunWeights = { weights: await readWeights(model), optimizer };
    store.setRun(record, weights);
    const reconstructions = await reconstruct(model, record.settings.arch, previewInputs(record.settings, loaded.preview), loaded.preview.length / IMAGE_PIXELS);
    post({ type: 'trainEnd', runId: record.id, outcome: record.outcome, message: record.message, run: { record: { ...record }, reconstructions } });
    await this.deps.save(record, weights).catch((error: unknown) => post({ type: 'storageNotice', message: errorMessage(error) }));
  }

  /** Something broke mid-run: keep the best weights the run had, if any, and say what happened. */
  private async fail(start: Start, loaded: LoadedData, why: string): Promise<void> {
    const { post, store } = this.deps;
    const model = store.get(start.record.id);
    if (!model) {
      post({ type: 'trainEnd', runId: this.runId, outcome: 'failed', message: why, run: null });
      return;
    }
    try {
      writeWeights(model, start.baseline.weights);
      // A continued run goes back to the record it had; a new one to its start.
      const before = this.job.kind === 'continue' ? store.record(this.runId) : { ...start.record, history: [], batchLosses: [], partial: null, position: { ...start.record.position, epochsCompleted: 0, batch: 0 } };
      const record: RunRecord =
        this.job.kind === 'continue'
          ? { ...before, message: `Continuing failed: ${why}. The run is as it was before.` }
          : { ...before, outcome: 'failed', message: `Training failed: ${why}. The run keeps ${start.baseline.what}.` };
      await this.finish(record, model, start.baseline.optimizer, loaded, start.baseline.testMse);
    } catch (error) {
      post({ type: 'trainEnd', runId: this.runId, outcome: 'failed', message: `Training failed: ${why} (${errorMessage(error)})`, run: null });
    }
  }
}

/**
 * The preview digits (the first test images) as a run is given them: noisy for a denoising run, exactly the
 * inputs its test MSE counts for those images; the digits themselves otherwise.
 */
export function previewInputs(settings: Pick<TrainSettings, 'noise' | 'seed'>, preview: Float32Array): Float32Array {
  return testInputs(settings, preview, preview.length / IMAGE_PIXELS);
}
