import { useState } from 'react';
import { extraEpochsError } from '../config/train-options';
import { ARCHITECTURES } from '../models/arch-spec';
import { isActive, positionText, trainedElsewhere, type AppState, type RunState, type UiAction } from '../state/app-state';
import { continuable, defaultExtraEpochs, runSummary, runTestMse, startingNow, UNDO_DELETE_MS } from '../state/runs';
import { fixed } from './format';

const STATUS_WORD: Record<RunState['status'], string> = {
  queued: 'queued',
  running: 'training',
  stopping: 'stopping',
  completed: 'finished',
  stopped: 'stopped',
  diverged: 'diverged',
  failed: 'failed',
};

/** One run's row: name (renamable), settings, data set, where it is, its test MSE and what can be done with it. */
function RunRow({ state, run, dispatch }: { state: AppState; run: RunState; dispatch: (action: UiAction) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(run.name);
  // null until the person types a number: the offer follows the run (the rest of its schedule once it stops).
  const [typed, setExtra] = useState<number | null>(null);
  const extra = typed ?? defaultExtraEpochs(run);
  const continueError = extraEpochsError(extra, run.position.epochsCompleted);
  const elsewhere = trainedElsewhere(state, run);
  const selected = state.runs.selectedRunId === run.id;
  const busy = state.fileJob?.status === 'running';
  return (
    <tr data-testid="run-row" data-run-id={run.id} data-status={run.status} data-arch={run.settings.arch} className={selected ? 'selected' : undefined}>
      <td>
        {editing ? (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              dispatch({ type: 'renameRequested', runId: run.id, name });
              setEditing(false);
            }}
          >
            <input aria-label="Run name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoFocus />
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <>
            <button type="button" className="link" data-testid="run-name-button" onClick={() => dispatch({ type: 'runSelected', runId: run.id })} aria-pressed={selected}>
              {run.name}
            </button>
            <div className="muted small">
              {ARCHITECTURES[run.settings.arch].label} · {runSummary(run)}
            </div>
          </>
        )}
      </td>
      <td>
        {run.dataset.name}
        {elsewhere && (
          <span className="tag" data-testid="trained-elsewhere" title="This run was trained on another data set than the one loaded now; its figures belong to its own data set.">
            other data
          </span>
        )}
      </td>
      <td>
        <span className={`status status-${run.status}`}>{startingNow(run) ? 'starting' : STATUS_WORD[run.status]}</span>
        <div className="muted small" data-testid="run-position">
          {positionText(run)}
        </div>
      </td>
      <td className="num" data-testid="run-test-mse">
        {fixed(runTestMse(run), 5)}
      </td>
      <td className="run-actions">
        {!editing && !isActive(run) && (
          <button type="button" onClick={() => { setName(run.name); setEditing(true); }}>
            Rename
          </button>
        )}
        {continuable(run) && !elsewhere && (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              if (continueError === null) dispatch({ type: 'continueRequested', runId: run.id, extraEpochs: extra });
            }}
          >
            <span className="small" aria-hidden="true">
              +
            </span>
            <input type="number" aria-label="How many more" title="Epochs to add" min={1} step={1} value={Number.isNaN(extra) ? '' : extra} onChange={(e) => setExtra(e.target.valueAsNumber)} className="narrow" />
            <span className="small" aria-hidden="true">
              epochs
            </span>
            <button type="submit" disabled={continueError !== null} title={continueError ?? 'Trains on from where the run ended, with its Adam state and shuffle order.'}>
              Continue
            </button>
          </form>
        )}
        {run.kept && !isActive(run) && (
          <button type="button" disabled={busy} onClick={() => dispatch({ type: 'exportRequested', runId: run.id })}>
            Download
          </button>
        )}
        <button type="button" disabled={isActive(run)} onClick={() => dispatch({ type: 'deleteRequested', runId: run.id })}>
          Delete
        </button>
      </td>
    </tr>
  );
}

/** Step 4: every run of this browser: kept, named, continuable; deleted ones can be brought back for a few seconds. */
export function RunsPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const runs = state.runs.runs;
  const shown = runs.filter((run) => !run.deleting);
  const deleting = runs.filter((run) => run.deleting);
  const job = state.fileJob;
  return (
    <section className="card" aria-labelledby="runs-title">
      <h2 id="runs-title">
        <span className="step">4</span> Runs
      </h2>
      <p className="muted">
        Every training run is kept here and in this browser across reloads: its settings, data set, curves and weights. Click a name to show it above;
        continue a finished or stopped run for more epochs; download it as one file, or load one back.
      </p>
      {deleting.map((run) => (
        <p key={run.id} className="note" role="status" data-testid="undo-delete">
          Deleted “{run.name}”.{' '}
          <button type="button" onClick={() => dispatch({ type: 'undoDeleteRequested', runId: run.id })}>
            Undo
          </button>{' '}
          <span className="muted">(within {UNDO_DELETE_MS / 1000} s)</span>
        </p>
      ))}
      {shown.length === 0 ? (
        <p className="muted">No runs yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="runs-table" data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col">run</th>
                <th scope="col">data set</th>
                <th scope="col">status</th>
                <th scope="col" className="num" title="Test MSE of the weights the run keeps (of its last epoch while it trains).">
                  test MSE
                </th>
                <th scope="col">actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((run) => (
                <RunRow key={run.id} state={state} run={run} dispatch={dispatch} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="model-files">
        <label className="file-button">
          Load a run file…
          <input
            type="file"
            data-testid="model-file-input"
            accept=".json,application/json"
            disabled={job?.status === 'running'}
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) dispatch({ type: 'importRequested', file });
              event.target.value = '';
            }}
          />
        </label>
        {job?.status === 'failed' && (
          <p className="alert" role="alert" data-testid="file-error">
            {job.message}
          </p>
        )}
        {job?.status === 'done' && job.message && (
          <span className="note" data-testid="file-done">
            {job.message}
          </span>
        )}
      </div>
    </section>
  );
}
