import { useMemo, useState } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import { deadUnits } from '../analysis/latent-stats';
import { ARCHITECTURES } from '../models/arch-spec';
import { currentDataset, finishedRuns, trainedElsewhere, type AppState, type UiAction } from '../state/app-state';
import type { LatentJob } from '../state/latent-state';
import { SPLITS, type DatasetInfo, type RunId, type Split } from '../worker/protocol';
import { ClusterPanel } from './ClusterPanel';
import { DigitImage } from './DigitImage';
import { PlotlyChart } from './PlotlyChart';
import { ProgressBar } from './ProgressBar';

/** The choices of images, with the loaded data set's own counts. */
function splitText(split: Split, dataset: DatasetInfo | null): string {
  const train = dataset?.trainCount ?? 0;
  const test = dataset?.testCount ?? 0;
  const count = split === 'train' ? train : split === 'test' ? test : train + test;
  const what = split === 'train' ? 'training set' : split === 'test' ? 'test set' : 'all images';
  return `${what}, ${count.toLocaleString('en')} images`;
}

/** Step 6: latent vectors of a run, one digit's code as bars, then KMeans. */
export function LatentPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const runs = finishedRuns(state);
  const [chosenRun, setRun] = useState<RunId | null>(null);
  const [split, setSplit] = useState<Split>('train');
  const run = runs.find((r) => r.id === chosenRun) ?? runs.find((r) => r.id === state.runs.selectedRunId) ?? runs.at(-1) ?? null;
  const { latent } = state.space;
  const busy = latent?.status === 'running' || latent?.status === 'cancelling';
  const dataset = currentDataset(state);
  return (
    <section className="card" aria-labelledby="latent-title">
      <h2 id="latent-title">
        <span className="step">6</span> Latent space
      </h2>
      {runs.length === 0 ? (
        <p className="muted">Train a model first: its encoder turns each image into a code (64 numbers at the reference size, as few as 2 if you choose), and this step looks at those codes.</p>
      ) : (
        <form
          className="train-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (run) dispatch({ type: 'latentsRequested', runId: run.id, split });
          }}
        >
          <label>
            Run
            <select aria-label="Run" value={run?.id ?? ''} onChange={(e) => setRun(e.target.value)} disabled={busy}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                  {trainedElsewhere(state, r) ? ` (trained on ${r.dataset.name})` : ''}
                </option>
              ))}
            </select>
          </label>
          <label>
            Images
            <select aria-label="Images" value={split} onChange={(e) => setSplit(SPLITS.find((s) => s === e.target.value) ?? 'train')} disabled={busy}>
              {SPLITS.map((s) => (
                <option key={s} value={s}>
                  {splitText(s, dataset)}
                </option>
              ))}
            </select>
          </label>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy || !run}>
              Compute latent vectors
            </button>
            <button type="button" disabled={latent?.status !== 'running'} onClick={() => dispatch({ type: 'cancelRequested', job: 'latent' })}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {latent && <LatentResult latent={latent} state={state} dispatch={dispatch} />}
      {state.space.message && (
        <p className="alert" role="alert">
          {state.space.message}
        </p>
      )}
    </section>
  );
}

