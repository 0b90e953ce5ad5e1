import { SETTINGS_LIMITS } from '../config/defaults';
import { ARCHITECTURES } from '../models/arch-spec';
import { ARCH_IDS } from '../models/arch-spec';
import { focusRun, isActive, latestRuns, runProgress, type AppState, type RunState, type UiAction } from '../state/app-state';
import { LossChart } from './LossChart';
import { ProgressBar } from './ProgressBar';
import { Stat } from './Stat';
import { ReconstructionGrid } from './ReconstructionGrid';

const STATUS_TEXT: Record<RunState['status'], string> = {
  queued: 'Queued',
  running: 'Training',
  stopping: 'Stopping after this batch…',
  completed: 'Finished',
  stopped: 'Stopped',
  diverged: 'Diverged',
  failed: 'Failed',
};

/** One line per architecture: its latest run's status, progress and a Stop button. */
function RunQueue({ runs, dispatch }: { runs: RunState[]; dispatch: (action: UiAction) => void }) {
  if (runs.length < 2) return null;
  return (
    <ul className="run-queue" aria-label="Training queue">
      {runs.map((run) => (
        <li key={run.runId} data-testid={`queue-${run.arch}`} data-status={run.status}>
          <span className="queue-arch">{ARCHITECTURES[run.arch].label}</span>
          <span className={`status status-${run.status}`}>{STATUS_TEXT[run.status]}</span>
          <ProgressBar value={runProgress(run)} label={run.status === 'queued' ? 'waiting' : progressLabel(run)} />
          <button type="button" disabled={!isActive(run) || run.status === 'stopping'} onClick={() => dispatch({ type: 'stopRequested', runId: run.runId })}>
            {run.status === 'queued' ? 'Remove' : 'Stop'}
          </button>
        </li>
      ))}
    </ul>
  );
}

function progressLabel(run: RunState): string {
  const epoch = Math.min(run.epoch + 1, run.epochs);
  const base = `epoch ${epoch} of ${run.epochs}`;
  if (run.status === 'completed') return `${run.epochs} of ${run.epochs} epochs done`;
  return `${base} · batch ${run.batch} of ${run.batchesPerEpoch}`;
}


