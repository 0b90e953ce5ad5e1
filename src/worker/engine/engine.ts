import { mulberry32 } from '../../analysis/rng';
import { indicesOfLabel, randomIndices, topIndices } from '../../analysis/selection';
import { parseDatasetFiles } from '../../data/dataset';
import type { LabelledImages } from '../../data/idx';
import type { MnistData } from '../../data/mnist';
import { ARCHITECTURES, IMAGE_PIXELS, buildAutoencoder, summarize, type ArchId } from '../../models/architectures';
import { decodeLatents, extractLatents } from '../../models/latents';
import { perImageMse, reconstruct } from '../../models/train';
import {
  MNIST_INITIAL_JOB_ID,
  PROGRESS_INTERVAL_MS,
  type BackendName,
  type EngineEvent,
  type EngineRequest,
  type GalleryRow,
  type GallerySelection,
  type ModelRecord,
  type Split,
  type StoredModel,
} from '../protocol';
import { finalFigures } from './figures';
import { deleteSavedModel, exportModelFile, importModelFile, listSavedModels, loadSavedModel, saveModel, suggestedFileName } from './persistence';
import { fallBackFromLostGpu, gpuLost, selectBackend } from './backends';
import { dataReadyEvent, previewImages, type MnistLoader, type PendingData } from './data-loading';
import { ModelStore } from './model-store';
import { TrainingQueue } from './training-queue';

/** Sends one event to the page. */
export type Post = (event: EngineEvent) => void;

/**
 * Everything the engine worker does, independent of `self`: owns the data set, the trained models, the
 * training queue and the short jobs (latents, decoding, galleries). The worker file only forwards messages.
 */
export class Engine {
  private data: MnistData | null = null;
  private preview: Float32Array = new Float32Array(0);
  private readonly store = new ModelStore();
  private readonly queue: TrainingQueue;
  private readonly cancelledJobs = new Set<number>();

