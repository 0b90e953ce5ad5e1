import { Throttle } from '../throttle';
import { errorMessage } from '../../errors';
import { mulberry32 } from '../../analysis/rng';
import { indicesOfLabel, randomIndices, topIndices } from '../../analysis/selection';
import { loadDatasetFiles } from '../../data/dataset';
import { copyImageBytes, type LabelledImages } from '../../data/idx';
import type { MnistData } from '../../data/mnist';
import type { LatentSize } from '../../config/train-options';
import { IMAGE_PIXELS, buildAutoencoder, summarize, type ArchId } from '../../models/architectures';
import { layerActivations } from '../../models/activations';
import { decodeLatents, extractLatents } from '../../models/latents';
import type { LatentHelper } from '../../models/latent-helper';
import { encodeImages } from '../../models/encode';
import { perImageMse, reconstruct } from '../../models/train';
import {
  MNIST_INITIAL_JOB_ID,
  PROGRESS_INTERVAL_MS,
  type BackendName,
  type EngineEvent,
  type EngineRequest,
  type GalleryRow,
  type GallerySelection,
  type RunId,
  type RunRecord,
  type RunView,
  type Split,
} from '../protocol';
import * as tf from '@tensorflow/tfjs';
import { isTabMessage, runsLockedNow, TABS_CHANNEL, type TabMessage, tryHoldRunLock, whenRunFree } from './run-locks';
import { deleteSavedRun, loadSavedRun, loadSavedRuns, readLegacyModels, removeLegacyModel, saveRun, saveRunRecord } from './persistence';
import { normalizeRecord } from './model-files';
import { exportRunFile, importRunFile, suggestedRunFileName } from './run-files';
import { legacyRunRecord } from './run-records';
import { fallBackFromLostGpu, gpuLost, selectBackend, whenGpuLost } from './backends';
import { dataReadyEvent, describeDataset, previewImages, type MnistLoader, type PendingData } from './data-loading';
import { ModelStore, writeWeights, type RunWeights } from './model-store';
import { testInputs } from '../../data/noise';
import { selectionMeans } from './selection-means';
import { TrainingQueue } from './training-queue';
import { previewInputs, type LoadedData } from './training-run';

/** What a tab says of a run another tab of the page trains (withdrawn once the run is here). */
function trainingElsewhereNotice(name: string): string {
  return `“${name}” is training in another tab of this page; it appears here once it has ended there.`;
}

/** Sends one event to the page. */
export type Post = (event: EngineEvent) => void;


/**
 * Everything the engine worker does, independent of `self`: owns the data set, the runs' models, the
 * training queue and the short jobs (latents, decoding, galleries, files). The worker file only forwards messages.
 */
export class Engine {
  private data: LoadedData | null = null;
  /** the bundled MNIST once loaded, kept while a person's own data is in use: "Back to MNIST" needs no download */
  private mnist: LoadedData | null = null;
  private readonly store = new ModelStore();
  private readonly queue: TrainingQueue;
  private readonly cancelledJobs = new Set<number>();
  private importCount = 0;
  private latentHelper: LatentHelper | null = null;

