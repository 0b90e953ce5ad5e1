/**
 * The runs slice: every training run of this browser, each a named record that is never overwritten —
 * queued, training, or ended (completed, stopped, diverged, failed) — and the transitions that start,
 * continue, stop, rename and delete them. Pure; each transition returns the commands it implies.
 */
import { batchesPerEpoch, defaultRunName, describeNoise, extraEpochsError, validateTrainSettings, type TrainSettings } from '../config/train-options';
import { ARCHITECTURES, type ArchId } from '../models/arch-spec';
import type { DatasetInfo, EngineEvent, RunId, RunRecord, RunView } from '../worker/protocol';
import { engine, just, withCommands, type Command, type Transition } from './commands';

export type RunStatus = 'queued' | 'running' | 'stopping' | RunRecord['outcome'];

/** One run as the page sees it: its record (as far as known) plus what is live. */
export interface RunState extends RunRecord {
  status: RunStatus;
  /** latest reconstructions of the preview digits (PREVIEW_COUNT × 784) */
  reconstructions: Float32Array | null;
  /** the run's weights exist in the engine (it has started at least once and was not removed) */
  kept: boolean;
  /** deleted, waiting out its undo window */
  deleting: boolean;
  /** while it trains: where its last checkpoint in this browser saved it (null: none yet) */
  savedAt: { epochsCompleted: number; batch: number } | null;
  /** while it measures its test MSE (before training, after an epoch, at its end): test images done so far */
  measuring: { done: number; total: number } | null;
}

/** How long a deleted run can be brought back. */
export const UNDO_DELETE_MS = 8000;

/** True while a run is queued or training. */
export function isActive(run: Pick<RunState, 'status'>): boolean {
  return run.status === 'queued' || run.status === 'running' || run.status === 'stopping';
}

/** A run's settings that differ from how it is named, for the runs list ("20 epochs · 60,000 images"). */
export function runSummary(run: RunState): string {
  const { epochs, trainSize, batchSize, latentDim, noise } = run.settings;
  const denoising = describeNoise(noise);
  return `${epochs} ${epochs === 1 ? 'epoch' : 'epochs'} · ${trainSize.toLocaleString('en')} images · batch ${batchSize} · code size ${latentDim}${denoising ? ` · denoising (${denoising})` : ''}`;
}

/** True while a queued run is being prepared (its untrained test MSE measured): it is no longer waiting. */
export function startingNow(run: Pick<RunState, 'status' | 'measuring'>): boolean {
  return run.status === 'queued' && run.measuring !== null;
}

/** Where the run is, in words: "epoch 2 of 3 · batch 11 of 24", "stopped in epoch 2 at batch 11 of 24". */
export function positionText(run: RunState): string {
  const { epochsCompleted, batch, batchesPerEpoch: perEpoch } = run.position;
  const total = run.settings.epochs;
  const measuring = run.measuring && `measuring the test MSE · ${run.measuring.done.toLocaleString('en')} of ${run.measuring.total.toLocaleString('en')} images`;
  if (run.status === 'queued') return measuring ? `${measuring} (before training)` : 'waiting';
  if (measuring && (run.status === 'running' || run.status === 'stopping')) return `epoch ${Math.min(epochsCompleted + 1, total)} of ${total} · ${measuring}`;
  if (run.status === 'running' || run.status === 'stopping') {
    const at = run.savedAt;
    const saved = at === null ? '' : at.batch > 0 ? ` · saved in epoch ${at.epochsCompleted + 1} at batch ${at.batch}` : ` · saved after epoch ${at.epochsCompleted}`;
    return `epoch ${Math.min(epochsCompleted + 1, total)} of ${total} · batch ${batch} of ${perEpoch}${saved}`;
  }
  if (batch > 0) return `stopped in epoch ${epochsCompleted + 1} at batch ${batch} of ${perEpoch}`;
  return `${epochsCompleted} of ${total} ${total === 1 ? 'epoch' : 'epochs'} done`;
}

/** Fraction of the run's schedule done, 0–1, for progress bars. */
export function runProgress(run: RunState): number {
  const { epochsCompleted, batch, batchesPerEpoch: perEpoch } = run.position;
  const total = run.settings.epochs * perEpoch;
  return total > 0 ? Math.min(1, (epochsCompleted * perEpoch + batch) / total) : 0;
}