/** Step 3: training settings, Train / Stop, live progress, loss curves and reconstructions. */
export function TrainPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { settings, data, preview } = state;
  const run = focusRun(state);
  const activeArchs = new Set(state.runs.filter(isActive).map((r) => r.arch));
  const ready = data.kind === 'ready';
  const maxTrain = ready ? data.trainCount : 60_000;
  const last = run?.history.at(-1);
  const lastBatch = run?.batchLosses.at(-1);
  return (
    <section className="card" aria-labelledby="train-title">
      <h2 id="train-title">
        <span className="step">3</span> Train
      </h2>
      <form
        className="train-form"
        onSubmit={(event) => {
          event.preventDefault();
          dispatch({ type: 'trainRequested' });
        }}
      >
        <label>
          Epochs
          <input
            type="number"
            name="epochs"
            min={1}
            max={SETTINGS_LIMITS.maxEpochs}
            value={settings.epochs}
            onChange={(e) => dispatch({ type: 'settingsChanged', settings: { epochs: e.target.valueAsNumber } })}
          />
        </label>
        <label>
          Training images
          <input
            type="number"
            name="trainSize"
            min={SETTINGS_LIMITS.minTrainSize}
            max={maxTrain}
            value={settings.trainSize}
            onChange={(e) => dispatch({ type: 'settingsChanged', settings: { trainSize: e.target.valueAsNumber } })}
          />
        </label>
        <label>
          Learning rate
          <input
            type="number"
            name="learningRate"
            min={0}
            step="any"
            value={settings.learningRate}
            onChange={(e) => dispatch({ type: 'settingsChanged', settings: { learningRate: e.target.valueAsNumber } })}
          />
        </label>
        <label>
          Seed
          <input
            type="number"
            name="seed"
            min={0}
            max={SETTINGS_LIMITS.maxSeed}
            step={1}
            value={settings.seed}
            onChange={(e) => dispatch({ type: 'settingsChanged', settings: { seed: e.target.valueAsNumber } })}
          />
        </label>
        <span className="form-note">batch 256 · Adam · MSE · reshuffled every epoch</span>
        <div className="buttons">
          <button type="submit" className="primary" disabled={!ready || activeArchs.has(settings.arch)}>
            Train {ARCHITECTURES[settings.arch].label}
          </button>
          <button type="button" disabled={!ready || activeArchs.size === ARCH_IDS.length} onClick={() => dispatch({ type: 'trainRequested', archs: [...ARCH_IDS] })}>
            Train all three
          </button>
          <button
            type="button"
            disabled={!run || !isActive(run) || run.status === 'stopping'}
            onClick={() => run && dispatch({ type: 'stopRequested', runId: run.runId })}
          >
            Stop
          </button>
        </div>
      </form>
      <RunQueue runs={latestRuns(state)} dispatch={dispatch} />
      {!run && <p className="muted">{ready ? 'Choose a model and click Train to watch it learn.' : 'Training becomes available when the data is ready.'}</p>}
      {run && (
        <div className="run" data-testid="run" data-status={run.status} data-run-id={run.runId}>
          <div className="run-head">
            <span className={`status status-${run.status}`} data-testid="run-status">
              {STATUS_TEXT[run.status]}
            </span>
            <span className="muted">
              {ARCHITECTURES[run.arch].label} on {run.trainSize.toLocaleString('en')} images · seed {run.seed}
            </span>
          </div>
          <ProgressBar value={runProgress(run)} label={progressLabel(run)} />
          {run.message && (
            <p className={run.status === 'failed' || run.status === 'diverged' ? 'alert' : 'note'} role={run.status === 'failed' || run.status === 'diverged' ? 'alert' : 'status'}>
              {run.message}
            </p>
          )}
          <div className="stats">
            <Stat label="batch loss" value={lastBatch === undefined ? '–' : lastBatch.toFixed(4)} testId="last-batch-loss" />
            <Stat label="first batch loss" value={run.batchLosses.length ? run.batchLosses[0].toFixed(4) : '–'} testId="first-batch-loss" />
            <Stat label="test MSE before" value={run.initialTestMse === null ? '–' : run.initialTestMse.toFixed(4)} testId="initial-test-mse" />
            <Stat label="test MSE now" value={run.final ? run.final.testMse.toFixed(5) : last ? last.testMse.toFixed(5) : '–'} testId="test-mse" />
            <Stat label="samples / s" value={last ? Math.round(last.samplesPerSec).toLocaleString('en') : '–'} testId="samples-per-sec" />
          </div>
          <LossChart run={run} />
          {run.history.length > 0 && (
            <table className="epoch-table" data-testid="epoch-table">
              <thead>
                <tr>
                  <th scope="col">epoch</th>
                  <th scope="col" className="num">train loss</th>
                  <th scope="col" className="num">test MSE</th>
                  <th scope="col" className="num">seconds</th>
                  <th scope="col" className="num">samples / s</th>
                </tr>
              </thead>
              <tbody>
                {run.history.map((r) => (
                  <tr key={r.epoch}>
                    <td>{r.epoch}</td>
                    <td className="num">{r.trainLoss.toFixed(5)}</td>
                    <td className="num">{r.testMse.toFixed(5)}</td>
                    <td className="num">{r.trainSeconds.toFixed(1)}</td>
                    <td className="num">{Math.round(r.samplesPerSec).toLocaleString('en')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
      {preview && (
        <>
          <h3>Test digits and their reconstructions</h3>
          <p className="muted">Top: the original; bottom: what the model rebuilds from its 64-number code, with the per-image MSE.</p>
          <ReconstructionGrid originals={preview.images} labels={preview.labels} reconstructions={run?.reconstructions ?? null} />
        </>
      )}
    </section>
  );
}
