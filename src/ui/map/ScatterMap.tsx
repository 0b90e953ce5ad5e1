import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { ATLAS_CELL, atlasCell, type ThumbnailAtlas } from './digit-atlas';
import { chooseThumbnails, type LodScratch } from './thumbnail-lod';
import {
  PointGrid,
  fitView,
  markerRadius,
  packColour,
  panBy,
  rasterise,
  toDataX,
  toDataY,
  toScreenX,
  toScreenY,
  zoomAt,
  type MapCanvasElement,
  type View,
} from './scatter-view';

/** matplotlib's tab10, the reference plot's palette: one clearly distinct colour per digit. */
export const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const PALETTE = Uint32Array.from(TAB10, (hex) => packColour(hex));
const HEIGHT = 560;
const PADDING = 24;
/** How close (CSS pixels) the mouse must be to a point to hover or click it. */
const PICK_RADIUS = 10;
/** A press that moves less than this (CSS pixels) is a click, more is a pan. */
const CLICK_SLOP = 4;

/** Thumbnails drawn on the map: atlas cell t shows point indices[t]. */
export interface MapThumbnails {
  atlas: ThumbnailAtlas;
  indices: ArrayLike<number>;
  /** changes whenever the atlas's pixels do (built or tinted chunk by chunk), so the map redraws */
  version: number;
}

/** Default on-screen side of a thumbnail, CSS pixels: an MNIST digit at its own size. */
export const DEFAULT_THUMBNAIL_SIZE = 28;
/** The hovered or selected thumbnail is drawn this much larger, on a plate, above the others. */
const HIGHLIGHT_SCALE = 2;

/**
 * A zoomable, pannable scatter plot for up to 70,000 points on a 2-D canvas: points are rasterised into
 * one pixel buffer (no WebGL, so it needs no `eval`-compiled shaders and works under a strict CSP and on
 * machines without a GPU), thumbnails and highlight rings are drawn on top. Hover and click find the
 * nearest point through a grid index. Keyboard: + and − zoom, arrow keys pan, 0 resets the view.
 * Give each new map its own `key` so it starts fitted to its points.
 */
