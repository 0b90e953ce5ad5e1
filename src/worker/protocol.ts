/**
 * The one message contract between the page and the engine worker. Both sides import these types;
 * every message is a tagged union member, and both dispatchers end in an exhaustive `never` check.
 * Long runs carry a `runId`: the page drops events whose run is no longer current.
 */
import type { KMeansOptions, KMeansProgress } from '../analysis/kmeans';
import type { TsneProgress } from '../analysis/tsne';
import type { MapOptions } from '../config/tsne-options';
import type { ArchId, LayerRow } from '../models/arch-spec';

/** A tfjs backend the engine can run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Which backend runs, and why faster ones were passed over. */
export interface BackendReport {
  name: BackendName;
  /** e.g. "SwiftShader (software)" for WebGL without a GPU, or "SIMD + 2 threads" for WASM */
  detail: string;
  skipped: { name: BackendName; reason: string }[];
}

/** What is saved beside a trained model's weights (IndexedDB and downloaded files). */
export interface ModelRecord {
  arch: ArchId;
  /** ISO 8601 time of the save or export */
  savedAt: string;
  /** epochs trained in total */
  epochs: number;
  /** training images per epoch */
  trainSize: number;
  history: EpochRecord[];
  /** test MSE before training; null when unknown */
  initialTestMse: number | null;
  /** tfjs backend the model was trained on */
  backend: string;
  /** seed of the initial weights and shuffles; absent in files saved before seeds were settable (they used 0) */
  seed?: number;
  /** per-batch training losses, in order; thinned to at most 2,000 (see model-files.ts) points */
  batchLosses?: number[];
}

/**
 * Job id of the MNIST download that `init` starts (the page's own job ids start at 1). Like any job it is
 * stopped with `{ type: 'cancel', jobId }`.
 */
export const MNIST_INITIAL_JOB_ID = 0;

/** Page → worker. */
export type EngineRequest =
  /** starts the backend and MNIST download job MNIST_INITIAL_JOB_ID from `baseUrl`'s `data/` folder */
  /** wasmThreads: XNNPACK threads for the WASM backend (default: every core on small machines, see wasm-threads.ts) */
  | { type: 'init'; baseUrl: string; backend?: BackendName; wasmThreads?: number }
  /**
   * MNIST download `jobId`: MNIST_INITIAL_JOB_ID when the page starts the download before `init` (it is
   * then the one `init` starts), a new id after a cancelled or failed download. Any other download still
   * running is cancelled.
   */
  | { type: 'loadMnist'; jobId: number; baseUrl: string }
  | { type: 'summary'; arch: ArchId }
  | { type: 'train'; runId: number; arch: ArchId; epochs: number; trainSize: number; learningRate: number; seed: number }
  | { type: 'stop'; runId: number }
  /** latent vectors of a whole split through a trained model's encoder */
  | { type: 'latents'; jobId: number; arch: ArchId; split: Split }
  /** images decoded from latent vectors (count × 64) through a trained model's decoder */
  | { type: 'decode'; jobId: number; arch: ArchId; codes: Float32Array; count: number }
  /** pixels of chosen images of a split, e.g. cluster members */
  | { type: 'images'; jobId: number; split: Split; indices: Int32Array }
  /** test digits reconstructed by several models, for side-by-side comparison */
  | { type: 'gallery'; jobId: number; archs: ArchId[]; selection: GallerySelection; count: number }
  /** one self-contained file of a trained model, to download */
  | { type: 'exportModel'; jobId: number; arch: ArchId }
  /** a file a person picked; checked completely before anything changes */
  | { type: 'importModel'; jobId: number; file: Blob }
  /** a person's own 28×28 data set: two or four IDX files, raw or gzip; replaces the data only if all parse */
  | { type: 'loadDataset'; jobId: number; files: { name: string; blob: Blob }[] }
  | { type: 'cancel'; jobId: number };

/** A trained model the engine holds, as the page lists it. */
export interface StoredModel {
  record: ModelRecord;
  /** test MSE and dead latent units of the weights as stored */
  final: { testMse: number; deadUnits: number };
}

/** Which test digits the comparison gallery shows. */
export type GallerySelection =
  | { kind: 'random'; seed: number }
  | { kind: 'digit'; digit: number; seed: number }
  /** the test images this model reconstructs worst */
  | { kind: 'worst'; arch: ArchId };

