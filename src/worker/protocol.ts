/**
 * The one message contract between the page and the engine worker. Both sides import these types;
 * every message is a tagged union member, and both dispatchers end in an exhaustive `never` check.
 * Long runs carry a `runId`: the page drops events whose run is no longer current.
 */
import type { KMeansOptions, KMeansProgress } from '../analysis/kmeans';
import type { RestartShare } from '../analysis/kmeans-parts';
import type { TsneProgress } from '../analysis/tsne';
import type { SharedAttractionMemory } from '../analysis/tsne-attraction';
import type { UmapProgress } from '../analysis/umap';
import type { MapOptions } from '../config/tsne-options';
import type { UmapMapOptions } from '../config/umap-options';
import type { ArchId, LayerActivation, LayerRow } from '../models/arch-spec';
import type { LatentSize, TrainSettings } from '../config/train-options';
import type { LatentMethod } from '../models/latents';
import type { WeightGradientVariant } from '../models/wasm/weight-gradient-simd';
import type { EncoderPlan } from '../models/sparse-encoder';
import type { JobOutcome } from '../analysis/job';

export type { LayerActivation };

/** A tfjs backend the engine can run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Which backend runs, and why faster ones were passed over. */
export interface BackendReport {
  name: BackendName;
  /** e.g. "SwiftShader (software)" for WebGL without a GPU, or "SIMD + 2 threads" for WASM */
  detail: string;
  skipped: { name: BackendName; reason: string }[];
  /** the dense model's training speed in the chosen backend's warm-up (samples/s); absent when none was measured */
  warmupSamplesPerSec?: number;
}

/** A training run's id: unique across sessions and reloads (a session prefix and a counter). */
export type RunId = string;

/** Which data set something was computed on: its name and a fingerprint of its contents. */
export interface DatasetInfo {
  /** 'MNIST', or the dropped files' names */
  name: string;
  /** 8 hex digits: FNV-1a of the counts, every label and the preview digits' pixels */
  fingerprint: string;
  trainCount: number;
  testCount: number;
}

/** How a run ended: the job contract's outcome (`src/analysis/job.ts`). */
export type RunOutcome = JobOutcome;

/**
 * Where a run's weights are in its schedule: after `epochsCompleted` whole epochs and `batch` batches of
 * the next one (0 at an epoch boundary). A run stopped mid-epoch has batch > 0.
 */
export interface RunPosition {
  epochsCompleted: number;
  batch: number;
  batchesPerEpoch: number;
}

/**
 * One training run as saved (IndexedDB and files): never overwritten by another run. Continuing it
 * appends to its history and raises `settings.epochs`.
 */
export interface RunRecord {
  id: RunId;
  /** readable, renamable, e.g. "CNN · ELU · seed 1 · lr 0.001" */
  name: string;
  settings: TrainSettings;
  /** the data set it was trained (and is scored) on */
  dataset: DatasetInfo;
  /** tfjs backend it trained on (the last one, when a lost GPU moved it) */
  backend: string;
  /** ISO 8601 times */
  createdAt: string;
  endedAt: string;
  outcome: RunOutcome;
  /** where the kept weights are in the schedule */
  position: RunPosition;
  history: EpochRecord[];
  /** every batch loss in order, or every `lossStride`-th average when thinned */
  batchLosses: number[];
  lossStride: number;
  /** test MSE of the initial weights; null when unknown (old files) */
  initialTestMse: number | null;
  /** test MSE and dead latent units of the kept weights, on `dataset`'s test set */
  final: { testMse: number; deadUnits: number } | null;
  /** what happened, in words (stop point, divergence and what was kept) */
  message: string | null;
  /** loss sum and seconds of the part of an epoch done before a stop: a continued epoch reports the whole epoch */
  partial: { weightedLoss: number; seconds: number } | null;
  /** false when no optimiser state was kept (files from before runs existed): continuing starts Adam afresh */
  resumable: boolean;
}