export function ScatterMap({
  xy,
  n,
  classes,
  thumbnails,
  thumbnailSize = DEFAULT_THUMBNAIL_SIZE,
  highlighted,
  onHover,
  onClick,
  label,
  testId,
  selected = null,
  marked = [],
  focusIndex = null,
  lassoMode = false,
  onLasso,
  onToggle,
  initialView = null,
  onViewChange,
}: {
  xy: Float32Array | null;
  n: number;
  classes: ArrayLike<number>;
  /** null draws points only */
  thumbnails: MapThumbnails | null;
  /** side of a thumbnail on screen, CSS pixels: fixed whatever the zoom (more appear as one zooms in) */
  thumbnailSize?: number;
  /** points to ring, e.g. the hovered one and a walk's ends */
  highlighted: readonly number[];
  onHover(index: number): void;
  onClick(index: number): void;
  label: string;
  testId?: string;
  /** selected rows (ascending), drawn with a dark outline */
  selected?: Int32Array | null;
  /** rows to ring in the accent colour, e.g. a focused point's latent neighbours */
  marked?: readonly number[];
  /** the focused row: the view pans to it when it is off screen */
  focusIndex?: number | null;
  /** touch-friendly lasso: a plain drag draws a lasso instead of panning */
  lassoMode?: boolean;
  /** a lasso was drawn: its outline in data coordinates; `add` keeps the selection (Ctrl/⌘ or Shift in lasso mode) */
  onLasso?(polygon: number[], add: boolean): void;
  /** shift-click on a point */
  onToggle?(index: number): void;
  /** the view to start from, once the points are known: zoom relative to the fitted view, data point at the centre */
  initialView?: MapViewport | null;
  /** the person zoomed or panned (null: back to the fitted view); called at most every few hundred ms */
  onViewChange?(view: MapViewport | null): void;
}) {
  const canvasRef = useRef<MapCanvasElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const [cssWidth, setCssWidth] = useState(800);
  /** null = follow the data (fit every frame); set once the person zooms or pans */
  const [userView, setUserView] = useState<View | null>(null);
  const pixelRatio = typeof window === 'undefined' ? 1 : Math.min(2, window.devicePixelRatio || 1);
  const width = Math.round(cssWidth * pixelRatio);
  const height = Math.round(HEIGHT * pixelRatio);
  const fitted = useMemo(() => (xy ? fitView(xy, n, width, height, PADDING * pixelRatio) : null), [xy, n, width, height, pixelRatio]);
  const view = userView ?? fitted;
  // A view from a shared link, applied once the map's points give the fitted view it is relative to.
  const initialApplied = useRef(false);
  useEffect(() => {
    if (initialApplied.current || !fitted || !initialView) return;
    initialApplied.current = true;
    const scale = fitted.scale * initialView.zoom;
    setUserView({ scale, offsetX: width / 2 - initialView.cx * scale, offsetY: height / 2 + initialView.cy * scale });
  }, [fitted, initialView, width, height]);
  // The view as a zoom and centre, reported when it has been still for a moment (the address follows it).
  const reportRef = useRef(onViewChange);
  reportRef.current = onViewChange;
  const lastReported = useRef<View | null>(null);
  useEffect(() => {
    const report = reportRef.current;
    if (!report || !fitted || userView === lastReported.current) return;
    lastReported.current = userView;
    const timer = setTimeout(() => {
      report(userView ? { zoom: userView.scale / fitted.scale, cx: toDataX(userView, width / 2), cy: toDataY(userView, height / 2) } : null);
    }, 300);
    return () => clearTimeout(timer);
    // Only the person's moves are reported; a new fitted view (frames of a running map) is not a move.
  }, [userView]);
  // The index is rebuilt lazily, on the first pointer move after the points changed.
  const gridRef = useRef<{ xy: Float32Array; grid: PointGrid } | null>(null);
  const hoverRef = useRef(-1);
  const dragRef = useRef<{ x: number; y: number; moved: boolean; view: View } | null>(null);
  /** the lasso being drawn, in canvas pixels, and whether it adds to the selection */
  const lassoRef = useRef<{ points: number[]; add: boolean; shift: boolean } | null>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const [lassoTick, setLassoTick] = useState(0);

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const observer = new ResizeObserver(([entry]) => setCssWidth(Math.max(200, Math.floor(entry.contentRect.width))));
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  // Which atlas cell each point has (−1: none), for the level-of-detail choice.
  const slots = useMemo(() => {
    if (!thumbnails) return null;
    const slotOf = new Int32Array(n).fill(-1);
    const { indices } = thumbnails;
    for (let t = 0; t < Math.min(indices.length, thumbnails.atlas.count); t++) if (indices[t] >= 0 && indices[t] < n) slotOf[indices[t]] = t;
    return slotOf;
  }, [thumbnails?.indices, thumbnails?.atlas, n]);
  const lodScratch = useRef<LodScratch>({ best: new Int32Array(0), bestD2: new Float64Array(0) });
  /** what the last frame drew, for the test hooks */
  const drawnRef = useRef<{ thumbnails: Int32Array; onTop: number[]; frames: number }>({ thumbnails: new Int32Array(0), onTop: [], frames: 0 });

  // The latest picture to draw, and whether a frame is already asked for. A change does not cancel a
  // pending frame and ask for another (with an input every frame, e.g. a wheel or a drag, that dropped
  // every other frame): it replaces what the one pending frame will draw.
  const paintRef = useRef<(() => void) | null>(null);
  const frameRef = useRef(0);
  const imageRef = useRef<ImageData | null>(null);
  useEffect(() => () => {
    cancelAnimationFrame(frameRef.current);
    frameRef.current = 0;
    paintRef.current = null;
  }, []);

  // A layout effect: the frame is asked for during the commit itself, so an input's picture is drawn in the
  // very next frame (a passive effect can run after that frame's animation callbacks, a frame late).
  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    const context = canvas?.getContext('2d');
    if (!canvas || !context || !view) return;
    paintRef.current = () => {
      // One pixel buffer reused frame after frame (2.8 MB at 1280 × 560): no garbage per frame.
      let image = imageRef.current;
      if (!image || image.width !== width || image.height !== height) image = imageRef.current = context.createImageData(width, height);
      const pixels = new Uint32Array(image.data.buffer);
      pixels.fill(0);
      if (xy) rasterise(pixels, width, height, view, xy, n, classes, PALETTE, markerRadius(n, pixelRatio));
      context.putImageData(image, 0, 0);
      let drawn: Int32Array = new Int32Array(0);
      if (xy && thumbnails && slots && !thumbnails.atlas.freed) {
        drawn = drawThumbnails(context, view, xy, n, thumbnails.atlas, slots, Math.round(thumbnailSize * pixelRatio), lodScratch.current);
      }
      drawnRef.current = { ...drawnRef.current, thumbnails: drawn, frames: drawnRef.current.frames + 1 };
    };
    if (frameRef.current === 0) {
      frameRef.current = requestAnimationFrame(() => {
        frameRef.current = 0;
        paintRef.current?.();
      });
    }
  }, [xy, n, classes, thumbnails, slots, thumbnailSize, view, width, height, pixelRatio]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    // The highlighted ones are drawn on the overlay, above all the others.
    canvas.drawnThumbnails = () => [...Array.from(drawnRef.current.thumbnails).filter((i) => !drawnRef.current.onTop.includes(i)), ...drawnRef.current.onTop];
    canvas.framesDrawn = () => drawnRef.current.frames;
  }, []);

  // Selection, marks, the hovered and other highlighted points and the lasso live on an overlay canvas: a hover
  // or a lasso stroke redraws a few shapes, never the 70,000 points and their thumbnails underneath.
  useLayoutEffect(() => {
    const overlay = overlayRef.current;
    const context = overlay?.getContext('2d');
    if (!overlay || !context) return;
    context.clearRect(0, 0, overlay.width, overlay.height);
    let onTop: number[] = [];
    if (xy && view) {
      drawOverlay(context, view, xy, n, selected, marked, pixelRatio);
      const withThumbnail = (index: number) => Boolean(thumbnails && slots && !thumbnails.atlas.freed && slots[index] >= 0);
      if (thumbnails && slots && !thumbnails.atlas.freed) {
        onTop = drawHighlights(context, view, xy, n, thumbnails.atlas, slots, Math.round(thumbnailSize * pixelRatio), highlighted.filter(withThumbnail), pixelRatio);
      }
      drawRings(context, view, xy, highlighted.filter((index) => !withThumbnail(index)), pixelRatio);
    }
    drawnRef.current = { ...drawnRef.current, onTop };
    const lasso = lassoRef.current;
    if (lasso && lasso.points.length >= 4) drawLasso(context, lasso.points, pixelRatio);
  }, [xy, n, view, selected, marked, highlighted, thumbnails, slots, thumbnailSize, pixelRatio, lassoTick, width, height]);

  // A focused point off screen (found by search, or a neighbour) is brought to the centre.
  useEffect(() => {
    if (focusIndex === null || !xy || !view || focusIndex < 0 || focusIndex >= n) return;
    const sx = toScreenX(view, xy[2 * focusIndex]);
    const sy = toScreenY(view, xy[2 * focusIndex + 1]);
    if (sx >= 0 && sx < width && sy >= 0 && sy < height) return;
    setUserView(panBy(view, width / 2 - sx, height / 2 - sy));
    // Only a new focus moves the view; the view changing must not re-centre it.
  }, [focusIndex]);

  const nearestTo = useCallback(
    (clientX: number, clientY: number): number => {
      const canvas = canvasRef.current;
      if (!canvas || !xy || !view) return -1;
      if (gridRef.current?.xy !== xy) gridRef.current = { xy, grid: new PointGrid(xy, n) };
      const rect = canvas.getBoundingClientRect();
      const sx = (clientX - rect.left) * pixelRatio;
      const sy = (clientY - rect.top) * pixelRatio;
      return gridRef.current.grid.nearest(toDataX(view, sx), toDataY(view, sy), (PICK_RADIUS * pixelRatio) / view.scale);
    },
    [xy, n, view, pixelRatio],
  );

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    canvas.locatePoint = (index) => {
      if (!xy || !view || index < 0 || index >= n) return null;
      const sx = toScreenX(view, xy[2 * index]);
      const sy = toScreenY(view, xy[2 * index + 1]);
      if (!(sx >= 0 && sx < width && sy >= 0 && sy < height)) return null;
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + sx / pixelRatio, y: rect.top + sy / pixelRatio };
    };
  }, [xy, n, view, width, height, pixelRatio]);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling under the map.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !view || !fitted) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002));
      setUserView(zoomAt(view, factor, (event.clientX - rect.left) * pixelRatio, (event.clientY - rect.top) * pixelRatio, fitted));
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, [view, fitted, pixelRatio]);

  const zoomCentre = (factor: number) => {
    if (view && fitted) setUserView(zoomAt(view, factor, width / 2, height / 2, fitted));
  };

  const canvasPoint = (event: PointerEvent<HTMLCanvasElement>): [number, number] => {
    const rect = event.currentTarget.getBoundingClientRect();
    return [(event.clientX - rect.left) * pixelRatio, (event.clientY - rect.top) * pixelRatio];
  };

  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const lasso = lassoRef.current;
    if (lasso) {
      const [x, y] = canvasPoint(event);
      const last = lasso.points.length;
      if (last === 0 || Math.hypot(x - lasso.points[last - 2], y - lasso.points[last - 1]) >= 2 * pixelRatio) {
        lasso.points.push(x, y);
        setLassoTick((tick) => tick + 1);
      }
      return;
    }
    const drag = dragRef.current;
    if (drag) {
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
      drag.moved = true;
      setUserView(panBy(drag.view, dx * pixelRatio, dy * pixelRatio));
      return;
    }
    const index = nearestTo(event.clientX, event.clientY);
    if (index !== -1 && index !== hoverRef.current) {
      hoverRef.current = index;
      onHover(index);
    }
  };

  const onPointerUp = (event: PointerEvent<HTMLCanvasElement>) => {
    const lasso = lassoRef.current;
    lassoRef.current = null;
    if (lasso) {
      setLassoTick((tick) => tick + 1);
      const travelled = lasso.points.length >= 4 ? Math.hypot(lasso.points[lasso.points.length - 2] - lasso.points[0], lasso.points[lasso.points.length - 1] - lasso.points[1]) : 0;
      // A shift-press that hardly moved is a shift-click: it toggles the point under it.
      if (lasso.points.length < 6 && travelled < CLICK_SLOP * pixelRatio) {
        const index = nearestTo(event.clientX, event.clientY);
        if (index !== -1) (lasso.shift ? onToggle : onClick)?.(index);
        return;
      }
      if (view && onLasso) {
        const polygon: number[] = [];
        for (let i = 0; i < lasso.points.length; i += 2) polygon.push(toDataX(view, lasso.points[i]), toDataY(view, lasso.points[i + 1]));
        onLasso(polygon, lasso.add);
      }
      return;
    }
    const drag = dragRef.current;
    dragRef.current = null;
    if (!drag || drag.moved) return;
    const index = nearestTo(event.clientX, event.clientY);
    if (index !== -1) onClick(index);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const step = 60 * pixelRatio;
    const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (event.key === '+' || event.key === '=') zoomCentre(1.5);
    else if (event.key === '-' || event.key === '_') zoomCentre(1 / 1.5);
    else if (event.key === '0') setUserView(null);
    else if (moves[event.key] && view) setUserView(panBy(view, ...moves[event.key]));
    else return;
    event.preventDefault();
  };

  return (
    <div className="scatter-map" ref={boxRef}>
      <canvas
        ref={canvasRef}
        width={width}
        height={height}
        style={{ width: cssWidth, height: HEIGHT }}
        className="scatter-canvas"
        role="img"
        aria-label={`${label}. Keyboard: plus and minus zoom, arrow keys pan, 0 resets the view. Shift+drag draws a lasso, Shift+click adds or removes a point.`}
        tabIndex={0}
        data-testid={testId}
        data-zoomed={userView ? 'true' : 'false'}
        onPointerDown={(event) => {
          if (event.button !== 0 || !view) return;
          event.currentTarget.setPointerCapture(event.pointerId);
          if (event.shiftKey || lassoMode) {
            // Shift+drag (or any drag in lasso mode) draws a lasso; Ctrl/⌘ — or Shift in lasso mode — adds to the selection.
            const add = event.ctrlKey || event.metaKey || (lassoMode && event.shiftKey);
            lassoRef.current = { points: [...canvasPoint(event)], add, shift: event.shiftKey };
            return;
          }
          dragRef.current = { x: event.clientX, y: event.clientY, moved: false, view };
        }}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => {
          dragRef.current = null;
          lassoRef.current = null;
          setLassoTick((tick) => tick + 1);
        }}
        onPointerLeave={() => (hoverRef.current = -1)}
        onDoubleClick={() => setUserView(null)}
        onKeyDown={onKeyDown}
      />
      <canvas ref={overlayRef} width={width} height={height} style={{ width: cssWidth, height: HEIGHT }} className="scatter-overlay" aria-hidden="true" />
      <div className="scatter-controls">
        <button type="button" aria-label="Zoom in" title="Zoom in (+)" onClick={() => zoomCentre(1.5)}>
          +
        </button>
        <button type="button" aria-label="Zoom out" title="Zoom out (−)" onClick={() => zoomCentre(1 / 1.5)}>
          −
        </button>
        <button type="button" aria-label="Reset view" title="Show everything (0 or double-click)" disabled={!userView} onClick={() => setUserView(null)}>
          ⤢
        </button>
      </div>
    </div>
  );
}

