/**
 * The page's state and its one reducer: (state, UI action | engine event) → state. Pure, so every
 * transition — including stale events from an earlier run — is unit-tested in Node.
 */
import { clampSettings, DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../config/defaults';
import type { ArchId, LayerRow } from '../models/arch-spec';
import type { KMeansOptions } from '../analysis/kmeans';
import { MNIST_INITIAL_JOB_ID, type AnalysisEvent, type BackendReport, type EngineEvent, type EpochRecord, type GallerySelection, type MapOptions, type Split, type StoredModel } from '../worker/protocol';
import { splitRestarts, bestShare } from '../analysis/kmeans-parts';
import { INITIAL_LATENT_SPACE, KMEANS_WORKERS, MEMBERS_PER_CLUSTER, combineProgress, pickMembers, spreadIndices, type LatentSpaceState, type MapJob } from './latent-state';

/**
 * The data set. An MNIST download is a job (`jobId`): once it is cancelled or replaced, its late progress
 * and failure events are dropped.
 */
export type DataStatus =
  | { kind: 'loading'; jobId: number; loadedBytes: number; totalBytes: number }
  | { kind: 'ready'; name: string; trainCount: number; testCount: number; millis: number; fromCache: boolean }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancelled'; jobId: number };

export type RunStatus = 'queued' | 'running' | 'stopping' | 'completed' | 'stopped' | 'diverged' | 'failed';

/** One training run as the page sees it. */
export interface RunState {
  runId: number;
  arch: ArchId;
  epochs: number;
  trainSize: number;
  learningRate: number;
  seed: number;
  status: RunStatus;
  batchesPerEpoch: number;
  /** 0-based epoch in progress and batches done in it */
  epoch: number;
  batch: number;
  initialTestMse: number | null;
  /** every batch loss so far, in order */
  batchLosses: number[];
  history: EpochRecord[];
  /** latest reconstructions of the preview digits (PREVIEW_COUNT × 784) */
  reconstructions: Float32Array | null;
  message: string | null;
  /** test MSE and dead latent units of the weights as the run left them */
  final: { testMse: number; deadUnits: number } | null;
  /** backend the run trained on */
  backend: string;
  /** wall-clock seconds from start to end */
  startedAt: number;
}

export interface AppState {
  backend: BackendReport | null;
  data: DataStatus;
  preview: { images: Float32Array; labels: Uint8Array } | null;
  settings: TrainSettings;
  summaries: Partial<Record<ArchId, { layers: LayerRow[]; totalParams: number }>>;
  /** every run this session, oldest first; several can be queued, one trains at a time */
  runs: RunState[];
  /** the id the next run will get; ids only grow, so an older run's events are recognisable */
  nextRunId: number;
  /** an engine-level problem (worker crash, backend failure) */
  error: string | null;
  /** the engine worker crashed: the page offers a restart (trained models come back from IndexedDB) */
  engineCrashed: boolean;
  /** models the engine holds, with how far they were trained */
  trained: Partial<Record<ArchId, { epochs: number; testMse: number | null }>>;
  space: LatentSpaceState;
  /** the comparison gallery: the same test digits through every trained model */
  gallery: GalleryState | null;
  /** architectures the comparison hides (toggled off) */
  hiddenArchs: ArchId[];
  /** a problem that lost nothing (storage full or blocked, a saved model dropped) */
  notice: string | null;
  /** a model being exported to or imported from a file */
  fileJob: FileJob | null;
  /** a person's own data set being read */
  datasetJob: { jobId: number; files: File[]; status: 'running' | 'done' | 'failed'; message: string | null } | null;
  /** id of the next latent/KMeans/decode/images job; only grows */
  nextJobId: number;
}

export interface GalleryState {
  jobId: number;
  selection: GallerySelection;
  status: 'running' | 'done' | 'failed';
  result: Extract<EngineEvent, { type: 'gallery' }> | null;
  message: string | null;
}

export type FileJob =
  | { kind: 'export'; jobId: number; arch: ArchId; status: 'running' | 'done' | 'failed'; message: string | null }
  | { kind: 'import'; jobId: number; file: Blob; status: 'running' | 'done' | 'failed'; message: string | null };

export const INITIAL_STATE: AppState = {
  backend: null,
  data: { kind: 'loading', jobId: MNIST_INITIAL_JOB_ID, loadedBytes: 0, totalBytes: 0 },
  preview: null,
  settings: DEFAULT_TRAIN_SETTINGS,
  summaries: {},
  runs: [],
  nextRunId: 1,
  error: null,
  engineCrashed: false,
  trained: {},
  space: INITIAL_LATENT_SPACE,
  gallery: null,
  hiddenArchs: [],
  notice: null,
  fileJob: null,
  datasetJob: null,
  nextJobId: 1,
};

/** What the UI can do. */
export type UiAction =
  | { type: 'settingsChanged'; settings: Partial<TrainSettings> }
  /** queue the chosen architecture, or each of `archs` */
  | { type: 'trainRequested'; archs?: ArchId[] }
  | { type: 'stopRequested'; runId: number }
  | { type: 'latentsRequested'; arch: ArchId; split: Split }
  | { type: 'kmeansRequested'; options: KMeansOptions }
  | { type: 'cancelRequested'; job: 'latent' | 'kmeans' | 'map' }
  | { type: 'mapRequested'; n: number; options: MapOptions; thumbnails: number }
  | { type: 'mapHovered'; index: number }
  | { type: 'mapClicked'; index: number }
  | { type: 'inspectRequested'; index: number }
  | { type: 'galleryRequested'; selection: GallerySelection }
  | { type: 'archToggled'; arch: ArchId }
  | { type: 'exportRequested'; arch: ArchId }
  | { type: 'importRequested'; file: Blob }
  | { type: 'noticeDismissed' }
  | { type: 'datasetChosen'; files: File[] }
  /** stop the MNIST download in progress */
  | { type: 'mnistCancelRequested' }
  /** download MNIST again after a cancel or a failure */
  | { type: 'mnistRequested' }
  | { type: 'engine'; event: EngineEvent }
  | { type: 'analysis'; event: AnalysisEvent }
  /** a worker threw an error nothing caught: the engine is then not to be trusted; an analysis worker is replaced */
  | { type: 'workerCrashed'; worker: 'engine' | 'analysis'; message: string };

/** True while MNIST download `jobId` is the one the page waits for. */
function isLoading(state: AppState, jobId: number): boolean {
  return state.data.kind === 'loading' && state.data.jobId === jobId;
}

/** True while a run is queued or training. */
export function isActive(run: RunState): boolean {
  return run.status === 'queued' || run.status === 'running' || run.status === 'stopping';
}

/** True while any run is queued or training. */
export function isTraining(state: AppState): boolean {
  return state.runs.some(isActive);
}

/** The run training now, else the next queued one, else the latest. */
export function focusRun(state: AppState): RunState | null {
  return state.runs.find((r) => r.status === 'running' || r.status === 'stopping') ?? state.runs.find((r) => r.status === 'queued') ?? state.runs.at(-1) ?? null;
}

/** The latest run of each architecture. */
export function latestRuns(state: AppState): RunState[] {
  const latest = new Map<ArchId, RunState>();
  for (const run of state.runs) latest.set(run.arch, run);
  return [...latest.values()];
}

export function reduce(state: AppState, action: UiAction): AppState {
  switch (action.type) {
    case 'settingsChanged':
      return { ...state, settings: { ...state.settings, ...action.settings } };
    case 'trainRequested': {
      if (state.data.kind !== 'ready') return state;
      const settings = clampSettings(state.settings, state.data.trainCount);
      const busy = new Set(state.runs.filter(isActive).map((r) => r.arch));
      const archs = (action.archs ?? [settings.arch]).filter((arch) => !busy.has(arch));
      if (archs.length === 0) return state;
      const backend = state.backend?.name ?? 'unknown';
      const added = archs.map((arch, i): RunState => ({
        runId: state.nextRunId + i,
        arch,
        epochs: settings.epochs,
        trainSize: settings.trainSize,
        learningRate: settings.learningRate,
        seed: settings.seed,
        status: 'queued',
        batchesPerEpoch: Math.ceil(settings.trainSize / 256),
        epoch: 0,
        batch: 0,
        initialTestMse: null,
        batchLosses: [],
        history: [],
        reconstructions: null,
        message: null,
        final: null,
        backend,
        startedAt: 0,
      }));
      return { ...state, settings, runs: [...state.runs, ...added], nextRunId: state.nextRunId + archs.length };
    }
    case 'stopRequested':
      return updateRun(state, action.runId, (run) => (isActive(run) && run.status !== 'stopping' ? { ...run, status: 'stopping' } : run));
    case 'latentsRequested': {
      const busy = state.space.latent?.status === 'running' || state.space.latent?.status === 'cancelling';
      if (busy || !state.trained[action.arch] || isTrainingArch(state, action.arch)) return state;
      const latent = {
        jobId: state.nextJobId,
        arch: action.arch,
        split: action.split,
        status: 'running' as const,
        done: 0,
        total: 0,
        latents: null,
        labels: null,
        count: 0,
        seconds: 0,
        message: null,
      };
      // New latents invalidate the clustering and the inspected digit, which belong to the old ones.
      return { ...state, nextJobId: state.nextJobId + 1, space: { ...INITIAL_LATENT_SPACE, latent } };
    }
    case 'kmeansRequested': {
      const latent = state.space.latent;
      const running = state.space.kmeans?.status === 'running' || state.space.kmeans?.status === 'cancelling';
      if (!latent || latent.status !== 'done' || running) return state;
      const id = state.nextJobId;
      const kmeans = {
        jobId: id,
        latentJobId: latent.jobId,
        options: action.options,
        status: 'running' as const,
        shares: splitRestarts(action.options, KMEANS_WORKERS),
        shareProgress: [],
        shareResults: [],
        progress: null,
        summary: null,
        message: null,
        centresJobId: id + 1,
        centres: null,
        membersJobId: id + 2,
        memberIndices: null,
        members: null,
      };
      return { ...state, nextJobId: id + 3, space: { ...state.space, kmeans } };
    }
    case 'cancelRequested': {
      const job = state.space[action.job];
      if (!job || job.status !== 'running') return state;
      return { ...state, space: { ...state.space, [action.job]: { ...job, status: 'cancelling' } } };
    }
    case 'inspectRequested': {
      const latent = state.space.latent;
      if (!latent || latent.status !== 'done' || !Number.isInteger(action.index) || action.index < 0 || action.index >= latent.count) return state;
      return { ...state, nextJobId: state.nextJobId + 1, space: { ...state.space, inspect: { index: action.index, jobId: state.nextJobId, image: null } } };
    }
    case 'galleryRequested': {
      if (state.gallery?.status === 'running' || Object.keys(state.trained).length === 0) return state;
      const gallery: GalleryState = { jobId: state.nextJobId, selection: action.selection, status: 'running', result: state.gallery?.result ?? null, message: null };
      return { ...state, gallery, nextJobId: state.nextJobId + 1 };
    }
    case 'archToggled': {
      const hidden = state.hiddenArchs.includes(action.arch);
      return { ...state, hiddenArchs: hidden ? state.hiddenArchs.filter((a) => a !== action.arch) : [...state.hiddenArchs, action.arch] };
    }
    case 'mapRequested': {
      const latent = state.space.latent;
      const running = state.space.map?.status === 'running' || state.space.map?.status === 'cancelling';
      if (!latent || latent.status !== 'done' || running) return state;
      const n = Math.max(3, Math.min(Math.floor(action.n), latent.count));
      const map: MapJob = {
        jobId: state.nextJobId,
        n,
        options: action.options,
        status: 'running',
        progress: null,
        iteration: 0,
        embedding: null,
        seconds: 0,
        quality: null,
        message: null,
        thumbsJobId: state.nextJobId + 1,
        thumbIndices: spreadIndices(n, Math.max(0, Math.floor(action.thumbnails))),
        thumbs: null,
      };
      return { ...state, nextJobId: state.nextJobId + 2, space: { ...state.space, map, hover: null, walk: null } };
    }
    case 'mapHovered': {
      const map = state.space.map;
      if (!map || action.index < 0 || action.index >= map.n || state.space.hover?.index === action.index) return state;
      const hover = { index: action.index, imageJobId: state.nextJobId, image: null, reconJobId: state.nextJobId + 1, recon: null };
      return { ...state, nextJobId: state.nextJobId + 2, space: { ...state.space, hover } };
    }
    case 'mapClicked': {
      const map = state.space.map;
      if (!map || action.index < 0 || action.index >= map.n) return state;
      const walk = state.space.walk;
      const next =
        walk && walk.b === null && walk.a !== action.index
          ? { ...walk, b: action.index, jobId: state.nextJobId }
          : { a: action.index, b: null, jobId: state.nextJobId, images: null };
      return { ...state, nextJobId: state.nextJobId + 1, space: { ...state.space, walk: next } };
    }
    case 'exportRequested':
    case 'importRequested': {
      if (state.fileJob?.status === 'running') return state;
      const jobId = state.nextJobId;
      const fileJob: FileJob =
        action.type === 'exportRequested'
          ? { kind: 'export', jobId, arch: action.arch, status: 'running', message: null }
          : { kind: 'import', jobId, file: action.file, status: 'running', message: null };
      return { ...state, fileJob, nextJobId: jobId + 1 };
    }
    case 'noticeDismissed':
      return { ...state, notice: null };
    case 'workerCrashed':
      return action.worker === 'engine' ? engineFailed(state, `The training engine crashed: ${action.message}`, true) : analysisCrashed(state, action.message);
    case 'mnistCancelRequested':
      // Shown at once; the worker confirms with dataCancelled, and this download's later events are dropped.
      return state.data.kind === 'loading' ? { ...state, data: { kind: 'cancelled', jobId: state.data.jobId } } : state;
    case 'mnistRequested':
      if ((state.data.kind !== 'cancelled' && state.data.kind !== 'error') || state.datasetJob?.status === 'running') return state;
      return { ...state, data: { kind: 'loading', jobId: state.nextJobId, loadedBytes: 0, totalBytes: 0 }, nextJobId: state.nextJobId + 1 };
    case 'datasetChosen':
      if (state.datasetJob?.status === 'running' || state.data.kind === 'loading') return state;
      return { ...state, datasetJob: { jobId: state.nextJobId, files: action.files, status: 'running', message: null }, nextJobId: state.nextJobId + 1 };
    case 'engine':
      return reduceEvent(state, action.event);
    case 'analysis':
      return reduceAnalysisEvent(state, action.event);
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

function isTrainingArch(state: AppState, arch: ArchId): boolean {
  return state.runs.some((run) => run.arch === arch && (run.status === 'running' || run.status === 'stopping'));
}

function updateRun(state: AppState, runId: number, update: (run: RunState) => RunState): AppState {
  return { ...state, runs: state.runs.map((run) => (run.runId === runId ? update(run) : run)) };
}

function reduceAnalysisEvent(state: AppState, event: AnalysisEvent): AppState {
  const map = state.space.map;
  if (map && map.jobId === event.jobId) {
    const withMap = (next: MapJob): AppState => ({ ...state, space: { ...state.space, map: next } });
    switch (event.type) {
      case 'tsneProgress':
        return withMap({ ...map, progress: event.progress, iteration: event.progress.iteration });
      case 'tsneFrame':
        return withMap({ ...map, embedding: event.embedding, iteration: event.iteration });
      case 'tsneDone':
        return withMap({
          ...map,
          status: event.stopped ? 'cancelled' : 'done',
          embedding: event.embedding,
          iteration: event.iterations,
          seconds: event.seconds,
          quality: event.quality,
          message: event.stopped ? `Stopped after ${event.iterations} iterations; the map so far stays.` : null,
        });
      case 'jobEnded':
        return withMap({ ...map, status: event.outcome, message: event.message });
      default:
        return state;
    }
  }
  const kmeans = state.space.kmeans;
  if (!kmeans || kmeans.jobId !== event.jobId) return state;
  switch (event.type) {
    case 'kmeansProgress': {
      const shareProgress = kmeans.shares.map((_, i) => (i === event.part ? event.progress : (kmeans.shareProgress[i] ?? null)));
      return withKMeans(state, { ...kmeans, shareProgress, progress: combineProgress(shareProgress, kmeans.options.nInit) });
    }
    case 'tsneProgress':
    case 'tsneFrame':
    case 'tsneDone':
      return state;
    case 'kmeansDone': {
      const shareResults = kmeans.shares.map((_, i) => (i === event.part ? event.summary : (kmeans.shareResults[i] ?? null)));
      const finished = shareResults.filter((r): r is NonNullable<typeof r> => r !== null);
      if (finished.length < kmeans.shares.length) return withKMeans(state, { ...kmeans, shareResults });
      const summary = bestShare(finished);
      const memberIndices = pickMembers(summary.assignments, summary.k, MEMBERS_PER_CLUSTER);
      return withKMeans(state, { ...kmeans, shareResults, status: 'done', summary, memberIndices });
    }
    case 'jobEnded':
      return withKMeans(state, { ...kmeans, status: event.outcome, message: event.message });
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The engine cannot go on: active runs fail with the message; `crashed` offers a restart in the UI. */
function engineFailed(state: AppState, message: string, crashed: boolean): AppState {
  return {
    ...state,
    error: message,
    engineCrashed: state.engineCrashed || crashed,
    runs: state.runs.map((run) => (isActive(run) ? { ...run, status: 'failed', message } : run)),
  };
}

/** The page replaced the crashed analysis worker; what it was computing failed, everything finished stays. */
function analysisCrashed(state: AppState, message: string): AppState {
  const { kmeans, map } = state.space;
  const failed = `The analysis worker crashed (${message}) and was restarted; run it again.`;
  const busy = (status: string) => status === 'running' || status === 'cancelling';
  return {
    ...state,
    notice: failed,
    space: {
      ...state.space,
      kmeans: kmeans && busy(kmeans.status) ? { ...kmeans, status: 'failed', message: failed } : kmeans,
      map: map && busy(map.status) ? { ...map, status: 'failed', message: failed } : map,
    },
  };
}

function withKMeans(state: AppState, kmeans: LatentSpaceState['kmeans']): AppState {
  return { ...state, space: { ...state.space, kmeans } };
}

/** Engine events that answer a latent-space job. */
type JobEvent = Extract<EngineEvent, { type: 'latentsProgress' | 'latentsReady' | 'decoded' | 'images' | 'gallery' | 'jobEnded' }>;

function finishFileJob(state: AppState, jobId: number | null, status: 'done' | 'failed', message: string | null): AppState {
  const job = state.fileJob;
  if (!job || job.jobId !== jobId) return state;
  return { ...state, fileJob: { ...job, status, message } };
}

/** Models restored or imported arrive as finished runs, so every view treats them like trained ones. */
function addStoredModels(state: AppState, models: StoredModel[]): AppState {
  const added = models.map(({ record, final }, i): RunState => ({
    runId: state.nextRunId + i,
    arch: record.arch,
    epochs: record.epochs,
    trainSize: record.trainSize,
    learningRate: 1e-3,
    seed: record.seed ?? 0,
    status: 'completed',
    // Stored batch losses may be thinned: spread them evenly over the epochs.
    batchesPerEpoch: Math.max(1, Math.round((record.batchLosses?.length ?? 0) / Math.max(1, record.epochs))),
    epoch: record.epochs,
    batch: 0,
    initialTestMse: record.initialTestMse,
    batchLosses: record.batchLosses ?? [],
    history: record.history,
    reconstructions: null,
    message: `Loaded: trained ${record.epochs} epochs on ${record.trainSize.toLocaleString('en')} images (${record.backend}), saved ${record.savedAt.slice(0, 16).replace('T', ' ')}.`,
    final,
    backend: record.backend,
    startedAt: 0,
  }));
  const trained = { ...state.trained };
  for (const { record, final } of models) trained[record.arch] = { epochs: record.epochs, testMse: final.testMse };
  return { ...state, runs: [...state.runs, ...added], nextRunId: state.nextRunId + added.length, trained };
}

function reduceJobEvent(state: AppState, event: JobEvent): AppState {
  if (event.type === 'jobEnded' && state.fileJob?.jobId === event.jobId) return finishFileJob(state, event.jobId, 'failed', event.message);
  if (event.type === 'jobEnded' && state.datasetJob?.jobId === event.jobId) {
    return { ...state, datasetJob: { ...state.datasetJob, status: 'failed', message: event.message } };
  }
  const { gallery } = state;
  if (gallery && gallery.jobId === event.jobId) {
    if (event.type === 'gallery') return { ...state, gallery: { ...gallery, status: 'done', result: event } };
    if (event.type === 'jobEnded') return { ...state, gallery: { ...gallery, status: 'failed', message: event.message } };
    return state;
  }
  const { latent, kmeans, inspect } = state.space;
  if (latent && latent.jobId === event.jobId) {
    switch (event.type) {
      case 'latentsProgress':
        return { ...state, space: { ...state.space, latent: { ...latent, done: event.done, total: event.total } } };
      case 'latentsReady':
        return {
          ...state,
          space: {
            ...state.space,
            latent: { ...latent, status: 'done', latents: event.latents, labels: event.labels, count: event.count, seconds: event.seconds, done: event.count, total: event.count },
          },
        };
      case 'jobEnded':
        return { ...state, space: { ...state.space, latent: { ...latent, status: event.outcome, message: event.message } } };
      default:
        return state;
    }
  }
  if (kmeans && event.type === 'decoded' && kmeans.centresJobId === event.jobId) return withKMeans(state, { ...kmeans, centres: event.images });
  if (kmeans && event.type === 'images' && kmeans.membersJobId === event.jobId) return withKMeans(state, { ...kmeans, members: event.images });
  const { map, hover, walk } = state.space;
  const withSpace = (patch: Partial<LatentSpaceState>): AppState => ({ ...state, space: { ...state.space, ...patch } });
  if (map && event.type === 'images' && map.thumbsJobId === event.jobId) return withSpace({ map: { ...map, thumbs: event.images } });
  if (hover && event.type === 'images' && hover.imageJobId === event.jobId) return withSpace({ hover: { ...hover, image: event.images } });
  if (hover && event.type === 'decoded' && hover.reconJobId === event.jobId) return withSpace({ hover: { ...hover, recon: event.images } });
  if (walk && event.type === 'decoded' && walk.jobId === event.jobId) return withSpace({ walk: { ...walk, images: event.images } });
  if (inspect && event.type === 'images' && inspect.jobId === event.jobId) {
    return { ...state, space: { ...state.space, inspect: { ...inspect, image: event.images } } };
  }
  if (event.type === 'jobEnded') return { ...state, space: { ...state.space, message: event.message } };
  return state;
}

function reduceEvent(state: AppState, event: EngineEvent): AppState {
  switch (event.type) {
    case 'backend':
      return { ...state, backend: event.backend };
    case 'dataProgress':
      return isLoading(state, event.jobId) ? { ...state, data: { kind: 'loading', jobId: event.jobId, loadedBytes: event.loadedBytes, totalBytes: event.totalBytes } } : state;
    case 'dataReady':
      return {
        ...state,
        // Accepted even after a cancel: the download finished first, and the engine now holds this data.
        data: { kind: 'ready', name: event.name, trainCount: event.trainCount, testCount: event.testCount, millis: event.millis, fromCache: event.fromCache ?? false },
        // Latents, clusters, maps and galleries describe the previous images; trained models stay.
        space: state.data.kind === 'ready' ? INITIAL_LATENT_SPACE : state.space,
        gallery: state.data.kind === 'ready' ? null : state.gallery,
        datasetJob: state.datasetJob ? { ...state.datasetJob, status: 'done' } : null,
        preview: { images: event.previewImages, labels: event.previewLabels },
        settings: clampSettings(state.settings, event.trainCount),
      };
    case 'dataError':
      return isLoading(state, event.jobId) ? { ...state, data: { kind: 'error', code: event.code, message: event.message } } : state;
    case 'dataCancelled':
      // Usually already shown (the page marks a cancel at once); this covers a cancel the page did not ask for.
      return isLoading(state, event.jobId) ? { ...state, data: { kind: 'cancelled', jobId: event.jobId } } : state;
    case 'summary':
      return { ...state, summaries: { ...state.summaries, [event.arch]: { layers: event.layers, totalParams: event.totalParams } } };
    case 'error':
      return engineFailed(state, event.message, false);
    case 'storageNotice':
      return { ...state, notice: event.message };
    case 'modelsLoaded':
      return finishFileJob(addStoredModels(state, event.models), event.jobId, 'done', null);
    case 'modelFile':
      return finishFileJob(state, event.jobId, 'done', null);
    case 'latentsProgress':
    case 'latentsReady':
    case 'decoded':
    case 'images':
    case 'gallery':
    case 'jobEnded':
      return reduceJobEvent(state, event);
    case 'trainStarted':
    case 'trainProgress':
    case 'epochEnd':
    case 'trainNotice':
    case 'trainEnd': {
      // Events of a run the page no longer tracks are dropped; each run only ever takes its own events.
      const run = state.runs.find((r) => r.runId === event.runId);
      if (!run) return state;
      const next = reduceRunEvent(run, event);
      const space = event.type === 'trainStarted' && state.space.latent?.arch === run.arch ? INITIAL_LATENT_SPACE : state.space;
      return { ...updateRun(state, run.runId, () => next), trained: updateTrained(state.trained, next, event), space };
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** The engine replaces an architecture's model when a run starts and keeps it after any batch trained. */
function updateTrained(trained: AppState['trained'], run: RunState, event: RunEvent): AppState['trained'] {
  if (event.type === 'trainStarted') {
    const { [run.arch]: _replaced, ...others } = trained;
    return others;
  }
  if (event.type === 'trainEnd' && event.final) {
    return { ...trained, [run.arch]: { epochs: event.epochsCompleted, testMse: event.final.testMse } };
  }
  return trained;
}

type RunEvent = Extract<EngineEvent, { type: 'trainStarted' | 'trainProgress' | 'epochEnd' | 'trainNotice' | 'trainEnd' }>;

function reduceRunEvent(run: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'trainStarted':
      return {
        ...run,
        status: run.status === 'stopping' ? 'stopping' : 'running',
        startedAt: Date.now(),
        trainSize: event.trainSize,
        batchesPerEpoch: event.batchesPerEpoch,
        initialTestMse: event.initialTestMse,
      };
    case 'trainProgress':
      return {
        ...run,
        epoch: event.epoch,
        batch: event.batch,
        batchLosses: run.batchLosses.concat(Array.from(event.batchLosses)),
        reconstructions: event.reconstructions ?? run.reconstructions,
      };
    case 'epochEnd':
      return {
        ...run,
        history: [...run.history, event.record],
        reconstructions: event.reconstructions,
        epoch: event.record.epoch,
        batch: 0,
      };
    case 'trainNotice':
      // The interrupted epoch starts over: its batch losses so far are dropped with it.
      return {
        ...run,
        message: event.message,
        epoch: event.epochsCompleted,
        batch: 0,
        batchLosses: run.batchLosses.slice(0, event.epochsCompleted * run.batchesPerEpoch),
      };
    case 'trainEnd':
      return { ...run, status: event.outcome, message: event.message ?? run.message, final: event.final ?? null };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Fraction of the run done, 0–1, for the progress bar. */
export function runProgress(run: RunState): number {
  const total = run.epochs * run.batchesPerEpoch;
  if (total === 0) return 0;
  const done = run.history.length === run.epochs ? total : Math.min(run.epoch * run.batchesPerEpoch + run.batch, total);
  return done / total;
}