/** Seconds left of an active run, from its measured speed; null before a speed is known. */
export function secondsLeft(run: RunState, samplesPerSec: number | null): number | null {
  const speed = run.history.at(-1)?.samplesPerSec ?? samplesPerSec;
  if (!speed || !Number.isFinite(speed) || speed <= 0) return null;
  const { epochsCompleted, batch, batchesPerEpoch: perEpoch } = run.position;
  const batchesLeft = Math.max(0, run.settings.epochs * perEpoch - (epochsCompleted * perEpoch + batch));
  return (batchesLeft * run.settings.batchSize) / speed;
}

/** The batch-loss curve's x positions in epochs (a thinned curve's points cover `lossStride` batches). */
export function batchLossEpochs(run: Pick<RunRecord, 'batchLosses' | 'lossStride' | 'position'>): number[] {
  const perPoint = run.lossStride / Math.max(1, run.position.batchesPerEpoch);
  return run.batchLosses.map((_, i) => (i + 1) * perPoint);
}

/**
 * How many more epochs Continue offers at first: the rest of the run's schedule when it ended early (a Stop,
 * a reload mid-run), else 5.
 */
export function defaultExtraEpochs(run: Pick<RunState, 'settings' | 'position'>): number {
  const left = run.settings.epochs - run.position.epochsCompleted;
  return left > 0 ? left : 5;
}

/** True when the run can be continued now. */
export function continuable(run: RunState): boolean {
  return run.kept && !run.deleting && (run.status === 'completed' || run.status === 'stopped');
}

/** The test MSE of the run's kept weights, or of its last epoch while it trains. */
export function runTestMse(run: RunState): number | null {
  return run.final?.testMse ?? run.history.at(-1)?.testMse ?? null;
}

function fromView(view: RunView): RunState {
  return { ...view.record, status: view.record.outcome, reconstructions: view.reconstructions, kept: true, deleting: false, savedAt: null, measuring: null };
}

/** The runs slice's state. */
export interface RunsState {
  runs: RunState[];
  /** prefix of this page session's run ids (ids stay unique across reloads) */
  sessionId: string;
  /** the counter behind the next run id; only grows */
  nextRun: number;
  /** the run the Train panel shows */
  selectedRunId: RunId | null;
  /** runs hidden from the comparison */
  hiddenRunIds: RunId[];
  /** the comparison table shows each architecture's mean and spread over its runs */
  groupByArch: boolean;
}

export function initialRuns(sessionId: string): RunsState {
  return { runs: [], sessionId, nextRun: 1, selectedRunId: null, hiddenRunIds: [], groupByArch: false };
}

function updateRun(state: RunsState, runId: RunId, update: (run: RunState) => RunState): RunsState {
  return { ...state, runs: state.runs.map((run) => (run.id === runId ? update(run) : run)) };
}

/**
 * New runs, one per architecture, from settings that passed validation.
 * @returns the slice and the `train` commands, or the reasons when the settings are invalid
 */
export function startRuns(
  state: RunsState,
  draft: Partial<Record<keyof TrainSettings, unknown>>,
  archs: readonly ArchId[],
  dataset: DatasetInfo,
  backend: string,
): Transition<RunsState> | { errors: Partial<Record<string, string>> } {
  const commands: Command[] = [];
  const added: RunState[] = [];
  for (const arch of archs) {
    const checked = validateTrainSettings({ ...draft, arch }, dataset.trainCount);
    if (!checked.ok) return { errors: checked.errors };
    const settings = checked.value;
    const id = `${state.sessionId}-${state.nextRun + added.length}`;
    const name = defaultRunName(settings, ARCHITECTURES[arch].label);
    added.push({
      id,
      name,
      settings,
      dataset,
      backend,
      createdAt: '',
      endedAt: '',
      outcome: 'stopped',
      position: { epochsCompleted: 0, batch: 0, batchesPerEpoch: batchesPerEpoch(settings) },
      history: [],
      batchLosses: [],
      lossStride: 1,
      initialTestMse: null,
      final: null,
      message: null,
      partial: null,
      resumable: true,
      status: 'queued',
      reconstructions: null,
      kept: false,
      deleting: false,
      savedAt: null,
      measuring: null,
    });
    commands.push(engine({ type: 'train', runId: id, name, settings }));
  }
  const selectedRunId = added.at(0)?.id ?? state.selectedRunId;
  return withCommands({ ...state, runs: [...state.runs, ...added], nextRun: state.nextRun + added.length, selectedRunId }, ...commands);
}

