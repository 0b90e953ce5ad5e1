import { useCallback, useMemo, useRef, useState } from 'react';
import { checkNumber, numberFromText, type FieldErrors, type NumberLimit } from '../config/limits';
import { DEFAULT_MAP_SETTINGS, MAP_FORM_FIELDS, mapOptionsOf, TSNE_LIMITS, validateMapSettings, type MapSettings } from '../config/tsne-options';
import { DEFAULT_UMAP_SETTINGS, UMAP_LIMITS, umapOptionsOf, validateUmapSettings, type UmapSettings } from '../config/umap-options';
import { CLASS_COUNT, IMAGE_PIXELS } from '../data/mnist-shape';
import type { AppState, UiAction } from '../state/app-state';
import { WALK_STEPS, type LatentJob, type MapJob, type MapKind, type MapProgress } from '../state/latent-state';
import { MAP_QUALITY_MAX_POINTS } from '../worker/protocol';
import { digitAtlas } from './map/digit-atlas';
import { MapLegend, ScatterMap, type MapThumbnails } from './map/ScatterMap';
import { useLayoutTransition } from './map/useLayoutTransition';
import { CodePlane } from './CodePlane';
import { DigitImage } from './DigitImage';
import { FieldErrorsAlert, NumberField } from './NumberField';
import { ProgressBar } from './ProgressBar';
import { helpProps } from './metric-help';
import { Stat } from './Stat';
import { useThrottled } from './useThrottled';

const PHASE_TEXT = { knn: 'finding nearest neighbours', affinities: 'calibrating affinities', graph: 'building the fuzzy neighbour graph', optimise: 'optimising' } as const;

/** Each map kind's name as the page writes it. */
const KIND_NAME = { tsne: 't-SNE', pca: 'PCA', umap: 'UMAP' } as const;

/** Step 7: a map of the latent vectors (t-SNE or UMAP live, or exact PCA; a 2-number code is its own plane), with thumbnails, hover inspection and latent walks. */
export function MapPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { latent, map } = state.space;
  if (!latent || latent.status !== 'done') {
    return (
      <section className="card" aria-labelledby="map-title">
        <h2 id="map-title">
          <span className="step">7</span> Map
        </h2>
        <p className="muted">Compute latent vectors first (step 6); the map places similar codes near each other in two dimensions.</p>
      </section>
    );
  }
  return (
    <section className="card" aria-labelledby="map-title">
      <h2 id="map-title">
        <span className="step">7</span> Map
      </h2>
      <p className="muted" data-testid="map-source">
        Codes of run “{latent.runName}” for the {latent.split === 'all' ? 'training and test' : latent.split === 'train' ? 'training' : 'test'} images of{' '}
        {latent.dataset?.name ?? 'the data set'}.
      </p>
      {state.space.manifold && state.space.manifold.latentJobId === latent.jobId && (
        <CodePlane latent={latent} manifold={state.space.manifold} dispatch={dispatch} />
      )}
      <MapForm latent={latent} map={map} dispatch={dispatch} />
      {map && <MapView map={map} latent={latent} state={state} dispatch={dispatch} />}
    </section>
  );
}

/** The form's text per field: the t-SNE and UMAP settings plus the thumbnails drawn. */
type MapFormText = Record<keyof MapSettings | keyof UmapSettings | 'thumbnails', string>;

/** Digit thumbnails drawn on the map by default. */
const DEFAULT_THUMBNAILS = 200;

/** Thumbnails are a display choice, not a t-SNE option, so their limit lives with the map. */
const THUMBNAIL_LIMIT: NumberLimit = {
  label: 'Thumbnails',
  min: 0,
  max: 1000,
  integer: true,
  belowMin: '0 draws none',
  aboveMax: 'every thumbnail is redrawn with each frame of the map, and beyond 1,000 they hide each other and slow the redraw',
};

/** Id of the form's message list, which refused inputs point to. */
const ERRORS_ID = 'map-form-errors';

