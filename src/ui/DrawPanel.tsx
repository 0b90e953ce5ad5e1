import { useCallback, useEffect, useMemo, useRef } from 'react';
import { inverseDistancePosition, nearestCentroid, nearestCodes, placementMethod } from '../analysis/placement';
import { drawingToImage, type Stroke } from '../data/drawing';
import { IMAGE_PIXELS } from '../data/mnist-shape';
import { ARCHITECTURES } from '../models/arch-spec';
import { drawRuns, finishedRuns, trainedElsewhere, type AppState, type RunState, type UiAction } from '../state/app-state';
import { DRAW_NEIGHBOURS, type DrawAnswer, type DrawNeighbours, type DrawResult } from '../state/drawing';
import type { LatentJob, MapJob } from '../state/latent-state';
import type { KMeansSummary } from '../worker/protocol';
import { CANVAS_UNITS, DrawingCanvas, PEN_RADIUS } from './DrawingCanvas';
import { DigitImage } from './DigitImage';
import { TAB10 } from './map/ScatterMap';
import { useThrottled } from './useThrottled';

/** Step 8: draw a digit, see it as MNIST would have it, and what each chosen run makes of it. */
export function DrawPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const finished = finishedRuns(state);
  const selected = drawRuns(state);
  const { image } = state.drawing;
  const onChange = useCallback(
    (strokes: readonly Stroke[]) => dispatch({ type: 'drawingChanged', image: drawingToImage(strokes, CANVAS_UNITS, CANVAS_UNITS, PEN_RADIUS) }),
    [dispatch],
  );
  return (
    <section className="card" aria-labelledby="draw-title">
      <h2 id="draw-title">
        <span className="step">8</span> Draw a digit
      </h2>
      <p className="muted explain">
        Your drawing is prepared the way MNIST's digits were: its bounding box is scaled to fit a 20 × 20 box (keeping its shape, each pixel
        the average ink of the area it covers), then placed in the 28 × 28 field with its centre of mass in the middle.
      </p>
      <div className="draw-layout">
        <DrawingCanvas onChange={onChange} />
        <div className="draw-input">
          <h3>What the models see</h3>
          {image ? (
            <DigitImage pixels={image} size={112} label="your digit as a 28 × 28 MNIST-style image" testId="draw-input" />
          ) : (
            <p className="note" role="status" data-testid="draw-empty">
              Draw a digit first.
            </p>
          )}
        </div>
      </div>
      {finished.length === 0 ? (
        <p className="muted">Train a model (step 3) to see what it makes of your digit.</p>
      ) : (
        <fieldset className="toggles">
          <legend>Runs</legend>
          {finished.map((run) => (
            <label key={run.id} className="toggle">
              <input type="checkbox" checked={selected.some((r) => r.id === run.id)} onChange={() => dispatch({ type: 'drawRunToggled', runId: run.id })} />
              {run.name}
              {trainedElsewhere(state, run) ? ` (trained on ${run.dataset.name})` : ''}
            </label>
          ))}
        </fieldset>
      )}
      {image && (
        <div className="draw-results">
          {selected.map((run) => (
            <RunAnswer key={run.id} run={run} result={state.drawing.results[run.id] ?? null} state={state} />
          ))}
        </div>
      )}
    </section>
  );
}

