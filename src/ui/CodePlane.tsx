import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { unitStats } from '../analysis/latent-stats';
import { codeToPlane, MAX_GRID_SIDE, planeToCode, tileImages, type PlaneRange } from '../analysis/manifold-grid';
import { IMAGE_SIDE } from '../data/mnist-shape';
import type { UiAction } from '../state/app-state';
import type { LatentJob } from '../state/latent-state';
import { MIN_GRID_SIDE, type ManifoldState } from '../state/manifold';
import { DigitImage } from './DigitImage';
import { TAB10 } from './map/ScatterMap';

/** Largest drawn size of the plane (CSS pixels); narrower screens get the full width. */
const PLANE_SIZE = 560;
/** Grid sides offered in the select. */
const GRID_SIDES = [10, 15, 20, 30, MAX_GRID_SIDE].filter((side) => side >= MIN_GRID_SIDE);
/** How far one arrow key press moves the keyboard cursor, as a share of the plane. */
const KEY_STEP = 1 / 40;

/**
 * The latent plane of a run whose code has two numbers: the decoded manifold grid as one picture, the
 * data's codes as dots on the same axes, and the image decoded live wherever the pointer (or the
 * keyboard cursor) is.
 */
export function CodePlane({ latent, manifold, dispatch }: { latent: LatentJob; manifold: ManifoldState; dispatch: (action: UiAction) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [showCodes, setShowCodes] = useState(true);
  const [cursor, setCursor] = useState<[number, number] | null>(null);
  const { range, side, grid, hover } = manifold;
  // When each code was asked for, to show how long its decode took (pointer to picture, as a person sees it).
  const askedAt = useRef(new Map<string, number>());
  const [latencyMs, setLatencyMs] = useState<number | null>(null);
  const shown = hover?.shownCode ?? null;
  useEffect(() => {
    if (!shown) return;
    const key = codeKey(shown);
    const asked = askedAt.current.get(key);
    if (asked !== undefined) setLatencyMs(performance.now() - asked);
    askedAt.current.clear();
  }, [shown]);

  // The grid picture and the dots change rarely; the cursor with every move: it has its own canvas on top,
  // so a pointer move redraws one circle, not 313,600 pixels and every code.
  const cursorRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    drawPlane(context, canvas.width, grid ? tileImages(grid, side, IMAGE_SIDE) : null, side);
    if (showCodes && latent.latents && latent.labels) drawCodes(context, canvas.width, range, latent.latents, latent.labels, latent.count);
  }, [grid, side, showCodes, latent, range]);
  useEffect(() => {
    const canvas = cursorRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return;
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (cursor) drawCursor(context, canvas.width, cursor);
  }, [cursor]);

  const moveTo = (u: number, v: number) => {
    const clamped: [number, number] = [Math.min(1, Math.max(0, u)), Math.min(1, Math.max(0, v))];
    setCursor(clamped);
    const code = planeToCode(range, clamped[0], clamped[1]);
    if (!askedAt.current.has(codeKey(code))) askedAt.current.set(codeKey(code), performance.now());
    dispatch({ type: 'planeHovered', u: clamped[0], v: clamped[1] });
  };
  const onPointer = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    moveTo((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  };
  const onKey = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const [u, v] = cursor ?? [0.5, 0.5];
    const moves: Record<string, [number, number]> = { ArrowLeft: [-KEY_STEP, 0], ArrowRight: [KEY_STEP, 0], ArrowUp: [0, -KEY_STEP], ArrowDown: [0, KEY_STEP] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    moveTo(u + move[0], v + move[1]);
  };

  // A unit that is the same for every image (a ReLU unit that never fires stays at 0) leaves one number to the
  // whole code: the grid then repeats along that axis, and the page says why.
  const collapsed = useMemo(() => constantUnits(latent.latents, latent.count), [latent.latents, latent.count]);
  const fmt = (x: number) => x.toFixed(2);
  return (
    <div className="code-plane" data-testid="code-plane" data-side={side} data-grid={grid ? 'ready' : 'decoding'}>
      <p className="muted">
        This run's code has two numbers, so the latent space is a plane and needs no t-SNE: each image below is the decoder's output at the centre of its
        cell — the manifold the decoder learned. Dots are the {latent.count.toLocaleString('en')} codes of the data, coloured by digit. Point anywhere to
        decode that code.
      </p>
      {collapsed.length > 0 && (
        <p className="note" role="status" data-testid="plane-collapsed">
          {collapsed.length === 2
            ? 'Neither unit varies over the data: this code carries nothing, and every cell of the grid is the same digit.'
            : `Unit ${collapsed[0].unit} is nearly the same for every image (about ${fmt(collapsed[0].value)}: a unit that never fires — ReLU stays at 0, ELU near −1): this code uses only one of its two numbers, so the grid repeats along that axis and the digits line up along the other. Narrow bottlenecks often lose a unit this way; another seed may keep both.`}
        </p>
      )}
      <div className="map-toolbar">
        <label>
          Grid size{' '}
          <select aria-label="Grid size" value={side} onChange={(event) => dispatch({ type: 'manifoldRequested', side: Number(event.target.value) })}>
            {GRID_SIDES.map((s) => (
              <option key={s} value={s}>
                {s} × {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={showCodes} onChange={(event) => setShowCodes(event.target.checked)} /> Show the data's codes
        </label>
        <span className="muted">
          unit 0 from {fmt(range.xMin)} to {fmt(range.xMax)} (left → right), unit 1 from {fmt(range.yMin)} to {fmt(range.yMax)} (bottom → top); the
          outermost 0.5% of codes on each side lie outside
        </span>
      </div>
      <div className="plane-layout">
        <div className="plane-stack">
        <canvas ref={cursorRef} className="plane-cursor" width={PLANE_SIZE} height={PLANE_SIZE} aria-hidden="true" />
        <canvas
          ref={canvasRef}
          className="plane-canvas"
          width={PLANE_SIZE}
          height={PLANE_SIZE}
          tabIndex={0}
          role="img"
          aria-label={`Decoded ${side} × ${side} grid of the code plane; move the pointer or use the arrow keys to decode a code`}
          data-testid="plane-canvas"
          onPointerMove={onPointer}
          onPointerDown={onPointer}
          onKeyDown={onKey}
        />
        </div>
        <aside className="inspector-card" data-testid="plane-inspector" aria-live="polite">
          {hover?.image ? (
            <DigitImage pixels={hover.image} size={112} label="image decoded at the pointer" testId="plane-decoded" />
          ) : (
            <div className="digit placeholder big" />
          )}
          <div className="muted" data-testid="plane-code">
            {hover?.shownCode ? `code (${fmt(hover.shownCode[0])}, ${fmt(hover.shownCode[1])})` : 'Point at the plane to decode.'}
          </div>
          {latencyMs !== null && (
            <div className="muted" data-testid="plane-latency" data-ms={latencyMs.toFixed(1)} title="From the pointer's move to the decoded image, through the engine worker">
              decoded in {Math.round(latencyMs)} ms
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}

/**
 * The units (0, 1) of 2-number codes that hardly vary: dead by the same rule as the knobs (variance at most
 * DEAD_VARIANCE_SHARE of the larger unit's), or exactly constant when both are.
 */
function constantUnits(latents: Float32Array | null, count: number): { unit: number; value: number }[] {
  if (!latents || count === 0) return [];
  const stats = unitStats(latents, count, 2);
  const both = stats.variance[0] === 0 && stats.variance[1] === 0;
  return [0, 1].filter((unit) => both || stats.dead[unit]).map((unit) => ({ unit, value: stats.mean[unit] }));
}

/** A code as a map key (the same float32 rounding the decode request applies). */
function codeKey([x, y]: [number, number]): string {
  return `${Math.fround(x)},${Math.fround(y)}`;
}

/** The tiled grid picture (ink dark on light paper, as the other digits), or a blank while it decodes. */
function drawPlane(context: CanvasRenderingContext2D, size: number, picture: Float32Array | null, side: number) {
  context.fillStyle = '#fff';
  context.fillRect(0, 0, size, size);
  if (!picture) return;
  const width = side * IMAGE_SIDE;
  const image = new ImageData(width, width);
  for (let i = 0; i < picture.length; i++) {
    const value = 255 - Math.round(Math.min(1, Math.max(0, picture[i])) * 255);
    image.data[4 * i] = value;
    image.data[4 * i + 1] = value;
    image.data[4 * i + 2] = value;
    image.data[4 * i + 3] = 255;
  }
  const tiles = document.createElement('canvas');
  tiles.width = width;
  tiles.height = width;
  tiles.getContext('2d')?.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(tiles, 0, 0, size, size);
}

/** The data's codes as small dots on the plane's axes (codes outside the range are left out). */
function drawCodes(context: CanvasRenderingContext2D, size: number, range: PlaneRange, latents: Float32Array, labels: Uint8Array, count: number) {
  context.globalAlpha = 0.55;
  for (let i = 0; i < count; i++) {
    const [u, v] = codeToPlane(range, latents[2 * i], latents[2 * i + 1]);
    if (u < 0 || u > 1 || v < 0 || v > 1) continue;
    context.fillStyle = TAB10[labels[i] % TAB10.length];
    context.fillRect(u * size - 1, v * size - 1, 2, 2);
  }
  context.globalAlpha = 1;
}

function drawCursor(context: CanvasRenderingContext2D, size: number, [u, v]: [number, number]) {
  context.strokeStyle = '#d62728';
  context.lineWidth = 2;
  context.beginPath();
  context.arc(u * size, v * size, 8, 0, 2 * Math.PI);
  context.stroke();
}
