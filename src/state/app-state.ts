/**
 * The page's state and its one transition function: (state, UI action | worker event) → (state, commands).
 * Pure, so every flow — train, stop, continue, diverge, reload, data change, stale events of an older job —
 * is unit-tested in Node with the commands it sends. The state is split into slices (data, runs, latent
 * space, files); jobs are found through one registry (`jobs`: job id → which part of the state owns it).
 */
import type { KMeansOptions } from '../analysis/kmeans';
import { DEFAULT_TRAIN_SETTINGS, isLatentSize, type LatentSize, type TrainErrors, type TrainSettings } from '../config/train-options';
import type { ArchId, LayerRow } from '../models/arch-spec';
import {
  GALLERY_COUNT,
  MNIST_INITIAL_JOB_ID,
  type AnalysisJobEvent,
  type BackendReport,
  type DatasetInfo,
  type EngineEvent,
  type GallerySelection,
  type MapOptions,
  type RunId,
  type Split,
} from '../worker/protocol';
import { engine, just, withCommands, type Command, type Transition } from './commands';

import { isInsideOwner, reduceInsideAction, reduceInsideJobEvent, type InsideAction, type InsideOwner, type InsideResult, type InsideState } from './inside';
import { INITIAL_DRAWING, drawingChanged, drawRunToggled, reconcileDrawing, reduceDrawingJobEvent, type DrawingOwner, type DrawingState } from './drawing';
import { applyPending, initialMapView, syncUrl, type MapViewState } from './map-view';
import { reduceLatentAction, reduceLatentAnalysis, reduceLatentJobEvent, type LatentAction, type LatentOwner } from './latent-space';
import { INITIAL_LATENT_SPACE, type LatentSpaceState } from './latent-state';
import {
  addViews,
  outdatedRunIds,
  continueRun,
  deleteExpired,
  deleteRun,
  initialRuns,
  isActive,
  reduceRunEvent,
  renameRun,
  renamedByEngine,
  removedByEngine,
  startRuns,
  stopRun,
  undoDelete,
  type RunsState,
  type RunState,
} from './runs';

export type { RunState, RunStatus } from './runs';
export { isActive, positionText, runProgress } from './runs';

/**
 * The data set. An MNIST download is a job (`jobId`): once it is cancelled or replaced, its late progress
 * and failure events are dropped.
 */
export type DataStatus =
  | { kind: 'loading'; jobId: number; loadedBytes: number; totalBytes: number }
  | { kind: 'ready'; dataset: DatasetInfo; millis: number; fromCache: boolean }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'cancelled'; jobId: number };

export interface GalleryState {
  jobId: number;
  selection: GallerySelection;
  status: 'running' | 'done' | 'failed';
  result: Extract<EngineEvent, { type: 'gallery' }> | null;
  message: string | null;
}

export type FileJob =
  | { kind: 'export'; jobId: number; runId: RunId; status: 'running' | 'done' | 'failed'; message: string | null }
  | { kind: 'import'; jobId: number; fileName: string; status: 'running' | 'done' | 'failed'; message: string | null };

/** Which part of the state a job id belongs to. */
export type JobOwner = LatentOwner | InsideOwner | DrawingOwner | 'gallery' | 'file' | 'dataset' | 'mnist';

/** The form's values as typed (NaN for an empty number field); checked by `validateTrainSettings`. */
export type TrainDraft = { [K in keyof TrainSettings]: TrainSettings[K] };