/** A finished run as the page receives it. */
export interface RunView {
  record: RunRecord;
  /** the preview digits through the run's weights: PREVIEW_COUNT × 784; null when the data set differs */
  reconstructions: Float32Array | null;
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
  /** the layer summary of architecture `arch` with a `latentDim`-wide code (the form's choice) */
  | { type: 'summary'; arch: ArchId; latentDim: LatentSize }
  /** a new run with validated settings, trained on the current data set */
  | { type: 'train'; runId: RunId; name: string; settings: TrainSettings }
  /** trains run `runId` on for `extraEpochs` more epochs, from where it ended (its Adam state and shuffles) */
  | { type: 'continueRun'; runId: RunId; extraEpochs: number }
  | { type: 'stop'; runId: RunId }
  | { type: 'renameRun'; runId: RunId; name: string }
  /** forgets a run: its weights leave memory and storage */
  | { type: 'deleteRun'; runId: RunId }
  /** latent vectors of a whole split through a run's encoder */
  | { type: 'latents'; jobId: number; runId: RunId; split: Split }
  /** images decoded from latent vectors (count × the run's latentDim) through a run's decoder */
  | { type: 'decode'; jobId: number; runId: RunId; codes: Float32Array; count: number }
  /** the mean image of chosen digits of a split and the mean of their reconstructions through a run */
  | { type: 'meanImages'; jobId: number; runId: RunId; split: Split; indices: Int32Array }
  /** every layer's output for image `index` of `split` through run `runId`'s model (the knobs' "inside the network") */
  | { type: 'activations'; jobId: number; runId: RunId; split: Split; index: number }
  /**
   * a few images (count × 784, e.g. a drawn digit) through run `runId`: their codes, reconstructions and MSE,
   * answered by `encoded`
   */
  | { type: 'encode'; jobId: number; runId: RunId; images: Float32Array; count: number }
  /** pixels of chosen images of a split, e.g. cluster members */
  | { type: 'images'; jobId: number; split: Split; indices: Int32Array }
  /**
   * The same pixels as bytes 0–255 (784 per image: a quarter of `images`' floats), for many images at once,
   * e.g. every point of a 70,000-point map drawn as a thumbnail (55 MB instead of 220 MB). Answered by `imageBytes`.
   */
  | { type: 'imageBytes'; jobId: number; split: Split; indices: Int32Array }
  /** test digits reconstructed by several runs, for side-by-side comparison */
  | { type: 'gallery'; jobId: number; runIds: RunId[]; selection: GallerySelection; count: number }
  /** one self-contained file of a run, to download */
  | { type: 'exportRun'; jobId: number; runId: RunId }
  /** a file a person picked; checked completely before anything changes */
  | { type: 'importRun'; jobId: number; file: Blob }
  /** a person's own 28×28 data set: two or four IDX files, raw or gzip; replaces the data only if all parse */
  | { type: 'loadDataset'; jobId: number; files: { name: string; blob: Blob }[] }
  /** back to the bundled MNIST after a person's own data set */
  | { type: 'useMnist'; jobId: number; baseUrl: string }
  | { type: 'cancel'; jobId: number };

/** Which test digits the comparison gallery shows. */
export type GallerySelection =
  | { kind: 'random'; seed: number }
  | { kind: 'digit'; digit: number; seed: number }
  /** the test images this model reconstructs worst */
  | { kind: 'worst'; runId: RunId };

/** One model's row of the gallery. */
export interface GalleryRow {
  runId: RunId;
  /** count × 784 */
  images: Float32Array;
  /** per-image MSE (count), against the clean test digits */
  mse: Float32Array;
  /** what the run was given: a denoising run's noisy test digits (count × 784, seeded by its seed and each digit's test index); null for other runs, which are given the digits themselves */
  inputs: Float32Array | null;
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
      /** the data set now in place: name, fingerprint and counts */
      dataset: DatasetInfo;
      millis: number;
      /** true when every file came from this browser's cache, none from the network */
      fromCache?: boolean;
      /** the fixed test digits shown in the reconstruction grid: previewCount × 784 */
      previewImages: Float32Array;
      previewLabels: Uint8Array;
      /** the first training digits, shown in the data panel: up to PREVIEW_COUNT × 784 */
      sampleImages: Float32Array;
      sampleLabels: Uint8Array;
    }
  /** MNIST download `jobId` failed */
  | { type: 'dataError'; jobId: number; code: string; message: string }
  /** MNIST download `jobId` stopped on a `cancel` before it finished */
  | { type: 'dataCancelled'; jobId: number }
  | { type: 'summary'; arch: ArchId; latentDim: LatentSize; layers: LayerRow[]; totalParams: number }
  /** run `runId` starts (or goes on, when continued): its record so far, with the initial test MSE */
  | { type: 'trainStarted'; runId: RunId; record: RunRecord }
  | {
      type: 'trainProgress';
      runId: RunId;
      /** 0-based epoch and the number of batches finished in it */
      epoch: number;
      batch: number;
      /** losses of the batches finished since the previous progress message, in order */
      batchLosses: Float32Array;
      /** reconstructions of the preview digits, when due (throttled): previewCount × 784 */
      reconstructions?: Float32Array;
    }
  | { type: 'epochEnd'; runId: RunId; record: EpochRecord; reconstructions: Float32Array }
  /**
   * Run `runId` measures its test MSE — before training (queued still), after an epoch, or at its end — and
   * has `done` of `total` test images (seconds per pass on a slow backend)
   */
  | { type: 'trainMeasuring'; runId: RunId; done: number; total: number }
  /**
   * the run goes on after an interruption (a lost GPU) from where it was last saved or completed: after
   * `epochsCompleted` epochs and `batch` batches of the next (0: at that epoch's end)
   */
  | { type: 'trainNotice'; runId: RunId; epochsCompleted: number; batch: number; message: string }
  /**
   * While it trains, the run as it was after `epochsCompleted` epochs and `batch` batches of the next (0: at
   * the epoch's end) is saved in this browser: a page closed or reloaded from now on finds it there, stopped at
   * that point (see CHECKPOINT_INTERVAL_MS)
   */
  | { type: 'trainCheckpoint'; runId: RunId; epochsCompleted: number; batch: number }
  /**
   * Run `runId` ended. `run` is what was kept — its record says how it ended and where its weights are —
   * or null when nothing was (removed from the queue before it started, or failed before any weights).
   */
  | { type: 'trainEnd'; runId: RunId; outcome: RunOutcome; message: string | null; run: RunView | null }
  | { type: 'latentsProgress'; jobId: number; done: number; total: number }
  | {
      type: 'latentsReady';
      jobId: number;
      runId: RunId;
      split: Split;
      /** the data set the images came from */
      dataset: DatasetInfo;
      /** count × dim row-major */
      latents: Float32Array;
      labels: Uint8Array;
      count: number;
      /** numbers per code: the run's `settings.latentDim` */
      dim: number;
      seconds: number;
      /** how they were computed: the zero-skipping CPU kernel or the model on the tfjs backend */
      method: LatentMethod;
      /** threads that encoded (2 when the latents helper thread took part) */
      threads: number;
    }
  | { type: 'decoded'; jobId: number; images: Float32Array; count: number }
  | {
      type: 'encoded';
      jobId: number;
      runId: RunId;
      /** count × dim row-major: the run's codes of the images */
      codes: Float32Array;
      /** the run's code length */
      dim: number;
      /** count × 784 row-major */
      reconstructions: Float32Array;
      /** per image: mean squared difference between reconstruction and input over its 784 pixels */
      mse: Float32Array;
      count: number;
    }
  | { type: 'gallery'; jobId: number; indices: Int32Array; labels: Uint8Array; originals: Float32Array; rows: GalleryRow[] }
  | { type: 'images'; jobId: number; images: Float32Array; count: number }
  /** means over `count` digits: of the images and of their reconstructions (784 each) */
  | { type: 'meanImages'; jobId: number; image: Float32Array; reconstruction: Float32Array; count: number }
  /** one image's way through run `runId`: every layer after the input, in order (the last is the reconstruction) */
  | { type: 'activations'; jobId: number; runId: RunId; layers: LayerActivation[] }
  /** answer to `imageBytes`: count × 784 bytes, row-major, in the order asked (transferred) */
  | { type: 'imageBytes'; jobId: number; pixels: Uint8Array; count: number }
  | { type: 'jobEnded'; jobId: number; outcome: 'cancelled' | 'failed'; message: string }
  /**
   * runs restored from this browser's storage at start-up or brought back from another tab of the page (jobId
   * null), or one imported from a file
   */
  | {
      type: 'runsLoaded';
      jobId: number | null;
      runs: RunView[];
      notices: string[];
      /** notices given earlier that these runs answer (one said while a run trained in another tab), to take away */
      withdrawn?: string[];
    }
  /** the engine's name of a run: renamed in another tab of the page, or a rename here refused (the notice says why) */
  | { type: 'runRenamed'; runId: RunId; name: string; notice: string | null }
  /** a run deleted in another tab of the page: it leaves this one too */
  | { type: 'runRemoved'; runId: RunId; notice: string }
  /** a run as a file to download */
  | { type: 'runFile'; jobId: number; blob: Blob; fileName: string }
  /** a storage problem that loses nothing: the session goes on in memory */
  | { type: 'storageNotice'; message: string }
  | { type: 'error'; message: string };

/** Page → analysis worker (pure TypeScript: KMeans, metrics, maps; no tfjs). */
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
      /** the whole job's options (nInit: all restarts; seed: the job's) */
      options: KMeansOptions;
      /** which restarts this worker runs (see shareRestarts) */
      restarts: RestartShare;
      /** this worker's place among the job's shares */
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
      /**
       * Threads the map may use: 2 computes each step's attraction on a helper thread while this one computes the
       * repulsion (same map, see analysis/tsne-attraction.ts), where memory can be shared; 1 keeps it on one.
       */
      threads: number;
    }
  /** an exact PCA map: the n rows projected on their two leading principal components */
  | { type: 'pca'; jobId: number; data: Float32Array; n: number; d: number; labels: Uint8Array }
  /** a UMAP map of the n rows (n × d row-major), live like t-SNE's */
  | { type: 'umap'; jobId: number; data: Float32Array; n: number; d: number; labels: Uint8Array; options: UmapMapOptions }
  | { type: 'cancel'; jobId: number };