/** One model's row of the gallery. */
export interface GalleryRow {
  arch: ArchId;
  /** count × 784 */
  images: Float32Array;
  /** per-image MSE (count) */
  mse: Float32Array;
}

/** Which MNIST images: the training set, the test set, or all 70,000 (training first, then test). */
export type Split = 'train' | 'test' | 'all';

/** Every split, for parsing untrusted values. */
export const SPLITS: readonly Split[] = ['train', 'test', 'all'];

/** Per-epoch figures of one training run (epoch is 1-based). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testMse: number;
  trainSeconds: number;
  samplesPerSec: number;
}

/** Worker → page. Float32Array fields travel as transferred buffers. */
export type EngineEvent =
  | { type: 'backend'; backend: BackendReport }
  /** bytes of the (decompressed) IDX files read so far by MNIST download `jobId` */
  | { type: 'dataProgress'; jobId: number; loadedBytes: number; totalBytes: number }
  | {
      type: 'dataReady';
      /** 'MNIST', or the dropped files' names */
      name: string;
      trainCount: number;
      testCount: number;
      millis: number;
      /** true when every file came from this browser's cache, none from the network */
      fromCache?: boolean;
      /** the fixed test digits shown in the reconstruction grid: previewCount × 784 */
      previewImages: Float32Array;
      previewLabels: Uint8Array;
    }
  /** MNIST download `jobId` failed */
  | { type: 'dataError'; jobId: number; code: string; message: string }
  /** MNIST download `jobId` stopped on a `cancel` before it finished */
  | { type: 'dataCancelled'; jobId: number }
  | { type: 'summary'; arch: ArchId; layers: LayerRow[]; totalParams: number }
  | {
      type: 'trainStarted';
      runId: number;
      arch: ArchId;
      epochs: number;
      trainSize: number;
      batchesPerEpoch: number;
      /** test-set MSE of the freshly initialised model */
      initialTestMse: number;
    }
  | {
      type: 'trainProgress';
      runId: number;
      /** 0-based epoch and the number of batches finished in it */
      epoch: number;
      batch: number;
      /** losses of the batches finished since the previous progress message, in order */
      batchLosses: Float32Array;
      /** reconstructions of the preview digits, when due (throttled): previewCount × 784 */
      reconstructions?: Float32Array;
    }
  | { type: 'epochEnd'; runId: number; record: EpochRecord; reconstructions: Float32Array }
  /** the run goes on after an interruption (a lost GPU), from the end of epoch `epochsCompleted` */
  | { type: 'trainNotice'; runId: number; epochsCompleted: number; message: string }
  | {
      type: 'trainEnd';
      runId: number;
      /** 'diverged': the loss became NaN or infinite; the weights went back to the last completed epoch */
      outcome: 'completed' | 'stopped' | 'diverged' | 'failed';
      epochsCompleted: number;
      message?: string;
      /** figures of the weights as they ended (absent when the run failed) */
      final?: { testMse: number; deadUnits: number };
    }
  | { type: 'latentsProgress'; jobId: number; done: number; total: number }
  | {
      type: 'latentsReady';
      jobId: number;
      arch: ArchId;
      split: Split;
      /** count × 64 row-major */
      latents: Float32Array;
      labels: Uint8Array;
      count: number;
      seconds: number;
    }
  | { type: 'decoded'; jobId: number; images: Float32Array; count: number }
  | { type: 'gallery'; jobId: number; indices: Int32Array; labels: Uint8Array; originals: Float32Array; rows: GalleryRow[] }
  | { type: 'images'; jobId: number; images: Float32Array; count: number }
  | { type: 'jobEnded'; jobId: number; outcome: 'cancelled' | 'failed'; message: string }
  /** models restored from this browser's storage at start-up, or one imported from a file */
  | { type: 'modelsLoaded'; jobId: number | null; models: StoredModel[] }
  | { type: 'modelFile'; jobId: number; blob: Blob; fileName: string }
  /** a storage problem that loses nothing: the session goes on in memory */
  | { type: 'storageNotice'; message: string }
  | { type: 'error'; message: string };