function LatentResult({ latent, state, dispatch }: { latent: LatentJob; state: AppState; dispatch: (action: UiAction) => void }) {
  const dead = useMemo(() => (latent.latents ? deadUnits(latent.latents, latent.count, latent.dim) : null), [latent.latents, latent.count, latent.dim]);
  const deadCount = dead?.filter(Boolean).length ?? 0;
  return (
    <div className="latent" data-testid="latent" data-status={latent.status}>
      {(latent.status === 'running' || latent.status === 'cancelling') && (
        <ProgressBar
          value={latent.total ? latent.done / latent.total : 0}
          label={`${latent.done.toLocaleString('en')} of ${latent.total ? latent.total.toLocaleString('en') : '…'} images encoded`}
        />
      )}
      {(latent.status === 'cancelled' || latent.status === 'failed') && (
        <p className={latent.status === 'failed' ? 'alert' : 'note'} role="status">
          {latent.message}
        </p>
      )}
      {latent.status === 'done' && dead && (
        <>
          <p data-testid="latent-summary" data-seconds={latent.seconds} data-count={latent.count} data-method={latent.method ?? undefined} data-threads={latent.threads}>
            <strong>{latent.count.toLocaleString('en')}</strong> latent vectors of <span data-testid="latent-dim">{latent.dim}</span> numbers from run “{latent.runName}” ({ARCHITECTURES[latent.arch].label}) on{' '}
            {latent.dataset?.name ?? 'the data set'}, {latent.split === 'all' ? 'all images' : `${latent.split === 'train' ? 'training' : 'test'} set`} in{' '}
            {latent.seconds.toFixed(1)} s
            {latent.method === 'sparse' && (
              <span title="This project's WebAssembly kernel: it skips the zero inputs (most MNIST pixels, about half of each ReLU layer's outputs) that a dense matrix product multiplies.">
                {' '}
                (sparse CPU kernel{latent.threads > 1 ? `, ${latent.threads} threads` : ''})
              </span>
            )}
            . <strong data-testid="dead-units">{deadCount}</strong> of {latent.dim} units never fire (are never above 0) on these images
            {deadCount > 0 ? ' — they carry no information.' : '.'}{' '}
            <button type="button" className="link-button" onClick={() => dispatch({ type: 'codesExportRequested' })}>
              Download the codes (CSV)
            </button>
          </p>
          <DigitInspector latent={latent} dead={dead} state={state} dispatch={dispatch} />
          <ClusterPanel latent={latent} kmeans={state.space.kmeans} dispatch={dispatch} />
        </>
      )}
    </div>
  );
}

const BAR_LAYOUT: Partial<Layout> = {
  height: 220,
  margin: { l: 44, r: 8, t: 8, b: 36 },
  xaxis: { title: { text: 'latent unit' }, dtick: 8 },
  yaxis: { title: { text: 'value' }, zeroline: true },
  bargap: 0.15,
};

function DigitInspector({ latent, dead, state, dispatch }: { latent: LatentJob; dead: boolean[]; state: AppState; dispatch: (action: UiAction) => void }) {
  const inspect = state.space.inspect;
  const [typed, setTyped] = useState('0');
  const index = inspect?.index ?? null;
  const data = useMemo((): Data[] => {
    if (index === null || !latent.latents) return [];
    const code = Array.from(latent.latents.subarray(index * latent.dim, (index + 1) * latent.dim));
    return [
      {
        type: 'bar',
        x: code.map((_, j) => j),
        y: code,
        marker: { color: code.map((_, j) => (dead[j] ? '#c9ced8' : '#3267d6')) },
        hovertemplate: 'unit %{x}: %{y:.3f}<extra></extra>',
      },
    ];
  }, [index, latent.latents, dead]);
  return (
    <div className="inspector">
      <h3>One digit's code</h3>
      <form
        className="train-form"
        onSubmit={(event) => {
          event.preventDefault();
          dispatch({ type: 'inspectRequested', index: Number(typed) });
        }}
      >
        <label>
          Image number (0–{latent.count - 1})
          <input type="number" min={0} max={latent.count - 1} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
        <button type="submit">Show its latent vector</button>
        <button
          type="button"
          onClick={() => {
            const random = Math.floor(Math.random() * latent.count);
            setTyped(String(random));
            dispatch({ type: 'inspectRequested', index: random });
          }}
        >
          Random digit
        </button>
      </form>
      {inspect && latent.labels && (
        <div className="inspect-row" data-testid="latent-bars">
          <div className="inspect-digit">
            {inspect.image ? <DigitImage pixels={inspect.image} size={84} label={`image ${inspect.index}`} /> : <div className="digit placeholder" />}
            <span>
              #{inspect.index} · digit <strong>{latent.labels[inspect.index]}</strong>
            </span>
          </div>
          <PlotlyChart data={data} layout={BAR_LAYOUT} label={`Latent vector of image ${inspect.index}`} />
        </div>
      )}
    </div>
  );
}