/**
 * Engine worker → its latents helper thread (see models/latent-helper): load an encoder plan, encode batches
 * of images with it, release it.
 */
export type LatentHelperRequest =
  | { type: 'load'; plan: EncoderPlan }
  | { type: 'encode'; id: number; images: Float32Array; count: number }
  | { type: 'release' };

/**
 * Latents helper → engine worker: the codes of one `encode` (count × codeSize), or why there are none; either way
 * the batch's image buffer comes back, for the next batch (allocating 6 MB a batch made the engine collect garbage).
 */
export type LatentHelperEvent =
  | { type: 'codes'; id: number; codes: Float32Array; images: Float32Array }
  | { type: 'failed'; id: number; message: string; images: Float32Array | null };

/** Analysis worker → its t-SNE helper thread: serve the attraction of one run from this shared memory until it ends. */
export interface AttractionHelperRequest {
  type: 'serveAttraction';
  memory: SharedAttractionMemory;
}

/**
 * The message that starts the weight-gradient helper thread (models/gradient-split): tfjs-backend-wasm's shared
 * memory, the control block, and the kernel variant the training thread computes with.
 */
export interface GradientHelperRequest {
  type: 'serveGradients';
  memory: WebAssembly.Memory;
  control: Int32Array;
  variant: WeightGradientVariant;
}

