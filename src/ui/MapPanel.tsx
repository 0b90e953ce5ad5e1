import { useCallback, useMemo, useRef, useState } from 'react';
import { numberFromText, type FieldErrors, type NumberLimit } from '../config/limits';
import { DEFAULT_MAP_SETTINGS, MAP_FORM_FIELDS, mapOptionsOf, TSNE_LIMITS, validateMapSettings, type MapSettings } from '../config/tsne-options';
import { DEFAULT_UMAP_SETTINGS, UMAP_LIMITS, umapOptionsOf, validateUmapSettings, type UmapSettings } from '../config/umap-options';
import { CLASS_COUNT, IMAGE_PIXELS } from '../data/mnist-shape';
import type { AppState, UiAction } from '../state/app-state';
import type { LatentJob, MapJob, MapKind, MapProgress } from '../state/latent-state';
import type { UrlView } from '../state/url-state';
import { MAP_QUALITY_MAX_POINTS } from '../worker/protocol';
import { atlasBytes } from './map/digit-atlas';
import { DEFAULT_THUMBNAIL_SIZE, MapLegend, ScatterMap, TAB10, type MapThumbnails } from './map/ScatterMap';
import { useLayoutTransition } from './map/useLayoutTransition';
import { useThumbnailAtlas } from './map/useThumbnailAtlas';
import { CodePlane } from './CodePlane';
import { FindBar, NeighboursPanel, SelectionPanel, Walk } from './ExplorerPanels';
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
      {state.mapView.pending && (
        <p className="note" role="status" data-testid="pending-view">
          This page was opened with a shared view{state.mapView.pending.map ? ` of a ${state.mapView.pending.map.kind === 'pca' ? 'PCA' : 't-SNE'} map` : ''}: it is applied to the next map made
          {state.mapView.pending.map ? ' (its settings are filled in below)' : ''}.
        </p>
      )}
      <MapForm latent={latent} map={map} preset={state.mapView.pending?.map ?? null} dispatch={dispatch} />
      {map && <MapView map={map} latent={latent} state={state} dispatch={dispatch} />}
    </section>
  );
}

/** The form's text per field: the t-SNE and UMAP settings. */
type MapFormText = Record<keyof MapSettings | keyof UmapSettings, string>;

/** The palette as 0xRRGGBB numbers, for tinting the thumbnails. */
const TAB10_RGB: readonly number[] = TAB10.map((hex) => Number.parseInt(hex.slice(1), 16));

/** Thumbnail sizes on offer, CSS pixels (28: an MNIST digit at its own size). */
const THUMBNAIL_SIZES = [20, DEFAULT_THUMBNAIL_SIZE, 40] as const;

/** Id of the form's message list, which refused inputs point to. */
const ERRORS_ID = 'map-form-errors';

