import { useEffect, useMemo, useRef, useState } from 'react';
import { DEAD_VARIANCE_SHARE, unitStats, type UnitStats } from '../analysis/latent-stats';
import { ARCHITECTURES, type LayerActivation } from '../models/arch-spec';
import type { AppState, UiAction } from '../state/app-state';
import { type InsideState } from '../state/inside';
import type { LatentJob } from '../state/latent-state';
import { DigitImage } from './DigitImage';
import { plural } from './format';
import { barColumns, featureMapInk, knobRange, summarizeValues, type ValueSummary } from './inside-view';

type Dispatch = (action: UiAction) => void;

const splitName = (latent: LatentJob) => (latent.split === 'all' ? 'all images' : latent.split === 'train' ? 'training set' : 'test set');

/** Step 9: one digit of the loaded latents — its code on knobs, decoded live, and every layer's activations. */
export function InsidePanel({ state, dispatch }: { state: AppState; dispatch: Dispatch }) {
  const { latent } = state.space;
  return (
    <section className="card" aria-labelledby="inside-title" data-testid="inside">
      <h2 id="inside-title">
        <span className="step">9</span> Inside a run
      </h2>
      {!latent || latent.status !== 'done' || !latent.latents ? (
        <p className="muted">Compute latent vectors first (step 6): choose one of those digits, turn its code’s units by hand and see what each layer of the network makes of it.</p>
      ) : (
        <InsideView latent={latent} state={state} dispatch={dispatch} />
      )}
    </section>
  );
}

