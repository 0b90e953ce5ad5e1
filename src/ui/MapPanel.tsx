import { useMemo, useState } from 'react';
import { DEFAULT_TSNE_OPTIONS } from '../analysis/tsne';
import type { AppState, UiAction } from '../state/app-state';
import { WALK_STEPS, type LatentJob, type MapJob } from '../state/latent-state';
import { MAP_QUALITY_MAX_POINTS } from '../worker/protocol';
import { digitAtlas } from './map/digit-atlas';
import { MapLegend, ScatterMap, type MapThumbnails } from './map/ScatterMap';
import { DigitImage } from './DigitImage';
import { ProgressBar } from './ProgressBar';
import { helpProps } from './metric-help';
import { Stat } from './Stat';
import { useThrottled } from './useThrottled';

const PIXELS = 784;
const MAX_POINTS = 70_000;

const PHASE_TEXT = { knn: 'finding nearest neighbours', affinities: 'calibrating affinities', optimise: 'optimising' } as const;

/** Step 6: the t-SNE map of the latent vectors, live, with thumbnails, hover inspection and latent walks. */
export function MapPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { latent, map } = state.space;
  if (!latent || latent.status !== 'done') {
    return (
      <section className="card" aria-labelledby="map-title">
        <h2 id="map-title">
          <span className="step">6</span> t-SNE map
        </h2>
        <p className="muted">Compute latent vectors first (step 5); the map places similar codes near each other in two dimensions.</p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="map-title">
      <h2 id="map-title">
        <span className="step">6</span> t-SNE map
      </h2>
      <MapForm latent={latent} map={map} dispatch={dispatch} />
      {map && <MapView map={map} latent={latent} state={state} dispatch={dispatch} />}
    </section>
  );
}

function MapForm({ latent, map, dispatch }: { latent: LatentJob; map: MapJob | null; dispatch: (action: UiAction) => void }) {
  const [form, setForm] = useState({
    n: String(Math.min(5000, latent.count)),
    perplexity: String(DEFAULT_TSNE_OPTIONS.perplexity),
    learningRate: String(DEFAULT_TSNE_OPTIONS.learningRate),
    iterations: String(DEFAULT_TSNE_OPTIONS.iterations),
    thumbnails: '200',
    seed: String(DEFAULT_TSNE_OPTIONS.seed),
  });
  const [error, setError] = useState<string | null>(null);
  const running = map?.status === 'running' || map?.status === 'cancelling';
  const fields: { key: keyof typeof form; label: string }[] = [
    { key: 'n', label: `Points (first N of ${latent.count.toLocaleString('en')})` },
    { key: 'perplexity', label: 'Perplexity' },
    { key: 'learningRate', label: 'Learning rate' },
    { key: 'iterations', label: 'Iterations' },
    { key: 'thumbnails', label: 'Thumbnails' },
    { key: 'seed', label: 'Seed' },
  ];
  const submit = () => {
    const value = (key: keyof typeof form) => Number(form[key]);
    const n = value('n');
    if (!Number.isInteger(n) || n < 50 || n > Math.min(MAX_POINTS, latent.count)) return setError(`Points must be a whole number from 50 to ${Math.min(MAX_POINTS, latent.count)}.`);
    const perplexity = value('perplexity');
    if (!(perplexity >= 2 && perplexity <= 100 && perplexity < n / 3)) return setError('Perplexity must be between 2 and 100, and below a third of the points.');
    const learningRate = value('learningRate');
    if (!(learningRate > 0 && learningRate <= 10_000)) return setError('The learning rate must be above 0 and at most 10,000.');
    const iterations = value('iterations');
    if (!Number.isInteger(iterations) || iterations < 250 || iterations > 5000) return setError('Iterations must be a whole number from 250 to 5,000.');
    const thumbnails = value('thumbnails');
    if (!Number.isInteger(thumbnails) || thumbnails < 0 || thumbnails > 1000) return setError('Thumbnails must be a whole number from 0 to 1,000.');
    const seed = value('seed');
    if (!Number.isInteger(seed) || seed < 0) return setError('The seed must be a whole number ≥ 0.');
    setError(null);
    dispatch({ type: 'mapRequested', n, options: { perplexity, learningRate, iterations, seed }, thumbnails });
  };
  return (
    <>
      <form
        className="train-form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {fields.map((field) => (
          <label key={field.key}>
            {field.label}
            <input type="number" name={field.key} value={form[field.key]} disabled={running} onChange={(e) => setForm({ ...form, [field.key]: e.target.value })} />
          </label>
        ))}
        <div className="buttons">
          <button type="submit" className="primary" disabled={running}>
            Run t-SNE
          </button>
          <button type="button" disabled={map?.status !== 'running'} onClick={() => dispatch({ type: 'cancelRequested', job: 'map' })}>
            Stop
          </button>
        </div>
      </form>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

