import { Throttle } from '../throttle';
import { errorMessage } from '../../errors';
import { IMAGE_PIXELS, IdxError, firstImages } from '../../data/idx';
import { loadMnist, MNIST_CACHE_NAME, type MnistData } from '../../data/mnist';
import { ResponseCache } from '../../data/response-cache';
import { datasetFingerprint } from '../../data/fingerprint';
import { PREVIEW_COUNT, PROGRESS_INTERVAL_MS, type DatasetInfo, type EngineEvent } from '../protocol';

/** One MNIST download, known by the page's job id. */
export interface PendingData {
  jobId: number;
  /**
   * The data, or null when the download was cancelled or failed (the page has then been told). Never
   * rejects, so nobody has to remember to catch it.
   */
  data: Promise<MnistData | null>;
}

/**
 * Runs the worker's MNIST downloads, one at a time, and tells the page about each: throttled progress,
 * then `dataReady` the moment every file is in and checked (the float pixels are made on first use; see
 * `labelledImagesFromBytes`) — or `dataError`, or `dataCancelled`. Free of tfjs on purpose: the worker
 * starts and cancels downloads the moment the requests arrive, before the much larger tfjs bundle loads.
 */
export class MnistLoader {
  private current: { pending: PendingData; controller: AbortController } | null = null;
  /** every job id ever started: the engine replays requests after tfjs loads, and an old one must not restart */
  private readonly started = new Set<number>();
  /** Verified files from earlier visits; opened now so it is ready when the manifest arrives. */
  private readonly cache = ResponseCache.named(MNIST_CACHE_NAME);

  constructor(private readonly post: (event: EngineEvent) => void) {}

  /**
   * Starts download `jobId`, or returns it when it is the one already started (the worker and the engine
   * both ask for each). A different download still running is cancelled: only the newest counts. A job
   * started before and since replaced or cancelled is not started again: its data is null.
   * @param baseUrl the page's base URL; the files come from its `data/` folder on the same origin
   */
  start(jobId: number, baseUrl: string): PendingData {
    if (this.current?.pending.jobId === jobId) return this.current.pending;
    if (this.started.has(jobId)) return { jobId, data: Promise.resolve(null) };
    this.started.add(jobId);
    if (this.current) this.cancel(this.current.pending.jobId);
    const controller = new AbortController();
    const startedAt = performance.now();
    const throttle = new Throttle(PROGRESS_INTERVAL_MS);
    const onProgress = (progress: { loadedBytes: number; totalBytes: number }) => {
      // A chunk read just before a cancel may still report; the page would drop it anyway.
      if (controller.signal.aborted) return;
      if (!throttle.due(progress.loadedBytes >= progress.totalBytes)) return;
      this.post({ type: 'dataProgress', jobId, ...progress });
    };
    const data = loadMnist(baseUrl, { onProgress, signal: controller.signal, cache: this.cache, previewCount: PREVIEW_COUNT }).then(
      ({ data, preview, fromCache, saveToCache }) => {
        // A cancel that came after the last byte: the page already shows the download as cancelled.
        if (controller.signal.aborted) return null;
        this.post(dataReadyEvent(data, describeDataset(data, 'MNIST', preview), performance.now() - startedAt, { fromCache, preview }));
        void saveToCache();
        return data;
      },
      (error: unknown) => {
        if (controller.signal.aborted) {
          this.post({ type: 'dataCancelled', jobId });
        } else {
          const code = error instanceof IdxError ? error.code : 'unknown';
          this.post({ type: 'dataError', jobId, code, message: errorMessage(error) });
        }
        return null;
      },
    );
    const pending = { jobId, data };
    this.current = { pending, controller };
    return pending;
  }

  /** Stops download `jobId` if it is still running; anything else is left alone. */
  cancel(jobId: number): void {
    if (this.current?.pending.jobId === jobId) this.current.controller.abort(new DOMException('The MNIST download was cancelled.', 'AbortError'));
  }

  /** True while `pending` is the newest download started: older ones must not replace its data. */
  isCurrent(pending: PendingData): boolean {
    return this.current?.pending === pending;
  }
}

/** The first test digits, shown on the page and reconstructed during training: PREVIEW_COUNT × 784. */
export function previewImages(data: MnistData): Float32Array {
  return data.test.images.slice(0, Math.min(PREVIEW_COUNT, data.test.count) * IMAGE_PIXELS);
}

/** Describes a data set: name, fingerprint and counts. @param preview its first test digits (previewImages) */
export function describeDataset(data: MnistData, name: string, preview: Float32Array): DatasetInfo {
  return { name, fingerprint: datasetFingerprint(data.train.labels, data.test.labels, preview), trainCount: data.train.count, testCount: data.test.count };
}

/**
 * The event that tells the page a data set is in place.
 * @param millis from the request to the arrays existing
 * @param loaded `fromCache`: every file came from this browser's cache; `preview`: the preview images,
 *   when already made (else they are taken from the test set, which makes its floats)
 */
export function dataReadyEvent(data: MnistData, dataset: DatasetInfo, millis: number, loaded: { fromCache?: boolean; preview?: Float32Array } = {}): EngineEvent {
  const { test } = data;
  return {
    type: 'dataReady',
    dataset,
    millis,
    fromCache: loaded.fromCache ?? false,
    previewImages: loaded.preview ?? previewImages(data),
    previewLabels: test.labels.slice(0, PREVIEW_COUNT),
    // Training digits, not the test digits the Train panel reconstructs: the data panel shows what trains.
    sampleImages: firstImages(data.train, PREVIEW_COUNT),
    sampleLabels: data.train.labels.slice(0, PREVIEW_COUNT),
  };
}