function InsideView({ latent, state, dispatch }: { latent: LatentJob; state: AppState; dispatch: Dispatch }) {
  const inside = state.inside;
  const inspected = state.space.inspect?.index ?? null;
  const [typed, setTyped] = useState('0');
  const d = latent.dim;
  return (
    <>
      <p className="muted" data-testid="inside-source">
        Run “{latent.runName}” ({ARCHITECTURES[latent.arch].label}), codes of {d} numbers for the {splitName(latent)} of {latent.dataset?.name ?? 'the data set'}.
      </p>
      <form
        className="train-form"
        onSubmit={(event) => {
          event.preventDefault();
          dispatch({ type: 'insideDigitChosen', index: Number(typed) });
        }}
      >
        <label>
          Image number (0–{latent.count - 1})
          <input type="number" min={0} max={latent.count - 1} step={1} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          Look inside
        </button>
        {inspected !== null && (
          <button
            type="button"
            onClick={() => {
              setTyped(String(inspected));
              dispatch({ type: 'insideDigitChosen', index: inspected });
            }}
          >
            Use the inspected digit (#{inspected})
          </button>
        )}
      </form>
      {inside && (
        <>
          {inside.message && (
            <p className="alert" role="alert">
              {inside.message}
            </p>
          )}
          <Knobs latent={latent} inside={inside} dispatch={dispatch} />
          <Activations inside={inside} />
        </>
      )}
    </>
  );
}

/** Compact numbers for slider readouts and variances. */
function short(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 100 || abs < 0.01 ? value.toPrecision(2) : value.toFixed(2);
}

function Knobs({ latent, inside, dispatch }: { latent: LatentJob; inside: InsideState; dispatch: Dispatch }) {
  const d = inside.code.length;
  const stats = useMemo((): UnitStats | null => (latent.latents ? unitStats(latent.latents, latent.count, d) : null), [latent.latents, latent.count, d]);
  if (!stats) return null;
  const deadCount = stats.dead.filter(Boolean).length;
  const label = latent.labels?.[inside.index];
  const moved = inside.code.some((v, j) => v !== inside.original[j]);
  return (
    <div className="knobs" data-testid="knobs">
      <h3>Latent knobs</h3>
      <div className="knob-images">
        <figure>
          {inside.image ? <DigitImage pixels={inside.image} size={84} label={`image ${inside.index}`} testId="inside-original" /> : <div className="digit placeholder big" />}
          <figcaption>
            #{inside.index}
            {label !== undefined && (
              <>
                {' '}
                · digit <strong>{label}</strong>
              </>
            )}
          </figcaption>
        </figure>
        <figure>
          {inside.recon ? <DigitImage pixels={inside.recon} size={84} label="reconstruction of the original code" testId="inside-recon" /> : <div className="digit placeholder big" />}
          <figcaption>from its code</figcaption>
        </figure>
        <figure>
          {(inside.changed ?? inside.recon) ? (
            <DigitImage pixels={inside.changed ?? inside.recon ?? new Float32Array(0)} size={84} label="decoded from the changed code" testId="inside-changed" />
          ) : (
            <div className="digit placeholder big" />
          )}
          <figcaption data-testid="inside-changed-caption" data-busy={inside.knobJobId !== null}>
            {moved ? 'from the changed code' : 'knobs untouched'}
          </figcaption>
        </figure>
        <button type="button" onClick={() => dispatch({ type: 'knobsReset' })} disabled={!moved}>
          Reset
        </button>
      </div>
      <p className="explain muted" data-testid="knobs-explain">
        One slider per code unit, the units ordered by their variance over the {latent.count.toLocaleString('en')} codes (highest first); each slider spans
        that unit’s observed range plus 5% on each side. <strong data-testid="knobs-dead">{deadCount}</strong> of {d} units are dead — variance at most{' '}
        {DEAD_VARIANCE_SHARE.toExponential(0)} of the largest unit’s (a spread under {Math.sqrt(DEAD_VARIANCE_SHARE) * 100}% of it): nearly the same value for every digit — and their sliders are disabled.
      </p>
      <div className="knob-grid">
        {Array.from(stats.order, (unit) => {
          const range = knobRange(stats.min[unit], stats.max[unit]);
          const dead = stats.dead[unit];
          const value = inside.code[unit];
          const changed = value !== inside.original[unit];
          return (
            <label key={unit} className={`knob${dead ? ' dead' : ''}${changed ? ' changed' : ''}`} data-testid="knob" data-unit={unit} data-dead={dead}>
              <span className="knob-name">
                unit {unit}
                {dead && <span className="knob-tag"> dead</span>}
              </span>
              <input
                type="range"
                aria-label={`unit ${unit}`}
                aria-valuetext={short(value)}
                min={range.lo}
                max={range.hi}
                step={range.step}
                value={value}
                disabled={dead}
                onChange={(e) => dispatch({ type: 'knobMoved', unit, value: Number(e.target.value) })}
              />
              <span className="knob-value">{short(value)}</span>
              <span className="knob-var" title="variance over the codes">
                var {short(stats.variance[unit])}
              </span>
            </label>
          );
        })}
      </div>
    </div>
  );
}

/** Layers that only rearrange the numbers of the layer before: named, not drawn again. */
const REARRANGING = new Set(['Flatten', 'Reshape']);

function Activations({ inside }: { inside: InsideState }) {
  const layers = inside.activations;
  const skipped = layers?.filter((l) => REARRANGING.has(l.type)).map((l) => l.name) ?? [];
  return (
    <div className="activations" data-testid="activations">
      <h3>Activations</h3>
      <p className="explain muted">
        What each layer outputs for this digit, input side first. Feature maps are drawn on one grey scale per layer (white = the layer’s lowest value or 0,
        black = its highest), so a map that barely responds looks faint; dense layers are bar strips (blue above 0, orange below, one column per unit or, for
        wide layers, the extremes of a few neighbouring units). ReLU never goes below 0 and silences many units at exactly 0; ELU goes down to −1 instead.
        {skipped.length > 0 && ` ${skipped.join(' and ')} only rearrange the numbers of the layer before and are not drawn again.`}
      </p>
      {!layers ? (
        <p className="muted">Reading the layers…</p>
      ) : (
        layers.filter((l) => !REARRANGING.has(l.type)).map((layer) => <LayerView key={layer.name} layer={layer} />)
      )}
    </div>
  );
}

function summaryText(layer: LayerActivation, s: ValueSummary): string {
  const what = layer.shape.length === 3 ? `${plural(layer.shape[2], 'feature map')} of ${layer.shape[0]}×${layer.shape[1]}` : plural(s.count, 'unit');
  return `${what}: ${s.negative.toLocaleString('en')} values below 0, ${s.zero.toLocaleString('en')} exactly 0; range ${short(s.min)} … ${short(s.max)}`;
}

function LayerView({ layer }: { layer: LayerActivation }) {
  const summary = useMemo(() => summarizeValues(layer.values), [layer.values]);
  const maps = layer.shape.length === 3;
  return (
    <div className="layer" data-testid="inside-layer" data-layer={layer.name} data-kind={maps ? 'maps' : 'bars'} data-negative={summary.negative} data-zero={summary.zero}>
      <h4>
        <code>{layer.name}</code> · {layer.type}
        {layer.activation && ` · ${layer.activation}`}
      </h4>
      <p className="layer-note">{summaryText(layer, summary)}</p>
      {maps ? <FeatureMaps layer={layer} summary={summary} /> : <BarStrip values={layer.values} summary={summary} label={`${layer.name} activations`} />}
    </div>
  );
}

function FeatureMaps({ layer, summary }: { layer: LayerActivation; summary: ValueSummary }) {
  const [h, w, c] = layer.shape;
  const size = h >= 28 ? 84 : 42;
  const lo = Math.min(0, summary.min);
  return (
    <div className="feature-maps">
      {Array.from({ length: c }, (_, channel) => (
        <FeatureMap key={channel} values={layer.values} h={h} w={w} c={c} channel={channel} lo={lo} hi={summary.max} size={size} label={`${layer.name} feature map ${channel}`} />
      ))}
    </div>
  );
}

function FeatureMap(props: { values: Float32Array; h: number; w: number; c: number; channel: number; lo: number; hi: number; size: number; label: string }) {
  const { values, h, w, c, channel, lo, hi, size, label } = props;
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const ink = featureMapInk(values, h, w, c, channel, lo, hi);
    const image = context.createImageData(w, h);
    for (let p = 0; p < ink.length; p++) {
      const grey = 255 - ink[p];
      image.data.set([grey, grey, grey, 255], 4 * p);
    }
    context.putImageData(image, 0, 0);
  }, [values, h, w, c, channel, lo, hi]);
  return <canvas ref={canvasRef} className="digit feature-map" width={w} height={h} style={{ width: size, height: size }} role="img" aria-label={label} data-testid="feature-map" />;
}