/** The t-SNE settings a person can change (the rest are scikit-learn's defaults); defined with their limits in config/tsne-options. */
export type { MapOptions };

/** The UMAP settings a person can change (the rest are umap-learn's defaults); defined with their limits in config/umap-options. */
export type { UmapMapOptions };

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
  /** index of the kept restart among all nInit */
  bestInit: number;
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
  /** a share of a KMeans job finished its restarts: its best (null when the other workers claimed them all) */
  | { type: 'kmeansDone'; jobId: number; part: number; summary: KMeansSummary | null; completedInits: number }
  /** a share of a KMeans job stopped by `cancel` after `completedInits` of its restarts (the client reports the job as one) */
  | { type: 'kmeansCancelled'; jobId: number; part: number; completedInits: number }
  | { type: 'tsneProgress'; jobId: number; progress: TsneProgress }
  /** the map so far, n × 2 row-major */
  | { type: 'tsneFrame'; jobId: number; iteration: number; embedding: Float32Array }
  /** threads: how many computed the map (2 when the helper thread took the attraction, else 1) */
  | { type: 'tsneDone'; jobId: number; embedding: Float32Array; iterations: number; stopped: boolean; seconds: number; quality: MapQuality | null; threads: number }
  /** a PCA map: n × 2, each component's share of the variance, and its quality (no KL: PCA optimises none) */
  | { type: 'pcaDone'; jobId: number; embedding: Float32Array; explained: [number, number]; seconds: number; quality: MapQuality }
  /** UMAP's phase, epochs done and the run's epochs */
  | { type: 'umapProgress'; jobId: number; progress: UmapProgress }
  /** the UMAP map so far (n × 2 row-major) after `epoch` epochs */
  | { type: 'umapFrame'; jobId: number; epoch: number; embedding: Float32Array }
  /** a finished (or stopped) UMAP map and its quality (no KL: UMAP optimises a cross-entropy, not t-SNE's KL); null when stopped */
  | { type: 'umapDone'; jobId: number; embedding: Float32Array; epochs: number; stopped: boolean; seconds: number; quality: MapQuality | null }
  | { type: 'jobEnded'; jobId: number; outcome: 'cancelled' | 'failed'; message: string };