/** More epochs for an ended run; refused (null) when the run cannot be continued or the count is invalid. */
export function continueRun(state: RunsState, runId: RunId, extraEpochs: number): Transition<RunsState> | null {
  const run = state.runs.find((r) => r.id === runId);
  if (!run || !continuable(run) || extraEpochsError(extraEpochs, run.position.epochsCompleted) !== null) return null;
  // The target epochs change when the engine starts it (`trainStarted` carries the record).
  const next = updateRun(state, runId, (r) => ({ ...r, status: 'queued', message: null }));
  return withCommands({ ...next, selectedRunId: runId }, engine({ type: 'continueRun', runId, extraEpochs }));
}

/** Asks a queued or training run to stop (the engine confirms with `trainEnd`). */
export function stopRun(state: RunsState, runId: RunId): Transition<RunsState> {
  const run = state.runs.find((r) => r.id === runId);
  if (!run || !isActive(run) || run.status === 'stopping') return just(state);
  return withCommands(updateRun(state, runId, (r) => ({ ...r, status: 'stopping' })), engine({ type: 'stop', runId }));
}

export function renameRun(state: RunsState, runId: RunId, name: string): Transition<RunsState> {
  const clean = name.trim().slice(0, 200);
  const run = state.runs.find((r) => r.id === runId);
  // A run in training is renamed once it ends: its record is the engine's until then.
  if (!run || isActive(run) || clean.length === 0 || clean === run.name) return just(state);
  const next = updateRun(state, runId, (r) => ({ ...r, name: clean }));
  return run.kept ? withCommands(next, engine({ type: 'renameRun', runId, name: clean })) : just(next);
}

/** Hides a run at once; it is forgotten for good when its undo window ends (`deleteExpired`). */
export function deleteRun(state: RunsState, runId: RunId): Transition<RunsState> {
  const run = state.runs.find((r) => r.id === runId);
  if (!run || isActive(run) || run.deleting) return just(state);
  return withCommands(updateRun(state, runId, (r) => ({ ...r, deleting: true })), { kind: 'later', afterMs: UNDO_DELETE_MS, action: { type: 'deleteExpired', runId } });
}

export function undoDelete(state: RunsState, runId: RunId): RunsState {
  return updateRun(state, runId, (r) => ({ ...r, deleting: false }));
}

/** The engine's name of a run (renamed in another tab, or a rename here refused); a run in training keeps its own. */
export function renamedByEngine(state: RunsState, runId: RunId, name: string): RunsState {
  const run = state.runs.find((r) => r.id === runId);
  if (!run || isActive(run) || run.name === name) return state;
  return updateRun(state, runId, (r) => ({ ...r, name }));
}

/** A run deleted in another tab: it leaves the page (the engine has forgotten it already). */
export function removedByEngine(state: RunsState, runId: RunId): RunsState {
  if (!state.runs.some((r) => r.id === runId)) return state;
  return {
    ...state,
    runs: state.runs.filter((r) => r.id !== runId),
    hiddenRunIds: state.hiddenRunIds.filter((id) => id !== runId),
    selectedRunId: state.selectedRunId === runId ? null : state.selectedRunId,
  };
}

/** The undo window ended: the run leaves the page and the engine (memory and storage). */
export function deleteExpired(state: RunsState, runId: RunId): Transition<RunsState> {
  const run = state.runs.find((r) => r.id === runId);
  if (!run || !run.deleting) return just(state);
  const runs = state.runs.filter((r) => r.id !== runId);
  const next = { ...state, runs, hiddenRunIds: state.hiddenRunIds.filter((id) => id !== runId), selectedRunId: state.selectedRunId === runId ? null : state.selectedRunId };
  return run.kept ? withCommands(next, engine({ type: 'deleteRun', runId })) : just(next);
}

/**
 * Runs the page does not train whose engine copy differs from the page's: a run the page marked failed (the
 * engine stopped mid-run, and its restart brings back the run as its last checkpoint saved it), or one saved
 * since by another tab of the page (its Continue here was refused while that tab trained it).
 */