/** A map view as the page address keeps it: zoom relative to the fitted view, and the data point at the centre. */
export interface MapViewport {
  zoom: number;
  cx: number;
  cy: number;
}

/**
 * Draws the thumbnails the level of detail picks for this view (fixed `side` device pixels, at most one per
 * screen cell). Tinting was done once, in the atlas: each thumbnail is one drawImage. Returns the points drawn.
 */
function drawThumbnails(context: CanvasRenderingContext2D, view: View, xy: Float32Array, n: number, atlas: ThumbnailAtlas, slots: Int32Array, side: number, scratch: LodScratch): Int32Array {
  const chosen = chooseThumbnails(xy, n, view, context.canvas.width, context.canvas.height, side, slots, scratch);
  // Scaled cells are smoothed; at the atlas's own size a pixel-exact copy is sharper and cheaper.
  context.imageSmoothingEnabled = side !== ATLAS_CELL;
  for (const index of chosen) drawCell(context, view, xy, atlas, slots, index, side);
  context.imageSmoothingEnabled = true;
  return chosen.slice();
}

/** One point's thumbnail, `size` device pixels square, centred on the point. */
function drawCell(context: CanvasRenderingContext2D, view: View, xy: Float32Array, atlas: ThumbnailAtlas, slots: Int32Array, index: number, size: number): void {
  const cell = atlasCell(atlas, slots[index]);
  const x = Math.round(toScreenX(view, xy[2 * index]) - size / 2);
  const y = Math.round(toScreenY(view, xy[2 * index + 1]) - size / 2);
  context.drawImage(atlas.pages[cell.page], cell.x, cell.y, ATLAS_CELL, ATLAS_CELL, x, y, size, size);
}