export interface AppState {
  backend: BackendReport | null;
  data: DataStatus;
  preview: { images: Float32Array; labels: Uint8Array } | null;
  /** the first training digits, for the data panel */
  sample: { images: Float32Array; labels: Uint8Array } | null;
  /** the form's values; invalid ones are refused at Train with `trainErrors` */
  settings: TrainDraft;
  trainErrors: TrainErrors;
  /** layer summaries by {@link summaryKey} (architecture and code size), asked for as the form needs them */
  summaries: Partial<Record<string, { layers: LayerRow[]; totalParams: number }>>;
  runs: RunsState;
  /** an engine-level problem (worker crash, backend failure) */
  error: string | null;
  /** the engine worker crashed: the page offers a restart (saved runs come back from IndexedDB) */
  engineCrashed: boolean;
  space: LatentSpaceState;
  /** how the map is looked at (colouring, zoom, thumbnails) and the view from the page address still to apply */
  mapView: MapViewState;
  /** one digit of the loaded latents looked into (knobs, activations); dropped when those latents go */
  inside: InsideState | null;
  /** the drawn digit and what each selected run makes of it */
  drawing: DrawingState;
  /** the comparison gallery: the same test digits through every shown run */
  gallery: GalleryState | null;
  /** problems that lost nothing (storage full or blocked, a saved run skipped), newest last */
  notices: string[];
  /** a run being exported to or imported from a file */
  fileJob: FileJob | null;
  /** a person's own data set being read */
  datasetJob: { jobId: number; names: string[]; status: 'running' | 'done' | 'failed'; message: string | null } | null;
  /** job id → owner; ids only grow, so an older job's late events find no current owner and are dropped */
  jobs: Record<number, JobOwner>;
  nextJobId: number;
  /** the page's base URL: MNIST comes from its `data/` folder */
  baseUrl: string;
}

/**
 * The page's first state.
 * @param sessionId makes this page session's run ids unique across reloads
 * @param baseUrl the page's base URL (`document.baseURI`)
 * @param hash the page address's hash: a shared map view (checked; bad values become notices)
 */
export function createInitialState(sessionId: string, baseUrl: string, hash = ''): AppState {
  const { mapView, problems } = initialMapView(hash);
  return {
    backend: null,
    data: { kind: 'loading', jobId: MNIST_INITIAL_JOB_ID, loadedBytes: 0, totalBytes: 0 },
    preview: null,
    sample: null,
    settings: { ...DEFAULT_TRAIN_SETTINGS },
    trainErrors: {},
    summaries: {},
    runs: initialRuns(sessionId),
    error: null,
    engineCrashed: false,
    space: INITIAL_LATENT_SPACE,
    mapView,
    inside: null,
    drawing: INITIAL_DRAWING,
    gallery: null,
    notices: problems,
    fileJob: null,
    datasetJob: null,
    jobs: { [MNIST_INITIAL_JOB_ID]: 'mnist' },
    nextJobId: 1,
    baseUrl,
  };
}

/** What the UI can do. */
export type UiAction =
  | { type: 'settingsChanged'; settings: Partial<TrainDraft> }
  /** new runs: the chosen architecture, or each of `archs` */
  | { type: 'trainRequested'; archs?: ArchId[] }
  | { type: 'continueRequested'; runId: RunId; extraEpochs: number }
  | { type: 'stopRequested'; runId: RunId }
  | { type: 'runSelected'; runId: RunId }
  | { type: 'renameRequested'; runId: RunId; name: string }
  | { type: 'deleteRequested'; runId: RunId }
  | { type: 'undoDeleteRequested'; runId: RunId }
  /** a deleted run's undo window ended */
  | { type: 'deleteExpired'; runId: RunId }
  | { type: 'runToggled'; runId: RunId }
  | { type: 'groupByArchToggled' }
  | { type: 'latentsRequested'; runId: RunId; split: Split }
  | { type: 'kmeansRequested'; options: KMeansOptions }
  | { type: 'cancelRequested'; job: 'latent' | 'kmeans' | 'map' }
  | { type: 'mapRequested'; n: number; options: MapOptions; thumbnails: number }
  | { type: 'mapHovered'; index: number }
  | { type: 'mapClicked'; index: number }
  | { type: 'inspectRequested'; index: number }
  | Extract<
      LatentAction,
      {
        type:
          | 'manifoldRequested'
          | 'planeHovered'
          | 'pcaRequested'
          | 'umapRequested'
          | 'walkStarted'
          | 'walkRequested'
          | 'walkStepsChanged'
          | 'lassoDrawn'
          | 'pointToggled'
          | 'selectionCleared'
          | 'selectionInverted'
          | 'digitSelected'
          | 'pointFocused'
          | 'focusCleared'
          | 'selectionExportRequested'
          | 'codesExportRequested';
      }
    >
  /** a digit of the loaded latents to look inside: image `index` of their split */
  | { type: 'insideDigitChosen'; index: number }
  /** code unit `unit` of the chosen digit set to `value` */
  | { type: 'knobMoved'; unit: number; value: number }
  /** the chosen digit's code back as the encoder made it */
  | { type: 'knobsReset' }
  | { type: 'mapColourChosen'; colour: 'digit' | 'cluster' }
  /** the person zoomed or panned the map (null: back to the fitted view) */
  | { type: 'mapViewMoved'; view: { zoom: number; cx: number; cy: number } | null }
  | { type: 'thumbnailsToggled'; on: boolean }
  | { type: 'galleryRequested'; selection: GallerySelection }
  /** a new drawing, already MNIST-style (784 values), or null when the canvas holds no ink */
  | { type: 'drawingChanged'; image: Float32Array | null }
  /** ticks or unticks a run the drawing goes through */
  | { type: 'drawRunToggled'; runId: RunId }
  | { type: 'exportRequested'; runId: RunId }
  | { type: 'importRequested'; file: File }
  | { type: 'noticeDismissed'; index: number }
  | { type: 'datasetChosen'; files: File[] }
  /** back to the bundled MNIST after a person's own data */
  | { type: 'backToMnistRequested' }
  /** stop the MNIST download in progress */
  | { type: 'mnistCancelRequested' }
  /** download MNIST again after a cancel or a failure */
  | { type: 'mnistRequested' }
  | { type: 'engine'; event: EngineEvent }
  | { type: 'analysis'; event: AnalysisJobEvent }
  /** a worker threw an error nothing caught: the engine is then not to be trusted; an analysis worker is replaced */
  | { type: 'workerCrashed'; worker: 'engine' | 'analysis'; message: string };