export function outdatedRunIds(state: RunsState, views: readonly RunView[]): Set<RunId> {
  const onPage = new Map(state.runs.map((r) => [r.id, r]));
  return new Set(
    views
      .filter((v) => {
        const run = onPage.get(v.record.id);
        return run !== undefined && !isActive(run) && (run.status === 'failed' || run.endedAt !== v.record.endedAt);
      })
      .map((v) => v.record.id),
  );
}

/**
 * Runs restored from storage, imported from a file, or brought back from another tab: new ones are added,
 * outdated ones ({@link outdatedRunIds}) replaced by what the engine now holds, the rest left as they are.
 */
export function addViews(state: RunsState, views: RunView[]): RunsState {
  const onPage = new Set(state.runs.map((r) => r.id));
  const added = views.filter((v) => !onPage.has(v.record.id)).map(fromView);
  const outdated = outdatedRunIds(state, views);
  const back = new Map(views.filter((v) => outdated.has(v.record.id)).map((v) => [v.record.id, v]));
  if (added.length === 0 && back.size === 0) return state;
  const runs = state.runs.map((r) => {
    const view = back.get(r.id);
    return view ? { ...fromView(view), deleting: r.deleting } : r;
  });
  return { ...state, runs: [...runs, ...added], selectedRunId: state.selectedRunId ?? added.at(-1)?.id ?? null };
}

type RunEvent = Extract<EngineEvent, { type: 'trainStarted' | 'trainMeasuring' | 'trainProgress' | 'epochEnd' | 'trainNotice' | 'trainCheckpoint' | 'trainEnd' }>;

/** An engine event of one run; events of runs the page no longer tracks are dropped. */
export function reduceRunEvent(state: RunsState, event: RunEvent): RunsState {
  const run = state.runs.find((r) => r.id === event.runId);
  if (!run) return state;
  if (event.type === 'trainEnd' && event.run === null && !run.kept) {
    // Removed from the queue (or failed) before any weights existed: a failure stays visible, a removal goes.
    if (event.outcome !== 'failed') return { ...state, runs: state.runs.filter((r) => r.id !== run.id) };
    return updateRun(state, run.id, (r) => ({ ...r, status: 'failed', message: event.message }));
  }
  return updateRun(state, run.id, (r) => applyRunEvent(r, event));
}

function applyRunEvent(run: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'trainStarted':
      return { ...run, ...event.record, status: run.status === 'stopping' ? 'stopping' : 'running', kept: true, reconstructions: run.reconstructions, savedAt: null, measuring: null };
    case 'trainMeasuring':
      return { ...run, measuring: { done: event.done, total: event.total } };
    case 'trainProgress': {
      const losses = Array.from(event.batchLosses);
      return {
        ...run,
        measuring: null,
        position: { ...run.position, epochsCompleted: event.epoch, batch: event.batch },
        batchLosses: run.lossStride === 1 ? run.batchLosses.concat(losses) : run.batchLosses,
        reconstructions: event.reconstructions ?? run.reconstructions,
      };
    }
    case 'epochEnd':
      return { ...run, history: [...run.history, event.record], reconstructions: event.reconstructions, position: { ...run.position, epochsCompleted: event.record.epoch, batch: 0 }, measuring: null };
    case 'trainNotice': {
      // The interrupted epoch goes on from where it was last saved (its start, or a checkpoint inside it): the
      // batch losses since then are dropped with the batches that are repeated.
      const keep = Math.ceil((event.epochsCompleted * run.position.batchesPerEpoch + event.batch) / run.lossStride);
      return { ...run, message: event.message, position: { ...run.position, epochsCompleted: event.epochsCompleted, batch: event.batch }, batchLosses: run.batchLosses.slice(0, keep), history: run.history.filter((h) => h.epoch <= event.epochsCompleted) };
    }
    case 'trainCheckpoint':
      return { ...run, savedAt: { epochsCompleted: event.epochsCompleted, batch: event.batch } };
    case 'trainEnd':
      if (event.run === null) {
        // A continue removed from the queue or refused: the run is as it was.
        return { ...run, status: run.outcome, message: event.message, measuring: null };
      }
      return { ...fromView(event.run), deleting: run.deleting };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}