/** The highlighted points' thumbnails, enlarged on a plate (on the overlay, so above every other). Returns them in order. */
function drawHighlights(context: CanvasRenderingContext2D, view: View, xy: Float32Array, n: number, atlas: ThumbnailAtlas, slots: Int32Array, side: number, highlighted: readonly number[], pixelRatio: number): number[] {
  const onTop = highlighted.filter((index, k) => index >= 0 && index < n && slots[index] >= 0 && highlighted.indexOf(index) === k);
  const big = Math.round(side * HIGHLIGHT_SCALE);
  const pad = 3 * pixelRatio;
  const drawn: number[] = [];
  for (const index of onTop) {
    const sx = toScreenX(view, xy[2 * index]);
    const sy = toScreenY(view, xy[2 * index + 1]);
    if (!Number.isFinite(sx) || !Number.isFinite(sy)) continue;
    const x = Math.round(sx - big / 2);
    const y = Math.round(sy - big / 2);
    context.fillStyle = 'rgba(255, 255, 255, 0.94)';
    context.fillRect(x - pad, y - pad, big + 2 * pad, big + 2 * pad);
    context.strokeStyle = '#1d2433';
    context.lineWidth = 2 * pixelRatio;
    context.strokeRect(x - pad, y - pad, big + 2 * pad, big + 2 * pad);
    drawCell(context, view, xy, atlas, slots, index, big);
    drawn.push(index);
  }
  return drawn;
}