/** One run's answer: reconstruction, MSE, code; with that run's latents loaded, its cluster, neighbours and map position. */
function RunAnswer({ run, result, state }: { run: RunState; result: DrawResult | null; state: AppState }) {
  const answer = result?.answer ?? null;
  const pending = result?.pendingJobId != null;
  const latent = state.space.latent?.status === 'done' && state.space.latent.runId === run.id ? state.space.latent : null;
  const kmeans = state.space.kmeans;
  const summary = latent && kmeans?.status === 'done' && kmeans.latentJobId === latent.jobId ? kmeans.summary : null;
  const neighbours = state.drawing.neighbours?.runId === run.id ? state.drawing.neighbours : null;
  return (
    <article className="draw-run" data-testid="draw-run" data-run-id={run.id} data-pending={pending}>
      <h3>
        {run.name} <span className="muted small">{ARCHITECTURES[run.settings.arch].label}</span>
      </h3>
      {result?.message && (
        <p className="alert" role="alert">
          {result.message}
        </p>
      )}
      {answer ? (
        <>
          <div className="draw-answer">
            <figure className="recon-pair">
              <DigitImage pixels={answer.reconstruction} size={84} label={`reconstruction by ${run.name}`} testId="draw-reconstruction" />
              <figcaption>
                MSE <strong data-testid="draw-mse">{answer.mse.toFixed(4)}</strong>
                {pending ? ' · updating…' : ''}
              </figcaption>
            </figure>
            <CodeBars code={answer.code} />
          </div>
          {latent && <LatentPlace latent={latent} answer={answer} summary={summary} neighbours={neighbours} map={state.space.map} />}
          {!latent && <p className="muted small">Compute this run's latent vectors (step 6) to see its nearest training digits, cluster and place on the map.</p>}
        </>
      ) : (
        <p className="muted">{result?.message ? '' : 'encoding…'}</p>
      )}
    </article>
  );
}

/** The code as bars about a zero line, scaled to its largest magnitude; one bar per number, however many. */
function CodeBars({ code }: { code: Float32Array }) {
  const dim = code.length;
  const scale = Math.max(1e-6, ...Array.from(code, Math.abs));
  const barWidth = 6;
  const half = 30;
  return (
    <figure className="code-bars">
      <svg viewBox={`0 0 ${dim * barWidth} ${2 * half}`} preserveAspectRatio="none" role="img" aria-label={`its code: ${dim} numbers`} data-testid="draw-code" data-dim={dim}>
        <line x1={0} x2={dim * barWidth} y1={half} y2={half} stroke="#c9ced8" strokeWidth={0.5} />
        {Array.from(code, (value, j) => {
          const h = (Math.abs(value) / scale) * (half - 1);
          return <rect key={j} data-testid="draw-code-bar" x={j * barWidth + 1} width={barWidth - 2} y={value >= 0 ? half - h : half} height={Math.max(0.5, h)} fill="#3267d6" />;
        })}
      </svg>
      <figcaption>
        code: {dim} numbers, largest |value| {scale.toFixed(2)}
      </figcaption>
    </figure>
  );
}

/** The drawing among the latent space step's codes: nearest KMeans centre, nearest training digits, map position. */
function LatentPlace({ latent, answer, summary, neighbours, map }: { latent: LatentJob; answer: DrawAnswer; summary: KMeansSummary | null; neighbours: DrawNeighbours | null; map: MapJob | null }) {
  const cluster = useMemo(() => {
    if (!summary || summary.centroids.length !== summary.k * answer.dim) return null;
    return nearestCentroid(summary.centroids, summary.k, answer.dim, answer.code);
  }, [summary, answer]);
  const splitName = latent.split === 'all' ? 'training and test' : latent.split === 'train' ? 'training' : 'test';
  return (
    <div className="draw-place" data-testid="draw-place">
      {cluster && (
        <p data-testid="draw-cluster">
          KMeans cluster <strong>{cluster.index}</strong> (nearest of the {summary?.k} centres, distance {cluster.distance.toFixed(3)})
        </p>
      )}
      <h4>
        Its {DRAW_NEIGHBOURS} nearest {splitName} digits in latent space
      </h4>
      {neighbours ? (
        <div className="digit-strip" data-testid="draw-neighbours">
          {Array.from(neighbours.indices, (index, s) => (
            <figure key={index} className="recon-pair" data-testid="draw-neighbour">
              {neighbours.images ? (
                <DigitImage pixels={neighbours.images.subarray(s * IMAGE_PIXELS, (s + 1) * IMAGE_PIXELS)} size={48} label={`image ${index}, a ${neighbours.labels[s]}`} />
              ) : (
                <div className="digit placeholder small" />
              )}
              <figcaption>
                {neighbours.labels[s]} · {neighbours.distances[s].toFixed(2)}
              </figcaption>
            </figure>
          ))}
        </div>
      ) : (
        <p className="muted small">searching…</p>
      )}
      {map?.embedding && latent.latents && latent.labels && <MiniMap map={map} latents={latent.latents} labels={latent.labels} answer={answer} />}
    </div>
  );
}

/** A map without a frame yet. */
const NO_POINTS = new Float32Array(0);

/** CSS pixels of the mini-map's side. */
const MINI_MAP_SIDE = 240;

/** The current t-SNE map, small, with the drawing placed on it out of sample. */
function MiniMap({ map, latents, labels, answer }: { map: MapJob; latents: Float32Array; labels: Uint8Array; answer: DrawAnswer }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // A forming map sends frames faster than anyone follows (as in step 7); the last one always lands.
  const embedding = useThrottled(map.embedding, 250) ?? NO_POINTS;
  const n = Math.min(map.n, embedding.length / 2);
  const bounds = useMemo(() => {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity; // prettier-ignore
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, embedding[2 * i]);
      maxX = Math.max(maxX, embedding[2 * i]);
      minY = Math.min(minY, embedding[2 * i + 1]);
      maxY = Math.max(maxY, embedding[2 * i + 1]);
    }
    const span = Math.max(maxX - minX, maxY - minY, 1e-9);
    return { minX, minY, span };
  }, [embedding, n]);
  // The neighbours depend on the codes only; the position follows the map's frames as they come.
  const neighbours = useMemo(() => (n >= 1 && latents.length >= n * answer.dim ? nearestCodes(latents, n, answer.dim, answer.code, DRAW_NEIGHBOURS) : null), [latents, n, answer]);
  const placed = useMemo(() => (neighbours ? { ...inverseDistancePosition(embedding, neighbours), neighbours } : null), [neighbours, embedding]);
  // Data → fraction of the square (y up on the map, down on the screen), with a small margin.
  const fx = useCallback((x: number) => 0.04 + (0.92 * (x - bounds.minX)) / bounds.span, [bounds]);
  const fy = useCallback((y: number) => 0.04 + (0.92 * (y - bounds.minY)) / bounds.span, [bounds]);
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const side = canvas.width;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, side, side);
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = TAB10[labels[i] % TAB10.length];
      ctx.fillRect(Math.round(fx(embedding[2 * i]) * side) - 1, Math.round((1 - fy(embedding[2 * i + 1])) * side) - 1, 3, 3);
    }
  }, [embedding, labels, n, fx, fy, placed]);
  if (!placed) return null;
  const left = fx(placed.x) * 100;
  const top = (1 - fy(placed.y)) * 100;
  return (
    <figure className="mini-map">
      <div className="mini-map-box" style={{ width: MINI_MAP_SIDE, maxWidth: '100%' }}>
        <canvas ref={canvasRef} width={MINI_MAP_SIDE * 2} height={MINI_MAP_SIDE * 2} role="img" aria-label={`the t-SNE map of ${n.toLocaleString('en')} codes with your digit marked`} />
        <span className="mini-map-marker" style={{ left: `${left}%`, top: `${top}%` }} data-testid="draw-map-marker" data-x={placed.x} data-y={placed.y} title="your digit" />
      </div>
      <figcaption className="muted small" data-testid="draw-map-method">
        Points coloured by true digit; the ring is your digit. {placementMethod(placed.neighbours.indices.length)}
      </figcaption>
    </figure>
  );
}