/** Page → analysis worker (pure TypeScript: KMeans, metrics; no tfjs). */
export type AnalysisRequest =
  | {
      type: 'kmeans';
      jobId: number;
      /** n × d row-major */
      data: Float32Array;
      n: number;
      d: number;
      /** true labels, for the agreement metrics */
      labels: Uint8Array;
      options: KMeansOptions;
      /** which share of the restarts this worker runs (see splitRestarts) */
      part: number;
    }
  | {
      type: 'tsne';
      jobId: number;
      /** n × d row-major */
      data: Float32Array;
      n: number;
      d: number;
      labels: Uint8Array;
      options: MapOptions;
    }
  | { type: 'cancel'; jobId: number };

/** The t-SNE settings a person can change (the rest are scikit-learn's defaults); defined with their limits in config/tsne-options. */
export type { MapOptions };

/** Largest map whose exact KL divergence and trustworthiness (both O(n²)) are computed. */
export const MAP_QUALITY_MAX_POINTS = 10_000;

/** Figures of a finished map; null where n is too large to compute them exactly. */
export interface MapQuality {
  kl: number | null;
  trustworthiness: number | null;
  knnAccuracy: number;
}

/** KMeans result with its agreement to the true labels. */
export interface KMeansSummary {
  /** cluster of each row (n) */
  assignments: Int32Array;
  /** k × d row-major */
  centroids: Float32Array;
  k: number;
  inertia: number;
  iterations: number;
  seconds: number;
  ari: number;
  nmi: number;
  purity: number;
  /** k × 10 row-major counts: cluster × true digit */
  contingency: Int32Array;
}

/** Analysis worker → page. */
export type AnalysisEvent =
  | { type: 'kmeansProgress'; jobId: number; part: number; progress: KMeansProgress }
  | { type: 'kmeansDone'; jobId: number; part: number; summary: KMeansSummary }
  | { type: 'tsneProgress'; jobId: number; progress: TsneProgress }
  /** the map so far, n × 2 row-major */
  | { type: 'tsneFrame'; jobId: number; iteration: number; embedding: Float32Array }
  | { type: 'tsneDone'; jobId: number; embedding: Float32Array; iterations: number; stopped: boolean; seconds: number; quality: MapQuality | null }
  | { type: 'jobEnded'; jobId: number; outcome: 'cancelled' | 'failed'; message: string };

/** How many test digits the reconstruction grid shows. */
export const PREVIEW_COUNT = 16;

/** Minimum milliseconds between two progress messages: enough for a smooth bar, cheap for the thread. */
export const PROGRESS_INTERVAL_MS = 200;

/**
 * Minimum milliseconds between two training progress messages. Each one redraws the loss charts (plotly:
 * ~18 ms of main-thread script and layout here); at 200 ms the page took ~40% of a 2-core machine away
 * from training, at 500 ms the curve still grows twice a second.
 */
export const TRAIN_PROGRESS_INTERVAL_MS = 500;

/** Minimum milliseconds between two mid-epoch reconstruction previews. */
export const PREVIEW_INTERVAL_MS = 1500;

/** Buffers inside an event that can be transferred instead of copied. */
export function transferablesOf(event: EngineEvent): Transferable[] {
  switch (event.type) {
    case 'dataReady':
      return [event.previewImages.buffer, event.previewLabels.buffer];
    case 'trainProgress':
      return event.reconstructions ? [event.batchLosses.buffer, event.reconstructions.buffer] : [event.batchLosses.buffer];
    case 'epochEnd':
      return [event.reconstructions.buffer];
    case 'latentsReady':
      return [event.latents.buffer, event.labels.buffer];
    case 'decoded':
    case 'images':
      return [event.images.buffer];
    case 'gallery':
      return [event.indices.buffer, event.labels.buffer, event.originals.buffer, ...event.rows.flatMap((row) => [row.images.buffer, row.mse.buffer])];
    default:
      return [];
  }
}

/** Buffers inside an analysis event that can be transferred. */
export function analysisTransferablesOf(event: AnalysisEvent): Transferable[] {
  switch (event.type) {
    case 'kmeansDone':
      return [event.summary.assignments.buffer, event.summary.centroids.buffer, event.summary.contingency.buffer];
    case 'tsneFrame':
    case 'tsneDone':
      return [event.embedding.buffer];
    default:
      return [];
  }
}

/** Test digits per comparison gallery. */
export const GALLERY_COUNT = 12;