/** Selected points with a dark outline, marked ones ringed in the accent colour. */
function drawOverlay(context: CanvasRenderingContext2D, view: View, xy: Float32Array, n: number, selected: Int32Array | null, marked: readonly number[], pixelRatio: number): void {
  if (selected && selected.length > 0) {
    const size = 5 * pixelRatio;
    context.fillStyle = 'rgba(29, 36, 51, 0.9)';
    context.strokeStyle = '#ffffff';
    context.lineWidth = pixelRatio;
    for (const index of selected) {
      if (index >= n) continue;
      const sx = toScreenX(view, xy[2 * index]);
      const sy = toScreenY(view, xy[2 * index + 1]);
      if (sx < -size || sy < -size || sx > context.canvas.width + size || sy > context.canvas.height + size) continue;
      context.fillRect(sx - size / 2, sy - size / 2, size, size);
    }
  }
  context.lineWidth = 2 * pixelRatio;
  context.strokeStyle = '#e8590c';
  for (const index of marked) {
    if (index < 0 || index >= n) continue;
    context.beginPath();
    context.arc(toScreenX(view, xy[2 * index]), toScreenY(view, xy[2 * index + 1]), 6 * pixelRatio, 0, 2 * Math.PI);
    context.stroke();
  }
}

function drawLasso(context: CanvasRenderingContext2D, points: number[], pixelRatio: number): void {
  context.beginPath();
  context.moveTo(points[0], points[1]);
  for (let i = 2; i < points.length; i += 2) context.lineTo(points[i], points[i + 1]);
  context.closePath();
  context.fillStyle = 'rgba(232, 89, 12, 0.08)';
  context.fill();
  context.setLineDash([6 * pixelRatio, 4 * pixelRatio]);
  context.strokeStyle = '#e8590c';
  context.lineWidth = 1.5 * pixelRatio;
  context.stroke();
  context.setLineDash([]);
}

function drawRings(context: CanvasRenderingContext2D, view: View, xy: Float32Array, indices: readonly number[], pixelRatio: number): void {
  context.lineWidth = 2 * pixelRatio;
  for (const index of indices) {
    const sx = toScreenX(view, xy[2 * index]);
    const sy = toScreenY(view, xy[2 * index + 1]);
    if (!Number.isFinite(sx) || !Number.isFinite(sy)) continue;
    context.beginPath();
    context.arc(sx, sy, 7 * pixelRatio, 0, 2 * Math.PI);
    context.strokeStyle = '#ffffff';
    context.lineWidth = 4 * pixelRatio;
    context.stroke();
    context.strokeStyle = '#1d2433';
    context.lineWidth = 2 * pixelRatio;
    context.stroke();
  }
}

/** The colour key: one swatch per class, in the map's palette. */
export function MapLegend({ title, k }: { title: string; k: number }) {
  return (
    <ul className="map-legend" aria-label={`Colour key: ${title}`}>
      <li className="map-legend-title">{title}</li>
      {Array.from({ length: k }, (_, c) => (
        <li key={c}>
          <span className="swatch" style={{ background: TAB10[c % TAB10.length] }} />
          {c}
        </li>
      ))}
    </ul>
  );
}