/** The data set in place, if any. */
export function currentDataset(state: AppState): DatasetInfo | null {
  return state.data.kind === 'ready' ? state.data.dataset : null;
}

/** Runs shown on the page (a deleted run is hidden during its undo window). */
export function visibleRuns(state: AppState): RunState[] {
  return state.runs.runs.filter((run) => !run.deleting);
}

/** Runs with weights that can be looked into now: ended, kept, not deleted. */
export function finishedRuns(state: AppState): RunState[] {
  return visibleRuns(state).filter((run) => run.kept && !isActive(run));
}

/**
 * The runs a drawing goes through: the ones a person ticked, or by default every finished run trained on
 * the loaded data set. Only finished runs: a training run's weights change under any reader.
 */
export function drawRuns(state: AppState): RunState[] {
  const chosen = state.drawing.chosen;
  const dataset = currentDataset(state);
  return finishedRuns(state).filter((run) => (chosen ? chosen.includes(run.id) : dataset !== null && run.dataset.fingerprint === dataset.fingerprint));
}

/** True while any run is queued or training. */
export function isTraining(state: AppState): boolean {
  return state.runs.runs.some(isActive);
}

/** The run the Train panel shows: the one training, else the selected one, else the latest. */
export function focusRun(state: AppState): RunState | null {
  const runs = visibleRuns(state);
  return (
    runs.find((r) => r.status === 'running' || r.status === 'stopping') ??
    runs.find((r) => r.id === state.runs.selectedRunId) ??
    runs.find((r) => r.status === 'queued') ??
    runs.at(-1) ??
    null
  );
}

/** True when `run` was trained on a data set other than the one in place. */
export function trainedElsewhere(state: AppState, run: RunState): boolean {
  const dataset = currentDataset(state);
  return dataset !== null && run.dataset.fingerprint !== dataset.fingerprint;
}

/** Allocates `count` job ids for `owners`. */
function allocate(state: AppState, ...owners: JobOwner[]): { state: AppState; ids: number[] } {
  const ids = owners.map((_, i) => state.nextJobId + i);
  const jobs = { ...state.jobs };
  owners.forEach((owner, i) => (jobs[ids[i]] = owner));
  return { state: { ...state, jobs, nextJobId: state.nextJobId + owners.length }, ids };
}

/** The latent space names the run its latents are of: a rename of that run shows there too. */
function namedInSpace(space: AppState['space'], runs: RunsState): AppState['space'] {
  const latent = space.latent;
  const name = latent ? runs.runs.find((r) => r.id === latent.runId)?.name : undefined;
  return latent && name !== undefined && name !== latent.runName ? { ...space, latent: { ...latent, runName: name } } : space;
}