/**
 * Analysis events as the page sees them: the analysis client spreads a KMeans job's restarts over its
 * workers and reports the job as one (combined progress, the best share's result, or one cancellation that
 * counts the restarts all shares finished).
 */
export type AnalysisJobEvent =
  | { type: 'kmeansProgress'; jobId: number; progress: KMeansProgress }
  | { type: 'kmeansDone'; jobId: number; summary: KMeansSummary }
  | Extract<AnalysisEvent, { type: 'tsneProgress' | 'tsneFrame' | 'tsneDone' | 'pcaDone' | 'umapProgress' | 'umapFrame' | 'umapDone' | 'jobEnded' }>;

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

/**
 * Minimum milliseconds of training between two checkpoints of a run (its record and weights saved at an
 * epoch's end). Saving the dense model with its Adam state writes ~9 MB, so more often would start to cost
 * training time.
 */
export const CHECKPOINT_INTERVAL_MS = 10_000;

/**
 * Milliseconds since the last checkpoint after which one is saved inside an epoch, at the next batch: only
 * epochs longer than this (a big data set on a slow backend) are saved inside, and a reload or a closed tab
 * loses at most about this much training.
 */
export const MID_EPOCH_CHECKPOINT_MS = 20_000;

/** Buffers inside an event that can be transferred instead of copied. */
export function transferablesOf(event: EngineEvent): Transferable[] {
  switch (event.type) {
    case 'dataReady':
      return [event.previewImages.buffer, event.previewLabels.buffer, event.sampleImages.buffer, event.sampleLabels.buffer];
    case 'trainProgress':
      return event.reconstructions ? [event.batchLosses.buffer, event.reconstructions.buffer] : [event.batchLosses.buffer];
    case 'trainEnd':
      return event.run?.reconstructions ? [event.run.reconstructions.buffer] : [];
    case 'runsLoaded':
      return event.runs.flatMap((run) => (run.reconstructions ? [run.reconstructions.buffer] : []));
    case 'epochEnd':
      return [event.reconstructions.buffer];
    case 'latentsReady':
      return [event.latents.buffer, event.labels.buffer];
    case 'decoded':
    case 'images':
      return [event.images.buffer];
    case 'meanImages':
      return [event.image.buffer, event.reconstruction.buffer];
    case 'activations':
      return event.layers.map((layer) => layer.values.buffer);
    case 'encoded':
      return [event.codes.buffer, event.reconstructions.buffer, event.mse.buffer];
    case 'imageBytes':
      return [event.pixels.buffer];
    case 'gallery':
      return [event.indices.buffer, event.labels.buffer, event.originals.buffer, ...event.rows.flatMap((row) => (row.inputs ? [row.images.buffer, row.mse.buffer, row.inputs.buffer] : [row.images.buffer, row.mse.buffer]))];
    default:
      return [];
  }
}

/** Buffers inside an analysis event that can be transferred. */
export function analysisTransferablesOf(event: AnalysisEvent): Transferable[] {
  switch (event.type) {
    case 'kmeansDone':
      return event.summary === null ? [] : [event.summary.assignments.buffer, event.summary.centroids.buffer, event.summary.contingency.buffer];
    case 'tsneFrame':
    case 'tsneDone':
    case 'pcaDone':
    case 'umapFrame':
    case 'umapDone':
      return [event.embedding.buffer];
    default:
      return [];
  }
}

/** Test digits per comparison gallery. */
export const GALLERY_COUNT = 12;