/** Columns of a bar strip's canvas: wide layers are summarised, narrow ones get one column per unit. */
const STRIP_COLUMNS = 784;
const STRIP_HEIGHT = 48;

function BarStrip({ values, summary, label }: { values: Float32Array; summary: ValueSummary; label: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const { positive, negative } = useMemo(() => barColumns(values, STRIP_COLUMNS), [values]);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const hi = Math.max(0, summary.max);
    const lo = Math.min(0, summary.min);
    const span = hi - lo || 1;
    // The zero line sits where the layer's range puts it: a ReLU strip has none below, an ELU strip a sliver down to −1.
    const zero = Math.round((hi / span) * STRIP_HEIGHT);
    context.clearRect(0, 0, positive.length, STRIP_HEIGHT);
    context.fillStyle = '#3267d6';
    positive.forEach((v, x) => {
      const top = Math.round(((hi - v) / span) * STRIP_HEIGHT);
      if (zero > top) context.fillRect(x, top, 1, zero - top);
    });
    context.fillStyle = '#e07b1a';
    negative.forEach((v, x) => {
      const bottom = Math.max(zero + 1, Math.round(((hi - v) / span) * STRIP_HEIGHT));
      if (v < 0) context.fillRect(x, zero, 1, bottom - zero);
    });
    context.fillStyle = '#9aa3b2';
    context.fillRect(0, Math.min(zero, STRIP_HEIGHT - 1), positive.length, 1);
  }, [positive, negative, summary]);
  // Few columns are scaled up crisply; many are scaled down smoothly, so no column is dropped on a narrow screen.
  return <canvas ref={canvasRef} className={`bar-strip${positive.length <= 256 ? ' crisp' : ''}`} width={positive.length} height={STRIP_HEIGHT} role="img" aria-label={label} data-testid="bar-strip" />;
}