  /**
   * @param loader the worker's MNIST downloads, which it starts and cancels before this engine exists
   * @param startLatentHelper starts the second thread for latent vectors; none where it is absent (tests)
   */
  constructor(
    private readonly post: Post,
    private readonly loader: MnistLoader,
    private readonly startLatentHelper: (() => LatentHelper) | null = null,
  ) {
    this.queue = new TrainingQueue({
      post,
      store: this.store,
      data: () => this.data,
      save: (record, weights) => saveRun(record, weights),
      remove: (runId) => deleteSavedRun(runId),
      recoverFromLostGpu: () => this.recoverFromLostGpu(),
      gpuLost,
      whenGpuLost,
      backendName: () => tf.getBackend(),
      now: () => new Date(),
    }, {
      taken: (runId, name) => this.tellTabs({ type: 'training', runId, name }),
      elsewhere: (runId) => this.followElsewhere(runId),
    });
    this.tabs?.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isTabMessage(event.data)) this.fromOtherTab(event.data);
    });
  }

  private tellTabs(message: TabMessage): void {
    this.tabs?.postMessage(message);
  }

  /** What another tab of the page did to a run: this tab follows. */
  private fromOtherTab(message: TabMessage): void {
    const { runId } = message;
    switch (message.type) {
      case 'training':
        return this.trainingElsewhere(runId, message.name);
      case 'renamed': {
        const record = this.store.findRecord(runId);
        if (!record || this.queue.has(runId)) return;
        this.store.setRecord({ ...record, name: message.name });
        return this.post({ type: 'runRenamed', runId, name: message.name, notice: null });
      }
      case 'deleted': {
        const record = this.store.findRecord(runId);
        if (!record || this.queue.has(runId)) return;
        this.store.forget(runId);
        return this.post({ type: 'runRemoved', runId, notice: `“${record.name}” was deleted in another tab of this page.` });
      }
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  }

  /** The page's other tabs, told which runs this one trains; null where BroadcastChannel is missing. */
  private readonly tabs = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(TABS_CHANNEL);

  /**
   * Moves everything off a lost GPU: the next backend starts, every finished model is rebuilt there from its
   * host copy, and the page learns the new backend. Resolves to the new backend's name.
   */
  private async recoverFromLostGpu(): Promise<string> {
    this.recovering ??= (async () => {
      const report = await fallBackFromLostGpu();
      this.store.rebuildOnActiveBackend(this.store.training);
      this.post({ type: 'backend', backend: report });
      return report.name;
    })();
    return this.recovering;
  }

  private recovering: Promise<string> | null = null;

  /** Settles once a backend is active: tfjs refuses every op before that. */
  private backendReady: Promise<unknown> = Promise.resolve();

  /**
   * Handles one request; training runs on while later requests (stop, cancel) arrive. Downloads the worker
   * already started for `init` or `loadMnist` are taken over, not repeated.
   */
  async handle(request: EngineRequest): Promise<void> {
    if (request.type === 'init') {
      return this.init(request.backend, request.wasmThreads, this.loader.start(MNIST_INITIAL_JOB_ID, request.baseUrl));
    }
    if (request.type === 'loadMnist') return this.adoptMnist(this.loader.start(request.jobId, request.baseUrl));
    // Reading dropped files needs no tfjs: it does not wait for the backend's warm-up (seconds on a slow GPU).
    if (request.type === 'loadDataset') return this.loadDataset(request.jobId, request.files);
    await this.backendReady;
    switch (request.type) {
      case 'summary':
        return this.summary(request.arch, request.latentDim);
      case 'train':
        // A run id is trained once: a repeated request (never sent by the page, but cheap to refuse) is ignored.
        if (this.queue.has(request.runId) || this.store.get(request.runId)) return;
        return this.queue.enqueue({ kind: 'new', runId: request.runId, name: request.name, settings: request.settings });
      case 'continueRun':
        return this.queue.enqueue({ kind: 'continue', runId: request.runId, extraEpochs: request.extraEpochs });
      case 'stop':
        return this.queue.stop(request.runId);
      case 'renameRun':
        return this.rename(request.runId, request.name);
      case 'deleteRun':
        return this.deleteRun(request.runId);
      case 'latents':
        return this.latents(request.jobId, request.runId, request.split);
      case 'decode':
        return this.job(request.jobId, async () => {
          const images = await decodeLatents(this.store.halvesOf(request.runId).decoder, request.codes, request.count);
          this.post({ type: 'decoded', jobId: request.jobId, images, count: request.count });
        });
      case 'activations':
        return this.job(request.jobId, async () => {
          const model = this.store.ready(request.runId);
          const arch = this.store.record(request.runId).settings.arch;
          const layers = await layerActivations(model, arch, this.gather(request.split, Int32Array.of(request.index)));
          this.post({ type: 'activations', jobId: request.jobId, runId: request.runId, layers });
        });
      case 'encode':
        return this.job(request.jobId, () => this.encode(request.jobId, request.runId, request.images, request.count));
      case 'images':
        return this.job(request.jobId, () => {
          const images = this.gather(request.split, request.indices);
          this.post({ type: 'images', jobId: request.jobId, images, count: request.indices.length });
        });
      case 'meanImages':
        return this.job(request.jobId, async () => {
          const model = this.store.ready(request.runId);
          const arch = this.store.record(request.runId).settings.arch;
          const means = await selectionMeans((indices) => this.gather(request.split, indices), request.indices, model, arch);
          this.post({ type: 'meanImages', jobId: request.jobId, ...means, count: request.indices.length });
        });
      case 'imageBytes':
        return this.job(request.jobId, () => {
          const pixels = this.gatherBytes(request.split, request.indices);
          this.post({ type: 'imageBytes', jobId: request.jobId, pixels, count: request.indices.length });
        });
      case 'gallery':
        return this.job(request.jobId, () => this.gallery(request.jobId, request.runIds, request.selection, request.count));
      case 'exportRun':
        return this.job(request.jobId, async () => {
          this.store.ready(request.runId);
          const record = this.store.record(request.runId);
          const weights = this.store.hostWeights(request.runId);
          if (!weights) throw new Error(`${record.name} has no finished weights yet.`);
          this.post({ type: 'runFile', jobId: request.jobId, blob: await exportRunFile(record, weights), fileName: suggestedRunFileName(record) });
        });
      case 'importRun':
        return this.job(request.jobId, () => this.importRun(request.jobId, request.file));
      case 'useMnist':
        return this.job(request.jobId, async () => {
          if (this.mnist) {
            const started = performance.now();
            this.data = this.mnist;
            this.combined = null;
            this.post(dataReadyEvent(this.mnist.mnist, this.mnist.dataset, performance.now() - started, { preview: this.mnist.preview }));
            return;
          }
          await this.adoptMnist(this.loader.start(request.jobId, request.baseUrl));
        });
      case 'cancel':
        this.cancelledJobs.add(request.jobId);
        this.loader.cancel(request.jobId);
        return;
      default: {
        const unreachable: never = request;
        throw new Error(`Unknown request ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async init(backend: BackendName | undefined, wasmThreads: number | undefined, pending: PendingData): Promise<void> {
    // The backend warm-up and the download run side by side: neither needs the other.
    const selecting = selectBackend(backend, wasmThreads).then(
      (report) => this.post({ type: 'backend', backend: report }),
      (error: unknown) => this.post({ type: 'error', message: errorMessage(error) }),
    );
    this.backendReady = selecting;
    await this.adoptMnist(pending);
  }

  /**
   * Takes over the data of a finished MNIST download (which has told the page itself: `dataReady` does not
   * wait for tfjs), then, the first time there is data, brings back saved runs.
   */
  private async adoptMnist(pending: PendingData): Promise<void> {
    const data = await pending.data;
    // A cancelled or failed download (the page knows), or one a newer download replaced.
    if (!data || !this.loader.isCurrent(pending)) return;
    this.setData(data, 'MNIST');
    this.mnist = this.data;
    await this.backendReady;
    await this.restoreOnce();
  }

  /** Makes `data` the current data set. */
  private setData(data: MnistData, name: string): LoadedData {
    const preview = previewImages(data);
    this.data = { mnist: data, preview, dataset: describeDataset(data, name, preview) };
    this.combined = null;
    return this.data;
  }

  /** Makes `data` the current data set and tells the page. */
  private useData(data: MnistData, name: string, millis: number): void {
    const loaded = this.setData(data, name);
    this.post(dataReadyEvent(data, loaded.dataset, millis, { preview: loaded.preview }));
  }

  /** A person's own files: streamed and checked completely before anything changes (see loadDatasetFiles). */
  private async loadDataset(jobId: number, files: { name: string; blob: Blob }[]): Promise<void> {
    try {
      const started = performance.now();
      const data = await loadDatasetFiles(files);
      this.useData(data, files.map((f) => f.name).join(', '), performance.now() - started);
    } catch (error) {
      this.post({ type: 'jobEnded', jobId, outcome: 'failed', message: errorMessage(error) });
      return;
    }
    await this.backendReady;
    await this.restoreOnce();
  }

  private restoring: Promise<void> | null = null;

  /** Saved runs need test data for their reconstructions, so they come back once the first data set is in. */
  private restoreOnce(): Promise<void> {
    this.restoring ??= this.restore();
    return this.restoring;
  }

  /** Holds a run's model built from host weights, and what the page shows of it. */
  private async hold(record: RunRecord, weights: RunWeights): Promise<RunView> {
    const model = buildAutoencoder(record.settings.arch, undefined, record.settings.latentDim);
    writeWeights(model, weights.weights);
    this.store.set(record.id, model);
    this.store.setRun(record, weights);
    const data = this.data;
    const sameData = data !== null && data.dataset.fingerprint === record.dataset.fingerprint;
    return { record, reconstructions: sameData ? await reconstruct(model, record.settings.arch, previewInputs(record.settings, data.preview), data.preview.length / IMAGE_PIXELS) : null };
  }

  /** Brings back the runs of earlier visits (and models saved before runs existed, as runs). */
  private async restore(): Promise<void> {
    const notices: string[] = [];
    const runs: RunView[] = [];
    try {
      const legacy = await readLegacyModels(normalizeRecord);
      notices.push(...legacy.notices);
      const mnist = this.mnist?.dataset ?? this.data?.dataset;
      for (const { record, weights } of legacy.models) {
        if (!mnist) break;
        // Each old model on its own: one that cannot be kept must not hide the saved runs.
        try {
          const run = legacyRunRecord(record, `saved-${record.arch}-${Date.parse(record.savedAt).toString(36)}`, { ...mnist, name: 'MNIST' });
          await saveRun(run, { weights, optimizer: null });
          await removeLegacyModel(record.arch);
        } catch (error) {
          notices.push(`A model saved by an earlier version could not be kept as a run: ${errorMessage(error)}`);
        }
      }
      const saved = await loadSavedRuns();
      notices.push(...saved.notices);
      // Runs another tab is training (or has queued): what is saved of them is a checkpoint, not their end.
      const elsewhere = await runsLockedNow();
      const busy = saved.runs.filter(({ record }) => elsewhere.has(record.id) && !this.queue.has(record.id));
      for (const { record } of busy) {
        const notice = trainingElsewhereNotice(record.name);
        notices.push(notice);
        this.followElsewhere(record.id, notice);
      }
      for (const { record, weights } of saved.runs) {
        if (this.queue.has(record.id) || elsewhere.has(record.id)) continue;
        runs.push(await this.hold(record, weights));
      }
    } catch (error) {
      notices.push(errorMessage(error));
    }
    if (runs.length > 0 || notices.length > 0) this.post({ type: 'runsLoaded', jobId: null, runs, notices });
  }

  /**
   * Runs another tab of the page trains or has queued, which this tab waits to bring back (see followElsewhere),
   * each with the notice this tab gave about it, if any
   */
  private readonly following = new Map<RunId, string | null>();

  /**
   * Waits until no tab trains run `runId` (its lock is free), then shows it as saved then, in place of what
   * this tab had of it: a run another tab was training when this one opened, or one whose Continue here was
   * refused because another tab had it. The run's lock is held while it is read, so a Continue here waits
   * for the fresh copy. `notice`: what this tab said about the run meanwhile, withdrawn once it is here.
   */
  private followElsewhere(runId: RunId, notice: string | null = null): void {
    if (this.following.has(runId)) return;
    this.following.set(runId, notice);
    void whenRunFree(runId, () => this.bringBack(runId, notice))
      .catch((error: unknown) => this.post({ type: 'storageNotice', message: errorMessage(error) }))
      .finally(() => this.following.delete(runId));
  }

  /** Another tab started training a run (new, or one this tab shows): this tab shows it once that tab lets go. */
  private trainingElsewhere(runId: RunId, name: string): void {
    if (this.queue.has(runId) || this.following.has(runId)) return;
    const notice = trainingElsewhereNotice(name);
    this.post({ type: 'runsLoaded', jobId: null, runs: [], notices: [notice] });
    this.followElsewhere(runId, notice);
  }

  private async bringBack(runId: RunId, said: string | null): Promise<void> {
    const withdrawn = said === null ? [] : [said];
    // This tab has taken the run over meanwhile: what it said of the other tab is over.
    if (this.queue.has(runId)) return this.post({ type: 'runsLoaded', jobId: null, runs: [], notices: [], withdrawn });
    const saved = await loadSavedRun(runId);
    // Deleted there: nothing to bring (a copy this tab shows stays, as it was).
    if (saved === null) return this.post({ type: 'runsLoaded', jobId: null, runs: [], notices: [], withdrawn });
    if ('notice' in saved) return this.post({ type: 'runsLoaded', jobId: null, runs: [], notices: [saved.notice], withdrawn });
    const view = await this.hold(saved.record, saved.weights);
    const notice = `“${saved.record.name}” is no longer training in another tab; here it is as that tab saved it.`;
    this.post({ type: 'runsLoaded', jobId: null, runs: [view], notices: [notice], withdrawn });
  }

  private async importRun(jobId: number, file: Blob): Promise<void> {
    const mnist = this.mnist?.dataset ?? this.data?.dataset;
    if (!mnist) throw new Error('Load a data set first.');
    const { record, weights, notice } = await importRunFile(file, mnist, () => `imported-${Date.now().toString(36)}-${++this.importCount}`);
    if (this.queue.has(record.id) || this.store.get(record.id)) {
      throw new Error(`This run (“${this.store.findRecord(record.id)?.name ?? record.name}”) is already here.`);
    }
    // A file of a run another tab trains now (exported from this browser earlier): saving it would overwrite
    // that tab's checkpoints, and its saves this file.
    if ((await runsLockedNow()).has(record.id)) {
      throw new Error(`“${record.name}” is training in another tab of this page; it appears here by itself once it has ended there.`);
    }
    const view = await this.hold(record, weights);
    this.post({ type: 'runsLoaded', jobId, runs: [view], notices: notice ? [notice] : [] });
    await saveRun(record, weights).catch((error: unknown) => this.post({ type: 'storageNotice', message: errorMessage(error) }));
  }

  /**
   * Renames a run here and in storage, and tells the page's other tabs. A run another tab trains keeps its
   * name (that tab's saves would undo the rename): the page gets it back, and the run once that tab lets go.
   */
  private async rename(runId: RunId, name: string): Promise<void> {
    const record = this.store.findRecord(runId);
    if (!record) return;
    const release = await tryHoldRunLock(runId);
    if (!release) {
      const notice = `“${record.name}” is training in another tab of this page; rename it there, or here once it has ended there.`;
      this.post({ type: 'runRenamed', runId, name: record.name, notice });
      return this.followElsewhere(runId);
    }
    try {
      const renamed = { ...record, name };
      this.store.setRecord(renamed);
      await saveRunRecord(renamed).catch((error: unknown) => this.post({ type: 'storageNotice', message: errorMessage(error) }));
      this.tellTabs({ type: 'renamed', runId, name });
    } finally {
      release();
    }
  }

  /**
   * Forgets a run here and in storage, and tells the page's other tabs. A run another tab trains is not
   * deleted from storage: it comes back here once that tab lets go, saying why.
   */
  private async deleteRun(runId: RunId): Promise<void> {
    const name = this.store.findRecord(runId)?.name ?? 'The run';
    // A run this tab has queued is its own (the page deletes only runs it does not train): no lock to ask for.
    const ours = this.queue.has(runId);
    this.queue.stop(runId);
    this.store.forget(runId);
    const release = ours ? () => undefined : await tryHoldRunLock(runId);
    if (!release) {
      this.post({ type: 'storageNotice', message: `“${name}” is training in another tab of this page, so it was not deleted; it appears here again once it has ended there.` });
      return this.followElsewhere(runId);
    }
    try {
      await deleteSavedRun(runId).catch((error: unknown) => this.post({ type: 'storageNotice', message: errorMessage(error) }));
      this.tellTabs({ type: 'deleted', runId });
    } finally {
      release();
    }
  }

  private summary(arch: ArchId, latentDim: LatentSize): void {
    const model = buildAutoencoder(arch, undefined, latentDim);
    const layers = summarize(model);
    model.dispose();
    this.post({ type: 'summary', arch, latentDim, layers, totalParams: layers.reduce((sum, row) => sum + row.params, 0) });
  }

  private combined: LabelledImages | null = null;

  private split(split: Split): LabelledImages {
    if (!this.data) throw new Error('The data set is not loaded yet.');
    const { mnist } = this.data;
    if (split !== 'all') return mnist[split];
    // Built on first use only: 70,000 images are 220 MB of floats.
    this.combined ??= concatSets(mnist.train, mnist.test);
    return this.combined;
  }

  /** Copies the chosen images of a split into one count × 784 array. */
  private gather(split: Split, indices: Int32Array): Float32Array {
    const set = this.split(split);
    const images = new Float32Array(indices.length * IMAGE_PIXELS);
    indices.forEach((index, i) => {
      if (index < 0 || index >= set.count) throw new Error(`There is no image ${index} in the ${split} set.`);
      images.set(set.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS);
    });
    return images;
  }

  /**
   * Copies the chosen images of a split into one count × 784 byte array. 'all' reads the training and test
   * sets in place rather than building their 220 MB float concatenation.
   */
  private gatherBytes(split: Split, indices: Int32Array): Uint8Array {
    if (!this.data) throw new Error('The data set is not loaded yet.');
    const { train, test } = this.data.mnist;
    // 'all' is the training set followed by the test set.
    const first = split === 'test' ? test : train;
    const second = split === 'all' ? test : null;
    const total = first.count + (second?.count ?? 0);
    const pixels = new Uint8Array(indices.length * IMAGE_PIXELS);
    indices.forEach((index, i) => {
      if (!Number.isInteger(index) || index < 0 || index >= total) throw new Error(`There is no image ${index} in the ${split} set.`);
      if (second && index >= first.count) copyImageBytes(second, index - first.count, pixels, i * IMAGE_PIXELS);
      else copyImageBytes(first, index, pixels, i * IMAGE_PIXELS);
    });
    return pixels;
  }

  /** Runs a short job, reporting a failure to the page instead of throwing. */
  private async job(jobId: number, work: () => void | Promise<void>): Promise<void> {
    try {
      if (gpuLost()) await this.recoverFromLostGpu();
      await work();
    } catch (error) {
      let message = errorMessage(error);
      if (gpuLost()) message = `The GPU context was lost; the playground moved to ${await this.recoverFromLostGpu()}. Please try again.`;
      this.post({ type: 'jobEnded', jobId, outcome: 'failed', message });
    }
  }

  private async gallery(jobId: number, runIds: RunId[], selection: GallerySelection, count: number): Promise<void> {
    const test = this.split('test');
    const indices = await this.galleryIndices(selection, count);
    const originals = this.gather('test', indices);
    const rows: GalleryRow[] = [];
    for (const runId of runIds) {
      // A run deleted or training meanwhile is left out rather than failing the others.
      if (this.store.training === runId || !this.store.get(runId)) continue;
      const model = this.store.ready(runId);
      const { settings } = this.store.record(runId);
      const arch = settings.arch;
      // A denoising run is given the noisy test digits (seeded by its seed and each digit's test index) and
      // scored against the clean ones; the page shows noisy → reconstruction → clean.
      const inputs = settings.noise.kind === 'none' ? null : testInputs(settings, originals, indices.length, (i) => indices[i]);
      rows.push({
        runId,
        images: await reconstruct(model, arch, inputs ?? originals, indices.length),
        mse: await perImageMse(model, arch, originals, indices.length, inputs ?? undefined),
        inputs,
      });
    }
    const labels = Uint8Array.from(indices, (i) => test.labels[i]);
    this.post({ type: 'gallery', jobId, indices, labels, originals, rows });
  }

  private async galleryIndices(selection: GallerySelection, count: number): Promise<Int32Array> {
    const test = this.split('test');
    switch (selection.kind) {
      case 'random':
        return randomIndices(test.count, count, mulberry32(selection.seed));
      case 'digit':
        return indicesOfLabel(test.labels, selection.digit, count, mulberry32(selection.seed));
      case 'worst': {
        const { settings } = this.store.record(selection.runId);
        const inputs = settings.noise.kind === 'none' ? undefined : testInputs(settings, test.images, test.count);
        return topIndices(await perImageMse(this.store.ready(selection.runId), settings.arch, test.images, test.count, inputs), count);
      }
      default: {
        const unreachable: never = selection;
        return unreachable;
      }
    }
  }

  /** A few images (a drawn digit) through a run: codes, reconstructions and their MSE. */
  private async encode(jobId: number, runId: RunId, images: Float32Array, count: number): Promise<void> {
    const { encoder, decoder } = this.store.halvesOf(runId);
    const arch = this.store.record(runId).settings.arch;
    const { codes, dim, reconstructions, mse } = await encodeImages(encoder, decoder, arch, images, count);
    this.post({ type: 'encoded', jobId, runId, codes, dim, reconstructions, mse, count });
  }

  private latents(jobId: number, runId: RunId, split: Split): Promise<void> {
    return this.job(jobId, async () => {
      const set = this.split(split);
      const { encoder } = this.store.halvesOf(runId);
      const arch = this.store.record(runId).settings.arch;
      const started = performance.now();
      const throttle = new Throttle(PROGRESS_INTERVAL_MS);
      // The helper works with the sparse kernel, which runs on the CPU backends only.
      if (tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu') this.latentHelper ??= this.startLatentHelper?.() ?? null;
      const encoded = await extractLatents(encoder, arch, set.images, set.count, {
        onProgress: (done, total) => {
          if (!throttle.due(done >= total)) return;
          this.post({ type: 'latentsProgress', jobId, done, total });
        },
        shouldStop: () => this.cancelledJobs.has(jobId),
      }, this.latentHelper);
      if (!encoded) {
        this.post({ type: 'jobEnded', jobId, outcome: 'cancelled', message: 'Cancelled; nothing else changed.' });
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      const dataset = this.data?.dataset;
      if (!dataset) throw new Error('The data set is not loaded yet.');
      const dim = this.store.record(runId).settings.latentDim;
      const { latents, method, threads } = encoded;
      this.post({ type: 'latentsReady', jobId, runId, split, dataset, latents, labels: set.labels.slice(), count: set.count, dim, seconds, method, threads });
    });
  }
}

/** Two labelled sets as one, the first's images first. */
function concatSets(first: LabelledImages, second: LabelledImages): LabelledImages {
  const images = new Float32Array(first.images.length + second.images.length);
  images.set(first.images);
  images.set(second.images, first.images.length);
  const labels = new Uint8Array(first.count + second.count);
  labels.set(first.labels);
  labels.set(second.labels, first.count);
  return { images, labels, count: first.count + second.count };
}
