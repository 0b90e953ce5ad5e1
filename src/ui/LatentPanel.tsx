import { useMemo, useState } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import { deadUnits } from '../analysis/latent-stats';
import { ARCH_IDS, ARCHITECTURES, LATENT_DIM, type ArchId } from '../models/arch-spec';
import type { AppState, UiAction } from '../state/app-state';
import type { LatentJob } from '../state/latent-state';
import { SPLITS, type Split } from '../worker/protocol';
import { ClusterPanel } from './ClusterPanel';
import { DigitImage } from './DigitImage';
import { PlotlyChart } from './PlotlyChart';
import { ProgressBar } from './ProgressBar';

const SPLIT_TEXT: Record<Split, string> = { train: 'training set (60,000)', test: 'test set (10,000)', all: 'all images (70,000)' };

/** Step 4: latent vectors of a trained model, one digit's code as bars, then KMeans. */
export function LatentPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const trainedArchs = ARCH_IDS.filter((id) => state.trained[id]);
  const [chosenArch, setArch] = useState<ArchId | null>(null);
  const [split, setSplit] = useState<Split>('train');
  const arch = chosenArch && state.trained[chosenArch] ? chosenArch : (trainedArchs[0] ?? null);
  const { latent } = state.space;
  const busy = latent?.status === 'running' || latent?.status === 'cancelling';
  const trainingThis = state.runs.some((run) => run.arch === arch && (run.status === 'running' || run.status === 'stopping'));
  return (
    <section className="card" aria-labelledby="latent-title">
      <h2 id="latent-title">
        <span className="step">5</span> Latent space
      </h2>
      {trainedArchs.length === 0 ? (
        <p className="muted">Train a model first: its encoder turns each image into a 64-number code, and this step looks at those codes.</p>
      ) : (
        <form
          className="train-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (arch) dispatch({ type: 'latentsRequested', arch, split });
          }}
        >
          <label>
            Model
            <select aria-label="Model" value={arch ?? ''} onChange={(e) => setArch(e.target.value as ArchId)} disabled={busy}>
              {trainedArchs.map((id) => (
                <option key={id} value={id}>
                  {ARCHITECTURES[id].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Images
            <select aria-label="Images" value={split} onChange={(e) => setSplit(SPLITS.find((s) => s === e.target.value) ?? 'train')} disabled={busy}>
              {SPLITS.map((s) => (
                <option key={s} value={s}>
                  {SPLIT_TEXT[s]}
                </option>
              ))}
            </select>
          </label>
          <div className="buttons">
            <button type="submit" className="primary" disabled={busy || !arch || Boolean(trainingThis)}>
              Compute latent vectors
            </button>
            <button type="button" disabled={latent?.status !== 'running'} onClick={() => dispatch({ type: 'cancelRequested', job: 'latent' })}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {trainingThis && <p className="muted">This model is training; its latent vectors can be computed when it stops.</p>}
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
  const dead = useMemo(() => (latent.latents ? deadUnits(latent.latents, latent.count, LATENT_DIM) : null), [latent.latents, latent.count]);
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
          <p data-testid="latent-summary" data-seconds={latent.seconds} data-count={latent.count}>
            <strong>{latent.count.toLocaleString('en')}</strong> latent vectors of {LATENT_DIM} numbers from {ARCHITECTURES[latent.arch].label} ({SPLIT_TEXT[latent.split]}) in{' '}
            {latent.seconds.toFixed(1)} s. <strong data-testid="dead-units">{deadCount}</strong> of {LATENT_DIM} units never fire (are never above 0) on these images
            {deadCount > 0 ? ' — they carry no information.' : '.'}
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
    const code = Array.from(latent.latents.subarray(index * LATENT_DIM, (index + 1) * LATENT_DIM));
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