function withRuns(state: AppState, transition: Transition<RunsState>): Transition<AppState> {
  return { state: { ...state, runs: transition.state }, commands: transition.commands };
}

/**
 * The transition function: the action's own transition, then the slices kept in step with it. The inside
 * slice belongs to one set of latents: when a transition replaces or drops them (new latents, a deleted run,
 * other data), the digit looked into goes too. The drawing's requests are brought up to date (a run that
 * finished, a changed selection or new latents may each call for one). A view from the address is applied
 * when a map is finished, and the address follows the view.
 */
export function update(state: AppState, action: UiAction): Transition<AppState> {
  const transition = updateSlices(state, action);
  let next = transition.state;
  const commands = [...transition.commands];
  if (next.inside && next.space.latent?.jobId !== next.inside.latentJobId) next = { ...next, inside: null };
  const runs = drawRuns(next).map((run) => ({ id: run.id, weightsKey: `${run.endedAt}|${run.position.epochsCompleted}|${run.position.batch}` }));
  const drawn = reconcileDrawing(next.drawing, runs, next.space.latent, next.nextJobId);
  if (drawn.drawing !== next.drawing || drawn.commands.length > 0) {
    next = { ...next, drawing: drawn.drawing, jobs: { ...next.jobs, ...drawn.jobs }, nextJobId: drawn.nextJobId };
    commands.push(...drawn.commands);
  }
  // A new map starts fitted: a zoom and centre belong to the map they were chosen on.
  if (next.space.map && next.space.map.jobId !== state.space.map?.jobId && next.mapView.view && !next.mapView.pending) next = { ...next, mapView: { ...next.mapView, view: null } };
  // A view from the address is applied once a map is finished: its look, then its selection and focus.
  const pending = next.mapView.pending;
  if (pending && next.space.map?.status === 'done') {
    next = { ...next, mapView: applyPending(next.mapView) };
    for (const restore of [
      pending.selection ? ({ type: 'selectionRestored', rows: pending.selection } as const) : null,
      pending.focus !== null ? ({ type: 'pointFocused', index: pending.focus } as const) : null,
    ]) {
      if (!restore) continue;
      const restored = latentTransition(next, restore);
      next = restored.state;
      commands.push(...restored.commands);
    }
  }
  const url = syncUrl(next.space, next.mapView);
  if (url.mapView !== next.mapView) {
    next = { ...next, mapView: url.mapView };
    commands.push(...url.commands);
  }
  return next === transition.state && commands.length === transition.commands.length ? transition : { state: next, commands };
}