function MapForm({ latent, map, preset, dispatch }: { latent: LatentJob; map: MapJob | null; preset: UrlView["map"]; dispatch: (action: UiAction) => void }) {
  // A shared link's map settings fill the form; the person starts the map (it needs their run's codes).
  const start = preset?.settings ?? DEFAULT_MAP_SETTINGS;
  const [form, setForm] = useState<MapFormText>(() => ({
    points: String(Math.min(start.points, latent.count)),
    perplexity: String(start.perplexity),
    learningRate: String(start.learningRate),
    iterations: String(start.iterations),
    seed: String(start.seed),
    nNeighbors: String(preset?.umap?.nNeighbors ?? DEFAULT_UMAP_SETTINGS.nNeighbors),
    minDist: String(preset?.umap?.minDist ?? DEFAULT_UMAP_SETTINGS.minDist),
  }));
  const [errors, setErrors] = useState<FieldErrors<MapFormText>>({});
  const running = map?.status === 'running' || map?.status === 'cancelling';
  const fields: { key: keyof MapFormText; label: string; limit: NumberLimit }[] = [
    { key: 'points', label: `${TSNE_LIMITS.points.label} (first N of ${latent.count.toLocaleString('en')})`, limit: TSNE_LIMITS.points },
    { key: 'perplexity', label: 'Perplexity', limit: TSNE_LIMITS.perplexity },
    { key: 'learningRate', label: 'Learning rate', limit: TSNE_LIMITS.learningRate },
    { key: 'iterations', label: 'Iterations', limit: TSNE_LIMITS.iterations },
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
    const pointsError = result.ok ? undefined : result.errors.points;
    const found: FieldErrors<MapFormText> =
      kind === 'pca' ? (pointsError === undefined ? {} : { points: pointsError }) : kind === 'umap' ? (umap.ok ? {} : umap.errors) : result.ok ? {} : result.errors;
    const points = input.points;
    // A refused form starts nothing, so the map already shown stays.
    if (Object.keys(found).length > 0 || typeof points !== 'number') return setErrors(found);
    setErrors({});
    // Every point of the map can be a thumbnail (784 bytes each): the map's level of detail decides how many show.
    const thumbnails = points;
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
  const byCluster = state.mapView.colour === 'cluster' && kmeans !== null;
  const labels = latent.labels;
  const finished = map.status === 'done' || map.status === 'cancelled';
  const showThumbnails = state.mapView.thumbs;
  const [thumbnailSize, setThumbnailSize] = useState<number>(DEFAULT_THUMBNAIL_SIZE);
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
  // Tinted with the colouring in use: switching digit ↔ cluster tints the atlas again, in place.
  const built = useThumbnailAtlas(map.thumbs, map.thumbIndices, classes, TAB10_RGB);
  const thumbnails = useMemo(
    (): MapThumbnails | null => (built.atlas ? { atlas: built.atlas, indices: map.thumbIndices, version: built.version } : null),
    [built.atlas, built.version, map.thumbIndices],
  );
  const thumbCount = map.thumbIndices.length;
  const hover = state.space.hover;
  const walk = state.space.walk;
  const { selection, focus } = state.space;
  const [lassoMode, setLassoMode] = useState(false);
  const highlighted = useMemo(
    () => [focus?.index, hover?.index, walk?.a, walk?.b].filter((i): i is number => typeof i === 'number' && i < map.n),
    [focus?.index, hover?.index, walk?.a, walk?.b, map.n],
  );
  const marked = useMemo(() => (focus ? Array.from(focus.neighbours) : []), [focus]);
  const progress = map.progress;
  return (
    <div
      className="map"
      data-testid="map"
      data-status={map.status}
      data-kind={map.kind}
      data-moving={transition.moving}
      onKeyDown={(event) => {
        if (event.key === 'Escape' && selection) dispatch({ type: 'selectionCleared' });
      }}
    >
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
          <Stat label="time" value={`${map.seconds.toFixed(1)} s${map.threads > 1 ? ` · ${map.threads} threads` : ''}`} testId="map-seconds" />
          <Stat label="points" value={map.n.toLocaleString('en')} testId="map-n" />
          {map.explained && (
            <Stat {...helpProps('pcaExplained')} value={`${((map.explained[0] + map.explained[1]) * 100).toFixed(1)}%`} testId="map-explained" />
          )}
        </div>
      )}
      <div className="map-toolbar">
        <span>Colour by</span>
        <button type="button" aria-pressed={!byCluster} onClick={() => dispatch({ type: 'mapColourChosen', colour: 'digit' })}>
          true digit
        </button>
        <button type="button" aria-pressed={byCluster} disabled={!kmeans} title={kmeans ? undefined : 'Run KMeans in step 6 first'} onClick={() => dispatch({ type: 'mapColourChosen', colour: 'cluster' })}>
          KMeans cluster
        </button>
        <button type="button" aria-pressed={lassoMode} onClick={() => setLassoMode(!lassoMode)} title="On a touch screen: drag to draw a lasso instead of panning">
          Lasso mode
        </button>
        <span className="muted">
          Hover a point to inspect it, click it for its nearest codes. Shift+drag draws a lasso (Ctrl/⌘ adds to the selection), Shift+click adds or removes one point,
          Escape clears. Drag to pan, scroll to zoom.
        </span>
      </div>
      {thumbCount > 0 && (
        <div className="map-toolbar" data-testid="thumbnail-controls" data-atlas={built.atlas && built.fraction === 1 ? 'ready' : 'building'}>
          <label>
            <input type="checkbox" checked={showThumbnails} onChange={(event) => dispatch({ type: 'thumbnailsToggled', on: event.target.checked })} /> Thumbnails
          </label>
          <label>
            Thumbnail size{' '}
            <select value={thumbnailSize} disabled={!showThumbnails} onChange={(event) => setThumbnailSize(Number(event.target.value))}>
              {THUMBNAIL_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size} px
                </option>
              ))}
            </select>
          </label>
          <span className="muted" data-testid="thumbnail-memory">
            {thumbCount.toLocaleString('en')} digits: {(thumbCount * IMAGE_PIXELS / 2 ** 20).toFixed(1)} MiB of pixels, {(atlasBytes(thumbCount) / 2 ** 20).toFixed(1)} MiB of atlas
            {map.thumbs ? '' : ' (fetching…)'}
          </span>
          {built.slow && <ProgressBar value={built.fraction} label="drawing thumbnails" />}
        </div>
      )}
      <FindBar latent={latent} map={map} dispatch={dispatch} />
      <div className="map-layout">
        <div ref={plotBox}>
          {labels && classes && (
            <ScatterMap
              key={map.jobId}
              xy={embedding}
              n={map.n}
              classes={classes}
              thumbnails={finished && showThumbnails ? thumbnails : null}
              thumbnailSize={thumbnailSize}
              highlighted={highlighted}
              onHover={(index) => dispatch({ type: 'mapHovered', index })}
              onClick={(index) => dispatch({ type: 'mapClicked', index })}
              selected={selection?.indices ?? null}
              marked={marked}
              focusIndex={focus?.index ?? null}
              lassoMode={lassoMode}
              onLasso={(polygon, add) => dispatch({ type: 'lassoDrawn', polygon, add })}
              onToggle={(index) => dispatch({ type: 'pointToggled', index })}
              initialView={state.mapView.view}
              onViewChange={(view) => dispatch({ type: 'mapViewMoved', view })}
              label={`${KIND_NAME[map.kind]} map of ${map.n.toLocaleString('en')} latent vectors, coloured by ${byCluster ? 'KMeans cluster' : 'true digit'}`}
              testId="map-plot"
            />
          )}
          <MapLegend title={byCluster ? 'cluster' : 'digit'} k={byCluster && kmeans ? kmeans.k : CLASS_COUNT} />
        </div>
        <HoverInspector state={state} latent={latent} />
      </div>
      {focus && <NeighboursPanel key={focus.index} latent={latent} focus={focus} dispatch={dispatch} />}
      {selection && <SelectionPanel state={state} latent={latent} selection={selection} dispatch={dispatch} />}
      <Walk state={state} latent={latent} dispatch={dispatch} />
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