function MapForm({ latent, map, dispatch }: { latent: LatentJob; map: MapJob | null; dispatch: (action: UiAction) => void }) {
  const [form, setForm] = useState<MapFormText>(() => ({
    points: String(Math.min(DEFAULT_MAP_SETTINGS.points, latent.count)),
    perplexity: String(DEFAULT_MAP_SETTINGS.perplexity),
    learningRate: String(DEFAULT_MAP_SETTINGS.learningRate),
    iterations: String(DEFAULT_MAP_SETTINGS.iterations),
    thumbnails: String(DEFAULT_THUMBNAILS),
    seed: String(DEFAULT_MAP_SETTINGS.seed),
    nNeighbors: String(DEFAULT_UMAP_SETTINGS.nNeighbors),
    minDist: String(DEFAULT_UMAP_SETTINGS.minDist),
  }));
  const [errors, setErrors] = useState<FieldErrors<MapFormText>>({});
  const running = map?.status === 'running' || map?.status === 'cancelling';
  const fields: { key: keyof MapFormText; label: string; limit: NumberLimit }[] = [
    { key: 'points', label: `${TSNE_LIMITS.points.label} (first N of ${latent.count.toLocaleString('en')})`, limit: TSNE_LIMITS.points },
    { key: 'perplexity', label: 'Perplexity', limit: TSNE_LIMITS.perplexity },
    { key: 'learningRate', label: 'Learning rate', limit: TSNE_LIMITS.learningRate },
    { key: 'iterations', label: 'Iterations', limit: TSNE_LIMITS.iterations },
    { key: 'thumbnails', label: THUMBNAIL_LIMIT.label, limit: THUMBNAIL_LIMIT },
    { key: 'seed', label: 'Seed', limit: TSNE_LIMITS.seed },
    // umap-learn's own parameter names, so its documentation reads straight across.
    { key: 'nNeighbors', label: 'n_neighbors', limit: UMAP_LIMITS.nNeighbors },
    { key: 'minDist', label: 'min_dist', limit: UMAP_LIMITS.minDist },
  ];
  const submit = (kind: MapKind) => {
    const input: Partial<Record<keyof MapSettings, number | ''>> = {};
    for (const field of MAP_FORM_FIELDS) input[field] = numberFromText(form[field]);
    const result = validateMapSettings(input, { available: latent.count });
    const umap = validateUmapSettings(
      { points: input.points, seed: input.seed, nNeighbors: numberFromText(form.nNeighbors), minDist: numberFromText(form.minDist) },
      { available: latent.count },
    );
    // Each kind checks only its own settings: PCA has none beyond the points, UMAP ignores the t-SNE fields.
    const thumbnails = numberFromText(form.thumbnails);
    const thumbnailError = checkNumber(thumbnails, THUMBNAIL_LIMIT);
    const pointsError = result.ok ? undefined : result.errors.points;
    const settingErrors =
      kind === 'pca' ? (pointsError === undefined ? {} : { points: pointsError }) : kind === 'umap' ? (umap.ok ? {} : umap.errors) : result.ok ? {} : result.errors;
    const points = input.points;
    const found: FieldErrors<MapFormText> = { ...settingErrors, ...(thumbnailError === null ? {} : { thumbnails: thumbnailError }) };
    // A refused form starts nothing, so the map already shown stays.
    if (Object.keys(found).length > 0 || typeof thumbnails !== 'number' || typeof points !== 'number') return setErrors(found);
    setErrors({});
    if (kind === 'pca') dispatch({ type: 'pcaRequested', n: points, options: mapOptionsOf(DEFAULT_MAP_SETTINGS), thumbnails });
    else if (kind === 'umap' && umap.ok) dispatch({ type: 'umapRequested', n: umap.value.points, options: mapOptionsOf(DEFAULT_MAP_SETTINGS), umap: umapOptionsOf(umap.value), thumbnails });
    else if (kind === 'tsne' && result.ok) dispatch({ type: 'mapRequested', n: result.value.points, options: mapOptionsOf(result.value), thumbnails });
  };
  return (
    <>
      <form
        className="train-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit('tsne');
        }}
      >
        {fields.map((field) => (
          <NumberField
            key={field.key}
            name={field.key}
            label={field.label}
            limit={field.limit}
            value={form[field.key]}
            error={errors[field.key]}
            errorId={ERRORS_ID}
            disabled={running}
            onChange={(text) => setForm({ ...form, [field.key]: text })}
          />
        ))}
        <div className="buttons">
          <button type="submit" className="primary" disabled={running}>
            Run t-SNE
          </button>
          <button type="button" disabled={running} onClick={() => submit('pca')} title="Exact principal component analysis: the codes projected on their two directions of largest variance, in well under a second">
            PCA map
          </button>
          <button type="button" disabled={running} onClick={() => submit('umap')} title="UMAP (McInnes et al. 2018, umap-learn's algorithm and defaults) with the n_neighbors and min_dist above, the points and the seed; the map forms live">
            UMAP map
          </button>
          <button type="button" disabled={map?.status !== 'running'} onClick={() => dispatch({ type: 'cancelRequested', job: 'map' })}>
            Stop
          </button>
        </div>
      </form>
      <FieldErrorsAlert id={ERRORS_ID} errors={errors} />
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
  const latest = useThrottled(map.embedding, map.n > 20_000 ? 250 : 100);
  // The points move from the map shown before to this one, normalised to the canvas's shape.
  const plotBox = useRef<HTMLDivElement>(null);
  const aspect = useCallback(() => {
    const canvas = plotBox.current?.querySelector('canvas');
    return canvas && canvas.clientHeight > 0 ? canvas.clientWidth / canvas.clientHeight : 1;
  }, []);
  const transition = useLayoutTransition(map.previous, latest, map.n, aspect);
  const embedding = transition.xy;
  const classes = byCluster && kmeans ? kmeans.assignments : labels;
  const hover = state.space.hover;
  const walk = state.space.walk;
  const highlighted = useMemo(
    () => [hover?.index, walk?.a, walk?.b].filter((i): i is number => typeof i === 'number' && i < map.n),
    [hover?.index, walk?.a, walk?.b, map.n],
  );
  const progress = map.progress;
  return (
    <div className="map" data-testid="map" data-status={map.status} data-kind={map.kind} data-moving={transition.moving}>
      {(map.status === 'running' || map.status === 'cancelling') && (
        <ProgressBar
          value={progress?.phase === 'optimise' ? progress.fraction : 0}
          label={progress ? `${PHASE_TEXT[progress.phase]}${progress.phase === 'optimise' ? ` · ${stepText(map, progress)}` : ''}` : 'starting…'}
        />
      )}
      {map.message && (
        <p className={map.status === 'failed' ? 'alert' : 'note'} role="status">
          {map.message}
        </p>
      )}
      {map.quality && (
        <div className="stats">
          {map.kind === 'tsne' && (
            <Stat {...helpProps('kl')} value={map.quality.kl === null ? `n > ${MAP_QUALITY_MAX_POINTS.toLocaleString('en')}` : map.quality.kl.toFixed(3)} testId="map-kl" />
          )}
          <Stat {...helpProps('trustworthiness')} value={map.quality.trustworthiness === null ? '–' : map.quality.trustworthiness.toFixed(4)} testId="map-trust" />
          <Stat {...helpProps('knnAccuracy')} value={map.quality.knnAccuracy.toFixed(4)} testId="map-knn" />
          <Stat label="time" value={`${map.seconds.toFixed(1)} s`} testId="map-seconds" />
          <Stat label="points" value={map.n.toLocaleString('en')} testId="map-n" />
          {map.explained && (
            <Stat {...helpProps('pcaExplained')} value={`${((map.explained[0] + map.explained[1]) * 100).toFixed(1)}%`} testId="map-explained" />
          )}
        </div>
      )}
      <div className="map-toolbar">
        <span>Colour by</span>
        <button type="button" aria-pressed={!byCluster} onClick={() => setColourBy('digit')}>
          true digit
        </button>
        <button type="button" aria-pressed={byCluster} disabled={!kmeans} title={kmeans ? undefined : 'Run KMeans in step 6 first'} onClick={() => setColourBy('cluster')}>
          KMeans cluster
        </button>
        <span className="muted">Hover a point to inspect it; click two points to walk between their codes. Drag to pan, scroll to zoom.</span>
      </div>
      <div className="map-layout">
        <div ref={plotBox}>
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
              label={`${KIND_NAME[map.kind]} map of ${map.n.toLocaleString('en')} latent vectors, coloured by ${byCluster ? 'KMeans cluster' : 'true digit'}`}
              testId="map-plot"
            />
          )}
          <MapLegend title={byCluster ? 'cluster' : 'digit'} k={byCluster && kmeans ? kmeans.k : CLASS_COUNT} />
        </div>
        <HoverInspector state={state} latent={latent} />
      </div>
      <Walk state={state} latent={latent} />
    </div>
  );
}

/** "iteration 120 of 1000" for t-SNE, "epoch 40 of 500" for UMAP. */
function stepText(map: MapJob, progress: MapProgress): string {
  return 'iterations' in progress ? `epoch ${progress.iteration} of ${progress.iterations}` : `iteration ${progress.iteration} of ${map.options.iterations}`;
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
              <DigitImage key={s} pixels={walk.images?.subarray(s * IMAGE_PIXELS, (s + 1) * IMAGE_PIXELS) ?? new Float32Array(IMAGE_PIXELS)} size={64} label={`step ${s + 1} of ${WALK_STEPS}`} testId="walk-step" />
            ))
          : 'decoding…'}
      </div>
    </div>
  );
}