  /** @param loader the worker's MNIST downloads, which it starts and cancels before this engine exists */
  constructor(
    private readonly post: Post,
    private readonly loader: MnistLoader,
  ) {
    this.queue = new TrainingQueue(post, this.store, () => (this.data ? { mnist: this.data, preview: this.preview } : null), () => this.recoverFromLostGpu());
  }

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
    await this.backendReady;
    switch (request.type) {
      case 'summary':
        return this.summary(request.arch);
      case 'train':
        return this.queue.enqueue(request);
      case 'stop':
        return this.queue.stop(request.runId);
      case 'latents':
        return this.latents(request.jobId, request.arch, request.split);
      case 'decode':
        return this.job(request.jobId, async () => {
          const images = await decodeLatents(this.store.halvesOf(request.arch).decoder, request.codes, request.count);
          this.post({ type: 'decoded', jobId: request.jobId, images, count: request.count });
        });
      case 'images':
        return this.job(request.jobId, () => {
          const images = this.gather(request.split, request.indices);
          this.post({ type: 'images', jobId: request.jobId, images, count: request.indices.length });
        });
      case 'gallery':
        return this.job(request.jobId, () => this.gallery(request.jobId, request.archs, request.selection, request.count));
      case 'exportModel':
        return this.job(request.jobId, async () => {
          const record = this.store.record(request.arch);
          const blob = await exportModelFile(this.store.ready(request.arch), record);
          this.post({ type: 'modelFile', jobId: request.jobId, blob, fileName: suggestedFileName(record) });
        });
      case 'importModel':
        return this.job(request.jobId, async () => {
          // The whole file is checked before anything is built: a bad one throws here and changes nothing.
          const { model, record } = await importModelFile(request.file);
          if (this.store.training === record.arch) {
            model.dispose();
            throw new Error(`${ARCHITECTURES[record.arch].label} is training now; load the file when it has finished.`);
          }
          this.store.set(record.arch, model);
          await this.store.setRecord(record);
          const final = await finalFigures(this.store, record.arch, this.split('test'));
          this.post({ type: 'modelsLoaded', jobId: request.jobId, models: [{ record, final }] });
          await saveModel(model, record).catch((error: unknown) =>
            this.post({ type: 'storageNotice', message: error instanceof Error ? error.message : String(error) }),
          );
        });
      case 'loadDataset':
        return this.job(request.jobId, async () => {
          const started = performance.now();
          const files = await Promise.all(request.files.map(async ({ name, blob }) => ({ name, bytes: new Uint8Array(await blob.arrayBuffer()) })));
          // Parsed completely before anything changes: a bad file leaves the current data set in place.
          const data = await parseDatasetFiles(files);
          this.useData(data, request.files.map((f) => f.name).join(', '), performance.now() - started);
          await this.restoreOnce();
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
      (error: unknown) => this.post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    );
    this.backendReady = selecting;
    await this.adoptMnist(pending);
  }

  /**
   * Takes over the data of a finished MNIST download (which has told the page itself: `dataReady` does not
   * wait for tfjs), then, the first time there is data, brings back saved models.
   */
  private async adoptMnist(pending: PendingData): Promise<void> {
    const data = await pending.data;
    // A cancelled or failed download (the page knows), or one a newer download replaced.
    if (!data || !this.loader.isCurrent(pending)) return;
    this.setData(data);
    await this.backendReady;
    await this.restoreOnce();
  }

  /** Makes `data` the current data set. */
  private setData(data: MnistData): void {
    this.data = data;
    this.combined = null;
    this.preview = previewImages(data);
  }

  /** Makes `data` the current data set and tells the page. */
  private useData(data: MnistData, name: string, millis: number): void {
    this.setData(data);
    this.post(dataReadyEvent(data, name, millis));
  }

  private restoring: Promise<void> | null = null;

  /** Saved models need test data for their figures, so they come back once the first data set is in. */
  private restoreOnce(): Promise<void> {
    this.restoring ??= this.restore();
    return this.restoring;
  }

  /** Brings back the models trained in earlier visits; a damaged entry is dropped with a notice. */
  private async restore(): Promise<void> {
    let records: ModelRecord[];
    try {
      records = await listSavedModels();
    } catch (error) {
      this.post({ type: 'storageNotice', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const models: StoredModel[] = [];
    for (const saved of records) {
      try {
        const { model, record } = await loadSavedModel(saved.arch);
        this.store.set(record.arch, model);
        await this.store.setRecord(record);
        models.push({ record, final: await finalFigures(this.store, record.arch, this.split('test')) });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.post({ type: 'storageNotice', message: `The saved ${ARCHITECTURES[saved.arch].label} model could not be restored and was removed: ${reason}` });
        await deleteSavedModel(saved.arch).catch(() => undefined);
      }
    }
    if (models.length > 0) this.post({ type: 'modelsLoaded', jobId: null, models });
  }

  private summary(arch: ArchId): void {
    const existing = this.store.get(arch);
    const model = existing ?? buildAutoencoder(arch);
    const layers = summarize(model);
    if (!existing) model.dispose();
    this.post({ type: 'summary', arch, layers, totalParams: layers.reduce((sum, row) => sum + row.params, 0) });
  }

  private combined: LabelledImages | null = null;

  private split(split: Split): LabelledImages {
    if (!this.data) throw new Error('The data set is not loaded yet.');
    if (split !== 'all') return this.data[split];
    // Built on first use only: 70,000 images are 220 MB of floats.
    this.combined ??= concatSets(this.data.train, this.data.test);
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

  /** Runs a short job, reporting a failure to the page instead of throwing. */
  private async job(jobId: number, work: () => void | Promise<void>): Promise<void> {
    try {
      if (gpuLost()) await this.recoverFromLostGpu();
      await work();
    } catch (error) {
      let message = error instanceof Error ? error.message : String(error);
      if (gpuLost()) message = `The GPU context was lost; the playground moved to ${await this.recoverFromLostGpu()}. Please try again.`;
      this.post({ type: 'jobEnded', jobId, outcome: 'failed', message });
    }
  }

  private async gallery(jobId: number, archs: ArchId[], selection: GallerySelection, count: number): Promise<void> {
    const test = this.split('test');
    const indices = await this.galleryIndices(selection, count);
    const originals = this.gather('test', indices);
    const rows: GalleryRow[] = [];
    for (const arch of archs) {
      const model = this.store.ready(arch);
      rows.push({ arch, images: await reconstruct(model, arch, originals, indices.length), mse: await perImageMse(model, arch, originals, indices.length) });
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
      case 'worst':
        return topIndices(await perImageMse(this.store.ready(selection.arch), selection.arch, test.images, test.count), count);
      default: {
        const unreachable: never = selection;
        return unreachable;
      }
    }
  }

  private latents(jobId: number, arch: ArchId, split: Split): Promise<void> {
    return this.job(jobId, async () => {
      const set = this.split(split);
      const { encoder } = this.store.halvesOf(arch);
      const started = performance.now();
      let lastPost = 0;
      const latents = await extractLatents(encoder, arch, set.images, set.count, {
        onProgress: (done, total) => {
          const now = performance.now();
          if (now - lastPost < PROGRESS_INTERVAL_MS && done < total) return;
          lastPost = now;
          this.post({ type: 'latentsProgress', jobId, done, total });
        },
        shouldStop: () => this.cancelledJobs.has(jobId),
      });
      if (!latents) {
        this.post({ type: 'jobEnded', jobId, outcome: 'cancelled', message: 'Cancelled; nothing else changed.' });
        return;
      }
      const seconds = (performance.now() - started) / 1000;
      this.post({ type: 'latentsReady', jobId, arch, split, latents, labels: set.labels.slice(), count: set.count, seconds });
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
