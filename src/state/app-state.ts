/**
 * The page's state and its one reducer: (state, UI action | engine event) → state. Pure, so every
 * transition — including stale events from an earlier run — is unit-tested in Node.
 */
import { clampSettings, DEFAULT_TRAIN_SETTINGS, type TrainSettings } from '../config/defaults';
import type { ArchId, LayerRow } from '../models/arch-spec';
import type { BackendReport, EngineEvent, EpochRecord } from '../worker/protocol';

export type DataStatus =
  | { kind: 'loading'; loadedBytes: number; totalBytes: number }
  | { kind: 'ready'; trainCount: number; testCount: number; millis: number }
  | { kind: 'error'; code: string; message: string };

export type RunStatus = 'starting' | 'running' | 'stopping' | 'completed' | 'stopped' | 'failed';

/** One training run as the page sees it. */
export interface RunState {
  runId: number;
  arch: ArchId;
  epochs: number;
  trainSize: number;
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
}

export interface AppState {
  backend: BackendReport | null;
  data: DataStatus;
  preview: { images: Float32Array; labels: Uint8Array } | null;
  settings: TrainSettings;
  summaries: Partial<Record<ArchId, { layers: LayerRow[]; totalParams: number }>>;
  run: RunState | null;
  /** the id the next run will get; ids only grow, so an older run's events are recognisable */
  nextRunId: number;
  /** an engine-level problem (worker crash, backend failure) */
  error: string | null;
}

export const INITIAL_STATE: AppState = {
  backend: null,
  data: { kind: 'loading', loadedBytes: 0, totalBytes: 0 },
  preview: null,
  settings: DEFAULT_TRAIN_SETTINGS,
  summaries: {},
  run: null,
  nextRunId: 1,
  error: null,
};

/** What the UI can do. */
export type UiAction =
  | { type: 'settingsChanged'; settings: Partial<TrainSettings> }
  | { type: 'trainRequested' }
  | { type: 'stopRequested' }
  | { type: 'engine'; event: EngineEvent };

/** True while a run holds the engine. */
export function isTraining(state: AppState): boolean {
  const status = state.run?.status;
  return status === 'starting' || status === 'running' || status === 'stopping';
}

export function reduce(state: AppState, action: UiAction): AppState {
  switch (action.type) {
    case 'settingsChanged':
      return { ...state, settings: { ...state.settings, ...action.settings } };
    case 'trainRequested': {
      if (isTraining(state) || state.data.kind !== 'ready') return state;
      const settings = clampSettings(state.settings, state.data.trainCount);
      const run: RunState = {
        runId: state.nextRunId,
        ...settings,
        status: 'starting',
        batchesPerEpoch: Math.ceil(settings.trainSize / 256),
        epoch: 0,
        batch: 0,
        initialTestMse: null,
        batchLosses: [],
        history: [],
        reconstructions: null,
        message: null,
      };
      return { ...state, settings, run, nextRunId: state.nextRunId + 1 };
    }
    case 'stopRequested':
      if (!state.run || !isTraining(state)) return state;
      return { ...state, run: { ...state.run, status: 'stopping' } };
    case 'engine':
      return reduceEvent(state, action.event);
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

function reduceEvent(state: AppState, event: EngineEvent): AppState {
  switch (event.type) {
    case 'backend':
      return { ...state, backend: event.backend };
    case 'dataProgress':
      return state.data.kind === 'loading' ? { ...state, data: { kind: 'loading', loadedBytes: event.loadedBytes, totalBytes: event.totalBytes } } : state;
    case 'dataReady':
      return {
        ...state,
        data: { kind: 'ready', trainCount: event.trainCount, testCount: event.testCount, millis: event.millis },
        preview: { images: event.previewImages, labels: event.previewLabels },
        settings: clampSettings(state.settings, event.trainCount),
      };
    case 'dataError':
      return { ...state, data: { kind: 'error', code: event.code, message: event.message } };
    case 'summary':
      return { ...state, summaries: { ...state.summaries, [event.arch]: { layers: event.layers, totalParams: event.totalParams } } };
    case 'error':
      return {
        ...state,
        error: event.message,
        run: state.run && isTraining(state) ? { ...state.run, status: 'failed', message: event.message } : state.run,
      };
    case 'trainStarted':
    case 'trainProgress':
    case 'epochEnd':
    case 'trainEnd': {
      const run = state.run;
      // Events of a run that is no longer current (an earlier, stopped run) are dropped.
      if (!run || run.runId !== event.runId) return state;
      return { ...state, run: reduceRunEvent(run, event) };
    }
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

type RunEvent = Extract<EngineEvent, { type: 'trainStarted' | 'trainProgress' | 'epochEnd' | 'trainEnd' }>;

function reduceRunEvent(run: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'trainStarted':
      return {
        ...run,
        status: run.status === 'stopping' ? 'stopping' : 'running',
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
    case 'trainEnd':
      return { ...run, status: event.outcome, message: event.message ?? null };
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