function updateSlices(state: AppState, action: UiAction): Transition<AppState> {
  switch (action.type) {
    case 'settingsChanged': {
      const settings = { ...state.settings, ...action.settings };
      const cleared = { ...state.trainErrors };
      for (const key of Object.keys(action.settings)) delete cleared[key as keyof TrainErrors];
      const next = { ...state, settings, trainErrors: cleared };
      // The Model panel's summary follows the form's architecture and code size: ask for one not yet here.
      const key = summaryKey(settings.arch, settings.latentDim);
      const reshaped = action.settings.arch !== undefined || action.settings.latentDim !== undefined;
      const needed = reshaped && isLatentSize(settings.latentDim) && !(key in state.summaries);
      return needed ? withCommands(next, engine({ type: 'summary', arch: settings.arch, latentDim: settings.latentDim })) : just(next);
    }
    case 'trainRequested': {
      const dataset = currentDataset(state);
      if (!dataset) return just(state);
      const result = startRuns(state.runs, state.settings, action.archs ?? [state.settings.arch], dataset, state.backend?.name ?? 'unknown');
      if ('errors' in result) return just({ ...state, trainErrors: result.errors });
      return withRuns({ ...state, trainErrors: {} }, result);
    }
    case 'continueRequested': {
      const result = continueRun(state.runs, action.runId, action.extraEpochs);
      return result ? withRuns(state, result) : just(state);
    }
    case 'stopRequested':
      return withRuns(state, stopRun(state.runs, action.runId));
    case 'runSelected':
      return just({ ...state, runs: { ...state.runs, selectedRunId: action.runId } });
    case 'renameRequested': {
      const renamed = renameRun(state.runs, action.runId, action.name);
      return { state: { ...state, runs: renamed.state, space: namedInSpace(state.space, renamed.state) }, commands: renamed.commands };
    }
    case 'deleteRequested':
      return withRuns(state, deleteRun(state.runs, action.runId));
    case 'undoDeleteRequested':
      return just({ ...state, runs: undoDelete(state.runs, action.runId) });
    case 'deleteExpired': {
      const next = withRuns(state, deleteExpired(state.runs, action.runId));
      // Latents of a deleted run can no longer be decoded: they go with it.
      const space = state.space.latent?.runId === action.runId && next.state !== state ? INITIAL_LATENT_SPACE : next.state.space;
      return { state: { ...next.state, space }, commands: next.commands };
    }
    case 'runToggled': {
      const hidden = state.runs.hiddenRunIds;
      const hiddenRunIds = hidden.includes(action.runId) ? hidden.filter((id) => id !== action.runId) : [...hidden, action.runId];
      return just({ ...state, runs: { ...state.runs, hiddenRunIds } });
    }
    case 'groupByArchToggled':
      return just({ ...state, runs: { ...state.runs, groupByArch: !state.runs.groupByArch } });
    case 'galleryRequested':
      return requestGallery(state, action.selection);
    case 'drawingChanged':
      return just({ ...state, drawing: drawingChanged(state.drawing, action.image) });
    case 'drawRunToggled':
      return just({ ...state, drawing: drawRunToggled(state.drawing, action.runId, drawRuns(state).map((run) => run.id)) });
    case 'exportRequested':
    case 'importRequested': {
      if (state.fileJob?.status === 'running') return just(state);
      const { state: next, ids } = allocate(state, 'file');
      const jobId = ids[0];
      if (action.type === 'exportRequested') {
        return withCommands({ ...next, fileJob: { kind: 'export', jobId, runId: action.runId, status: 'running', message: null } }, engine({ type: 'exportRun', jobId, runId: action.runId }));
      }
      return withCommands({ ...next, fileJob: { kind: 'import', jobId, fileName: action.file.name, status: 'running', message: null } }, engine({ type: 'importRun', jobId, file: action.file }));
    }
    case 'mapColourChosen':
      return just({ ...state, mapView: { ...state.mapView, colour: action.colour } });
    case 'mapViewMoved':
      return just({ ...state, mapView: { ...state.mapView, view: action.view } });
    case 'thumbnailsToggled':
      return just({ ...state, mapView: { ...state.mapView, thumbs: action.on } });
    case 'noticeDismissed':
      return just({ ...state, notices: state.notices.filter((_, i) => i !== action.index) });
    case 'workerCrashed':
      return just(action.worker === 'engine' ? engineFailed(state, `The training engine crashed: ${action.message}`, true) : analysisCrashed(state, action.message));
    case 'mnistCancelRequested':
      // Shown at once; the worker confirms with dataCancelled, and this download's later events are dropped.
      if (state.data.kind !== 'loading') return just(state);
      return withCommands({ ...state, data: { kind: 'cancelled', jobId: state.data.jobId } }, engine({ type: 'cancel', jobId: state.data.jobId }));
    case 'mnistRequested': {
      if ((state.data.kind !== 'cancelled' && state.data.kind !== 'error') || state.datasetJob?.status === 'running') return just(state);
      const { state: next, ids } = allocate(state, 'mnist');
      return withCommands({ ...next, data: { kind: 'loading', jobId: ids[0], loadedBytes: 0, totalBytes: 0 } }, engine({ type: 'loadMnist', jobId: ids[0], baseUrl: state.baseUrl }));
    }
    case 'backToMnistRequested': {
      if (state.data.kind !== 'ready' || state.data.dataset.name === 'MNIST' || state.datasetJob?.status === 'running') return just(state);
      const { state: next, ids } = allocate(state, 'dataset');
      return withCommands({ ...next, datasetJob: { jobId: ids[0], names: ['MNIST'], status: 'running', message: null } }, engine({ type: 'useMnist', jobId: ids[0], baseUrl: state.baseUrl }));
    }
    case 'datasetChosen': {
      if (state.datasetJob?.status === 'running' || state.data.kind === 'loading') return just(state);
      const { state: next, ids } = allocate(state, 'dataset');
      const files = action.files.map((file) => ({ name: file.name, blob: file }));
      return withCommands({ ...next, datasetJob: { jobId: ids[0], names: files.map((f) => f.name), status: 'running', message: null } }, engine({ type: 'loadDataset', jobId: ids[0], files }));
    }
    case 'latentsRequested': {
      const run = finishedRuns(state).find((r) => r.id === action.runId);
      if (!run) return just(state);
      return latentTransition(state, { type: 'latentsRequested', run: { id: run.id, name: run.name, arch: run.settings.arch, latentDim: run.settings.latentDim }, split: action.split });
    }
    case 'kmeansRequested':
    case 'cancelRequested':
    case 'mapRequested':
    case 'pcaRequested':
    case 'umapRequested':
    case 'mapHovered':
    case 'mapClicked':
    case 'inspectRequested':
    case 'manifoldRequested':
    case 'planeHovered':
    case 'walkStarted':
    case 'walkRequested':
    case 'walkStepsChanged':
    case 'lassoDrawn':
    case 'pointToggled':
    case 'selectionCleared':
    case 'selectionInverted':
    case 'digitSelected':
    case 'pointFocused':
    case 'focusCleared':
    case 'selectionExportRequested':
    case 'codesExportRequested':
      return latentTransition(state, action);
    case 'insideDigitChosen':
    case 'knobMoved':
    case 'knobsReset':
      return insideTransition(state, reduceInsideAction(state.inside, state.space.latent, action satisfies InsideAction, state.nextJobId));
    case 'engine':
      return reduceEvent(state, action.event);
    case 'analysis': {
      const result = reduceLatentAnalysis(state.space, action.event, state.nextJobId);
      return { state: { ...state, space: result.space, jobs: { ...state.jobs, ...result.jobs }, nextJobId: result.nextJobId }, commands: result.commands };
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** Compatibility for callers that need the state only. */
export function reduce(state: AppState, action: UiAction): AppState {
  return update(state, action).state;
}

function latentTransition(state: AppState, action: LatentAction): Transition<AppState> {
  const result = reduceLatentAction(state.space, action, state.nextJobId);
  return { state: { ...state, space: result.space, jobs: { ...state.jobs, ...result.jobs }, nextJobId: result.nextJobId }, commands: result.commands };
}

function insideTransition(state: AppState, result: InsideResult): Transition<AppState> {
  // Nothing changed (a stale or refused event): the same state object, so the page does not re-render.
  if (result.inside === state.inside && result.nextJobId === state.nextJobId) return just(state);
  return { state: { ...state, inside: result.inside, jobs: { ...state.jobs, ...result.jobs }, nextJobId: result.nextJobId }, commands: result.commands };
}

function requestGallery(state: AppState, selection: GallerySelection): Transition<AppState> {
  const dataset = currentDataset(state);
  // Runs are scored on their own data set only: a run trained on other data is left out of the gallery.
  const runIds = finishedRuns(state)
    .filter((run) => dataset !== null && run.dataset.fingerprint === dataset.fingerprint)
    .map((run) => run.id);
  if (state.gallery?.status === 'running' || runIds.length === 0) return just(state);
  const { state: next, ids } = allocate(state, 'gallery');
  const gallery: GalleryState = { jobId: ids[0], selection, status: 'running', result: state.gallery?.result ?? null, message: null };
  return withCommands({ ...next, gallery }, engine({ type: 'gallery', jobId: ids[0], runIds, selection, count: GALLERY_COUNT }));
}

/** The engine cannot go on: active runs fail with the message; `crashed` offers a restart in the UI. */
function engineFailed(state: AppState, message: string, crashed: boolean): AppState {
  const runs = state.runs.runs.map((run): RunState => (isActive(run) ? { ...run, status: 'failed', message } : run));
  return { ...state, error: message, engineCrashed: state.engineCrashed || crashed, runs: { ...state.runs, runs } };
}

/** The page replaced the crashed analysis worker; what it was computing failed, everything finished stays. */
function analysisCrashed(state: AppState, message: string): AppState {
  const { kmeans, map } = state.space;
  const failed = `The analysis worker crashed (${message}) and was restarted; run it again.`;
  const busy = (status: string) => status === 'running' || status === 'cancelling';
  return {
    ...state,
    notices: [...state.notices, failed],
    space: {
      ...state.space,
      kmeans: kmeans && busy(kmeans.status) ? { ...kmeans, status: 'failed', message: failed } : kmeans,
      map: map && busy(map.status) ? { ...map, status: 'failed', message: failed } : map,
    },
  };
}

function finishFileJob(state: AppState, jobId: number | null, status: 'done' | 'failed', message: string | null): AppState {
  const job = state.fileJob;
  if (!job || job.jobId !== jobId) return state;
  return { ...state, fileJob: { ...job, status, message } };
}

/** Engine events that answer a short job (latents, images, decoding, encoding, means, activations, gallery) or fail one. */
type JobEvent = Extract<EngineEvent, { type: 'latentsProgress' | 'latentsReady' | 'decoded' | 'encoded' | 'images' | 'imageBytes' | 'meanImages' | 'activations' | 'gallery' | 'jobEnded' }>;

function reduceJobEvent(state: AppState, event: JobEvent): Transition<AppState> {
  const owner = state.jobs[event.jobId];
  if (owner !== undefined && isInsideOwner(owner)) {
    if (event.type !== 'decoded' && event.type !== 'images' && event.type !== 'activations' && event.type !== 'jobEnded') return just(state);
    return insideTransition(state, reduceInsideJobEvent(state.inside, owner, event, state.nextJobId));
  }
  if (event.type === 'activations') return just(state);
  switch (owner) {
    case undefined:
      return just(state);
    case 'file':
      return just(event.type === 'jobEnded' ? finishFileJob(state, event.jobId, 'failed', event.message) : state);
    case 'dataset':
    case 'mnist':
      if (event.type === 'jobEnded' && state.datasetJob?.jobId === event.jobId) return just({ ...state, datasetJob: { ...state.datasetJob, status: 'failed', message: event.message } });
      return just(state);
    case 'gallery': {
      const { gallery } = state;
      if (!gallery || gallery.jobId !== event.jobId) return just(state);
      if (event.type === 'gallery') return just({ ...state, gallery: { ...gallery, status: 'done', result: event } });
      if (event.type === 'jobEnded') return just({ ...state, gallery: { ...gallery, status: 'failed', message: event.message } });
      return just(state);
    }
    case 'drawEncode':
    case 'drawNeighbours':
      if (event.type !== 'encoded' && event.type !== 'images' && event.type !== 'jobEnded') return just(state);
      {
        const drawing = reduceDrawingJobEvent(state.drawing, owner, event);
        return just(drawing === state.drawing ? state : { ...state, drawing });
      }
    default: {
      if (event.type === 'encoded') return just(state);
      const result = reduceLatentJobEvent(state.space, owner, event, state.nextJobId);
      return { state: { ...state, space: result.space, jobs: { ...state.jobs, ...result.jobs }, nextJobId: result.nextJobId }, commands: result.commands };
    }
  }
}

function reduceEvent(state: AppState, event: EngineEvent): Transition<AppState> {
  switch (event.type) {
    case 'backend':
      return just({ ...state, backend: event.backend });
    case 'dataProgress':
      return just(isLoading(state, event.jobId) ? { ...state, data: { kind: 'loading', jobId: event.jobId, loadedBytes: event.loadedBytes, totalBytes: event.totalBytes } } : state);
    case 'dataReady': {
      const previous = currentDataset(state);
      const changed = previous !== null && previous.fingerprint !== event.dataset.fingerprint;
      const trainSize = state.settings.trainSize > event.dataset.trainCount || changed ? event.dataset.trainCount : state.settings.trainSize;
      return just({
        ...state,
        // Accepted even after a cancel: the download finished first, and the engine now holds this data.
        data: { kind: 'ready', dataset: event.dataset, millis: event.millis, fromCache: event.fromCache ?? false },
        // Latents, clusters, maps and galleries describe the previous images; runs stay (marked when trained elsewhere).
        space: changed ? INITIAL_LATENT_SPACE : state.space,
        gallery: changed ? null : state.gallery,
        // It completes a running data-set job; a failed one keeps its message: the data that arrived (e.g. a
        // second report of the same MNIST download) says nothing about the files that were refused.
        datasetJob: state.datasetJob?.status === 'running' ? { ...state.datasetJob, status: 'done', message: null } : state.datasetJob,
        preview: { images: event.previewImages, labels: event.previewLabels },
        sample: { images: event.sampleImages, labels: event.sampleLabels },
        settings: { ...state.settings, trainSize },
      });
    }
    case 'dataError':
      return just(isLoading(state, event.jobId) ? { ...state, data: { kind: 'error', code: event.code, message: event.message } } : state);
    case 'dataCancelled':
      // Usually already shown (the page marks a cancel at once); this covers a cancel the page did not ask for.
      return just(isLoading(state, event.jobId) ? { ...state, data: { kind: 'cancelled', jobId: event.jobId } } : state);
    case 'summary':
      return just({ ...state, summaries: { ...state.summaries, [summaryKey(event.arch, event.latentDim)]: { layers: event.layers, totalParams: event.totalParams } } });
    case 'error':
      return just(engineFailed(state, event.message, false));
    case 'storageNotice':
      return just({ ...state, notices: [...state.notices, event.message] });
    case 'runsLoaded': {
      // A run whose weights changed elsewhere makes its latents, clusters and maps stale.
      const latentRun = state.space.latent?.runId;
      const stale = latentRun !== undefined && outdatedRunIds(state.runs, event.runs).has(latentRun);
      const withdrawn = event.withdrawn ?? [];
      const notices = [...state.notices.filter((notice) => !withdrawn.includes(notice)), ...event.notices];
      const next = { ...state, runs: addViews(state.runs, event.runs), notices, space: stale ? INITIAL_LATENT_SPACE : state.space };
      const named = event.runs.map((view) => `“${view.record.name}”`).join(', ');
      return just(finishFileJob(next, event.jobId, 'done', named ? `Loaded ${named}.` : null));
    }
    case 'runRenamed': {
      const runs = renamedByEngine(state.runs, event.runId, event.name);
      return just({ ...state, runs, space: namedInSpace(state.space, runs), notices: event.notice ? [...state.notices, event.notice] : state.notices });
    }
    case 'runRemoved': {
      const runs = removedByEngine(state.runs, event.runId);
      if (runs === state.runs) return just(state);
      // The latents, clusters and maps of a run that is gone go with it.
      const space = state.space.latent?.runId === event.runId ? INITIAL_LATENT_SPACE : state.space;
      return just({ ...state, runs, space, notices: [...state.notices, event.notice] });
    }
    case 'runFile':
      return withCommands(finishFileJob(state, event.jobId, 'done', `Saved ${event.fileName}.`), { kind: 'download', blob: event.blob, fileName: event.fileName });
    case 'latentsProgress':
    case 'latentsReady':
    case 'decoded':
    case 'encoded':
    case 'images':
    case 'meanImages':
    case 'activations':
    case 'imageBytes':
    case 'gallery':
    case 'jobEnded':
      return reduceJobEvent(state, event);
    case 'trainStarted':
    case 'trainMeasuring':
    case 'trainProgress':
    case 'epochEnd':
    case 'trainNotice':
    case 'trainCheckpoint':
    case 'trainEnd': {
      const runs = reduceRunEvent(state.runs, event);
      if (runs === state.runs) return just(state);
      // New weights make the run's latents, clusters and maps stale.
      const stale = event.type === 'trainStarted' && state.space.latent?.runId === event.runId;
      return just({ ...state, runs, space: stale ? INITIAL_LATENT_SPACE : state.space });
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** True while MNIST download `jobId` is the one the page waits for. */
function isLoading(state: AppState, jobId: number): boolean {
  return state.data.kind === 'loading' && state.data.jobId === jobId;
}

/** Commands the page sends once, when it starts: the layer summaries of every architecture at code size `latentDim`. */
export function startupCommands(archs: readonly ArchId[], latentDim: LatentSize = DEFAULT_TRAIN_SETTINGS.latentDim): Command[] {
  return archs.map((arch) => engine({ type: 'summary', arch, latentDim }));
}

/** Where `AppState.summaries` keeps the summary of `arch` with a `latentDim`-wide code, e.g. "dense/64". */
export function summaryKey(arch: ArchId, latentDim: number): string {
  return `${arch}/${latentDim}`;
}