function MapView({ map, latent, state, dispatch }: { map: MapJob; latent: LatentJob; state: AppState; dispatch: (action: UiAction) => void }) {
  const kmeans = state.space.kmeans?.summary ?? null;
  const [colourBy, setColourBy] = useState<'digit' | 'cluster'>('digit');
  const byCluster = colourBy === 'cluster' && kmeans !== null;
  const labels = latent.labels;
  const finished = map.status === 'done' || map.status === 'cancelled';
  const thumbnails = useMemo((): MapThumbnails | null => {
    if (!map.thumbs) return null;
    const atlas = digitAtlas(map.thumbs, map.thumbIndices.length);
    return atlas && { atlas, indices: map.thumbIndices };
  }, [map.thumbs, map.thumbIndices]);
  // Frames arrive faster than a person can follow; the final one always lands.
  const embedding = useThrottled(map.embedding, map.n > 20_000 ? 250 : 100);
  const classes = byCluster && kmeans ? kmeans.assignments : labels;
  const hover = state.space.hover;
  const walk = state.space.walk;
  const highlighted = useMemo(
    () => [hover?.index, walk?.a, walk?.b].filter((i): i is number => typeof i === 'number' && i < map.n),
    [hover?.index, walk?.a, walk?.b, map.n],
  );
  const progress = map.progress;
  return (
    <div className="map" data-testid="map" data-status={map.status}>
      {(map.status === 'running' || map.status === 'cancelling') && (
        <ProgressBar
          value={progress?.phase === 'optimise' ? progress.fraction : 0}
          label={progress ? `${PHASE_TEXT[progress.phase]}${progress.phase === 'optimise' ? ` · iteration ${progress.iteration} of ${map.options.iterations}` : ''}` : 'starting…'}
        />
      )}
      {map.message && (
        <p className={map.status === 'failed' ? 'alert' : 'note'} role="status">
          {map.message}
        </p>
      )}
      {map.quality && (
        <div className="stats">
          <Stat {...helpProps('kl')} value={map.quality.kl === null ? `n > ${MAP_QUALITY_MAX_POINTS.toLocaleString('en')}` : map.quality.kl.toFixed(3)} testId="map-kl" />
          <Stat {...helpProps('trustworthiness')} value={map.quality.trustworthiness === null ? '–' : map.quality.trustworthiness.toFixed(4)} testId="map-trust" />
          <Stat {...helpProps('knnAccuracy')} value={map.quality.knnAccuracy.toFixed(4)} testId="map-knn" />
          <Stat label="time" value={`${map.seconds.toFixed(1)} s`} testId="map-seconds" />
          <Stat label="points" value={map.n.toLocaleString('en')} testId="map-n" />
        </div>
      )}
      <div className="map-toolbar">
        <span>Colour by</span>
        <button type="button" aria-pressed={!byCluster} onClick={() => setColourBy('digit')}>
          true digit
        </button>
        <button type="button" aria-pressed={byCluster} disabled={!kmeans} title={kmeans ? undefined : 'Run KMeans in step 5 first'} onClick={() => setColourBy('cluster')}>
          KMeans cluster
        </button>
        <span className="muted">Hover a point to inspect it; click two points to walk between their codes. Drag to pan, scroll to zoom.</span>
      </div>
      <div className="map-layout">
        <div>
          {labels && classes && (
            <ScatterMap
              key={map.jobId}
              xy={embedding}
              n={map.n}
              classes={classes}
              thumbnails={finished ? thumbnails : null}
              highlighted={highlighted}
              onHover={(index) => dispatch({ type: 'mapHovered', index })}
              onClick={(index) => dispatch({ type: 'mapClicked', index })}
              label={`t-SNE map of ${map.n.toLocaleString('en')} latent vectors, coloured by ${byCluster ? 'KMeans cluster' : 'true digit'}`}
              testId="map-plot"
            />
          )}
          <MapLegend title={byCluster ? 'cluster' : 'digit'} k={byCluster && kmeans ? kmeans.k : 10} />
        </div>
        <HoverInspector state={state} latent={latent} />
      </div>
      <Walk state={state} latent={latent} />
    </div>
  );
}

function HoverInspector({ state, latent }: { state: AppState; latent: LatentJob }) {
  const hover = state.space.hover;
  const kmeans = state.space.kmeans?.summary;
  if (!hover || !latent.labels) return <aside className="inspector-card muted">Hover a point.</aside>;
  return (
    <aside className="inspector-card" data-testid="hover-inspector" aria-live="polite">
      {hover.image ? <DigitImage pixels={hover.image} size={112} label={`image ${hover.index}`} /> : <div className="digit placeholder big" />}
      <div className="inspector-label">
        digit <strong data-testid="hover-label">{latent.labels[hover.index]}</strong>
      </div>
      <div className="muted">
        #{hover.index}
        {kmeans ? ` · cluster ${kmeans.assignments[hover.index]}` : ''}
      </div>
      <div className="muted">reconstruction</div>
      {hover.recon ? <DigitImage pixels={hover.recon} size={112} label={`reconstruction of image ${hover.index}`} /> : <div className="digit placeholder big" />}
    </aside>
  );
}

function Walk({ state, latent }: { state: AppState; latent: LatentJob }) {
  const walk = state.space.walk;
  if (!walk || !latent.labels) return null;
  if (walk.b === null) return <p className="note">Point A is #{walk.a} (digit {latent.labels[walk.a]}). Click a second point.</p>;
  return (
    <div className="walk" data-testid="walk">
      <h3>
        Walking from #{walk.a} (a {latent.labels[walk.a]}) to #{walk.b} (a {latent.labels[walk.b]}) in latent space
      </h3>
      <div className="digit-strip">
        {walk.images
          ? Array.from({ length: WALK_STEPS }, (_, s) => (
              <DigitImage key={s} pixels={walk.images?.subarray(s * PIXELS, (s + 1) * PIXELS) ?? new Float32Array(PIXELS)} size={64} label={`step ${s + 1} of ${WALK_STEPS}`} testId="walk-step" />
            ))
          : 'decoding…'}
      </div>
    </div>
  );
}
