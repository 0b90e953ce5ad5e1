import { useCallback, useEffect, useRef, useState, type PointerEvent } from 'react';
import type { Stroke } from '../data/drawing';

/** The drawing's own units: 280 × 280, ten per MNIST pixel, whatever size the canvas is shown at. */
export const CANVAS_UNITS = 280;
/**
 * The pen's radius in canvas units. A digit drawn across most of the canvas is scaled by about 20/230, so
 * its strokes end about 2 pixels wide in the 28 × 28 image, like MNIST's pen strokes.
 */
export const PEN_RADIUS = 11;
/** Backing pixels per canvas unit: sharp on high-density screens without a huge buffer. */
const BACKING_SCALE = 2;

/**
 * A square canvas to draw on with a mouse, a pen or a finger (pointer events; the page does not scroll while
 * a finger draws on it), with Undo (the last stroke) and Clear. Reports the strokes, in canvas units, after
 * each finished stroke, undo and clear.
 */
export function DrawingCanvas({ onChange }: { onChange(strokes: readonly Stroke[]): void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const strokesRef = useRef<number[][]>([]);
  const activeRef = useRef<{ pointerId: number; stroke: number[] } | null>(null);
  const [strokeCount, setStrokeCount] = useState(0);

  const context = () => {
    const ctx = canvasRef.current?.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(BACKING_SCALE, 0, 0, BACKING_SCALE, 0, 0);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    // The pixels the pre-processing inks: the nib plus its 1-unit soft edge (see rasterizeStrokes).
    ctx.lineWidth = 2 * PEN_RADIUS + 1;
    ctx.strokeStyle = '#111827';
    ctx.fillStyle = '#111827';
    return ctx;
  };

  const drawStroke = (ctx: CanvasRenderingContext2D, stroke: readonly number[]) => {
    if (stroke.length === 2) {
      ctx.beginPath();
      ctx.arc(stroke[0], stroke[1], PEN_RADIUS + 0.5, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(stroke[0], stroke[1]);
    for (let i = 2; i < stroke.length; i += 2) ctx.lineTo(stroke[i], stroke[i + 1]);
    ctx.stroke();
  };

  const redraw = useCallback(() => {
    const ctx = context();
    if (!ctx) return;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, CANVAS_UNITS, CANVAS_UNITS);
    ctx.fillStyle = '#111827';
    for (const stroke of strokesRef.current) drawStroke(ctx, stroke);
  }, []);

  useEffect(redraw, [redraw]);

  const report = () => {
    setStrokeCount(strokesRef.current.length);
    onChange(strokesRef.current.map((s) => s.slice()));
  };

  const point = (event: PointerEvent<HTMLCanvasElement>): [number, number] => {
    const rect = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * CANVAS_UNITS;
    const y = ((event.clientY - rect.top) / rect.height) * CANVAS_UNITS;
    return [Math.min(CANVAS_UNITS, Math.max(0, x)), Math.min(CANVAS_UNITS, Math.max(0, y))];
  };

  const onPointerDown = (event: PointerEvent<HTMLCanvasElement>) => {
    if (event.button !== 0 || activeRef.current) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    const stroke = point(event);
    activeRef.current = { pointerId: event.pointerId, stroke };
    strokesRef.current.push(stroke);
    const ctx = context();
    if (ctx) drawStroke(ctx, stroke);
  };

  const onPointerMove = (event: PointerEvent<HTMLCanvasElement>) => {
    const active = activeRef.current;
    if (!active || active.pointerId !== event.pointerId) return;
    const [x, y] = point(event);
    const n = active.stroke.length;
    // Points closer than half a unit add nothing to the ink.
    if (Math.hypot(x - active.stroke[n - 2], y - active.stroke[n - 1]) < 0.5) return;
    active.stroke.push(x, y);
    const ctx = context();
    if (!ctx) return;
    ctx.beginPath();
    ctx.moveTo(active.stroke[n - 2], active.stroke[n - 1]);
    ctx.lineTo(x, y);
    ctx.stroke();
  };

  const onPointerEnd = (event: PointerEvent<HTMLCanvasElement>) => {
    const active = activeRef.current;
    if (!active || active.pointerId !== event.pointerId) return;
    activeRef.current = null;
    report();
  };

  return (
    <div className="draw-pad">
      <canvas
        ref={canvasRef}
        className="draw-canvas"
        width={CANVAS_UNITS * BACKING_SCALE}
        height={CANVAS_UNITS * BACKING_SCALE}
        aria-label="Drawing area: draw one digit with the mouse, a pen or a finger"
        data-testid="draw-canvas"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
      />
      <div className="buttons draw-buttons">
        <button
          type="button"
          disabled={strokeCount === 0}
          onClick={() => {
            strokesRef.current.pop();
            redraw();
            report();
          }}
        >
          Undo
        </button>
        <button
          type="button"
          disabled={strokeCount === 0}
          onClick={() => {
            strokesRef.current = [];
            redraw();
            report();
          }}
        >
          Clear
        </button>
      </div>
    </div>
  );
}
