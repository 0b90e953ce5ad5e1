import { useRef, useState, type KeyboardEvent } from 'react';
import { CLASS_COUNT, IMAGE_PIXELS } from '../data/mnist-shape';
import type { AppState, UiAction } from '../state/app-state';
import { imageOf, NEIGHBOUR_COUNT, selectionStats, type FocusState, type SelectionState } from '../state/explorer';
import { MAX_WALK_STEPS, MIN_WALK_STEPS, type LatentJob, type MapJob } from '../state/latent-state';
import { DigitImage } from './DigitImage';
import { TAB10 } from './map/ScatterMap';

type Dispatch = (action: UiAction) => void;

/** "test #42" — where a row of the latents comes from, as a person names an image. */
function imageName(latent: LatentJob, row: number): string {
  const { set, number } = imageOf(row, latent.split, latent.dataset?.trainCount ?? latent.count);
  return `${set} #${number}`;
}

const pixelsOf = (images: Float32Array | null, slot: number) => images?.subarray(slot * IMAGE_PIXELS, (slot + 1) * IMAGE_PIXELS) ?? null;

/** Find an image by its row number, or select every point of one digit. */
export function FindBar({ latent, map, dispatch }: { latent: LatentJob; map: MapJob; dispatch: Dispatch }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const find = () => {
    const row = Number(text.trim().replace(/^#/, ''));
    if (text.trim() === '' || !Number.isInteger(row) || row < 0 || row >= map.n) {
      setError(`Enter a point number from 0 to ${(map.n - 1).toLocaleString('en')} (the map shows the first ${map.n.toLocaleString('en')} images).`);
      return;
    }
    setError(null);
    dispatch({ type: 'pointFocused', index: row });
  };
  return (
    <div className="find-bar">
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          find();
        }}
      >
        <label>
          Find point{' '}
          <input type="text" inputMode="numeric" value={text} onChange={(event) => setText(event.target.value)} aria-invalid={error !== null} aria-describedby={error ? 'find-error' : undefined} size={8} placeholder={`0–${map.n - 1}`} />
        </label>
        <button type="submit">Find</button>
      </form>
      <label>
        Select every{' '}
        <select value="" onChange={(event) => event.target.value !== '' && dispatch({ type: 'digitSelected', digit: Number(event.target.value) })}>
          <option value="">digit…</option>
          {Array.from({ length: CLASS_COUNT }, (_, digit) => (
            <option key={digit} value={digit}>
              {digit}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <p id="find-error" className="alert" role="alert">
          {error}
        </p>
      )}
      <span className="muted">{latent.split === 'all' ? 'Points 0–59,999 are training images, then the test images.' : `Point numbers are ${latent.split} image numbers.`}</span>
    </div>
  );
}

/** Counts as a row of small bars, one per class, coloured as on the map. */
function CountBars({ counts, title, testId }: { counts: number[]; title: string; testId: string }) {
  const most = Math.max(1, ...counts);
  return (
    <figure className="count-bars" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <ol>
        {counts.map((count, c) => (
          <li key={c} title={`${c}: ${count.toLocaleString('en')}`}>
            <span className="count-bar" style={{ height: `${(count / most) * 100}%`, background: TAB10[c % TAB10.length] }} />
            <span className="count-label">{c}</span>
            <span className="count-value">{count.toLocaleString('en')}</span>
          </li>
        ))}
      </ol>
    </figure>
  );
}

/** The selection: how many, which digits and clusters, the mean digit and its reconstruction, members, exports. */
export function SelectionPanel({ state, latent, selection, dispatch }: { state: AppState; latent: LatentJob; selection: SelectionState; dispatch: Dispatch }) {
  const labels = latent.labels;
  if (!labels) return null;
  const summary = state.space.kmeans?.summary ?? null;
  const stats = selectionStats(selection.indices, labels, summary ? { assignments: summary.assignments, k: summary.k } : null);
  const count = selection.indices.length;
  return (
    <section className="explorer-card" data-testid="selection-panel" aria-label="Selection">
      <h3>
        Selection: <span data-testid="selection-count">{count.toLocaleString('en')}</span> point{count === 1 ? '' : 's'}
      </h3>
      <div className="selection-layout">
        <CountBars counts={stats.digits} title="true digits" testId="selection-digits" />
        {stats.clusters && <CountBars counts={stats.clusters} title="KMeans clusters" testId="selection-clusters" />}
        <figure className="mean-pair">
          <figcaption>mean image → mean reconstruction</figcaption>
          <div>
            {selection.means ? (
              <>
                <DigitImage pixels={selection.means.image} size={72} label="mean of the selected images" testId="selection-mean" />
                <DigitImage pixels={selection.means.reconstruction} size={72} label="mean of their reconstructions" testId="selection-mean-recon" />
              </>
            ) : (
              <span className="muted">computing…</span>
            )}
          </div>
        </figure>
      </div>
      <div className="digit-strip" aria-label={`first ${selection.memberIndices.length} selected images`}>
        {Array.from(selection.memberIndices, (row, slot) => {
          const pixels = pixelsOf(selection.members, slot);
          return pixels ? <DigitImage key={row} pixels={pixels} size={40} label={`${imageName(latent, row)}, a ${labels[row]}`} testId="selection-member" /> : <div key={row} className="digit placeholder" />;
        })}
        {count > selection.memberIndices.length && <span className="muted">… and {(count - selection.memberIndices.length).toLocaleString('en')} more</span>}
      </div>
      <div className="buttons">
        <button type="button" onClick={() => dispatch({ type: 'selectionExportRequested', format: 'csv' })}>
          Export CSV
        </button>
        <button type="button" onClick={() => dispatch({ type: 'selectionExportRequested', format: 'json' })}>
          Export JSON
        </button>
        <button type="button" onClick={() => dispatch({ type: 'selectionInverted' })}>
          Invert
        </button>
        <button type="button" onClick={() => dispatch({ type: 'selectionCleared' })} title="Escape on the map">
          Clear
        </button>
        {count === 2 && (
          <button type="button" onClick={() => dispatch({ type: 'walkRequested', from: selection.indices[0], to: selection.indices[1] })}>
            Walk between the two
          </button>
        )}
      </div>
    </section>
  );
}

/**
 * The focused point and its nearest neighbours in the latent space. The list is one tab stop: arrow keys
 * move between neighbours, Enter focuses the one under the cursor (its own neighbours are listed next).
 */
export function NeighboursPanel({ latent, focus, dispatch }: { latent: LatentJob; focus: FocusState; dispatch: Dispatch }) {
  const labels = latent.labels;
  const [cursor, setCursor] = useState(0);
  const listRef = useRef<HTMLOListElement>(null);
  if (!labels) return null;
  const label = labels[focus.index];
  const same = Array.from(focus.neighbours).filter((row) => labels[row] === label).length;
  const onKey = (event: KeyboardEvent<HTMLOListElement>) => {
    const step = event.key === 'ArrowRight' || event.key === 'ArrowDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? -1 : 0;
    if (step !== 0) {
      event.preventDefault();
      setCursor((c) => (c + step + focus.neighbours.length) % focus.neighbours.length);
    } else if (event.key === 'Enter' && focus.neighbours.length > 0) {
      event.preventDefault();
      dispatch({ type: 'pointFocused', index: focus.neighbours[cursor] });
      setCursor(0);
    }
  };
  const active = Math.min(cursor, focus.neighbours.length - 1);
  return (
    <section className="explorer-card" data-testid="neighbours-panel" data-index={focus.index} aria-label="Nearest neighbours in the latent space">
      <h3>
        Point #{focus.index} ({imageName(latent, focus.index)}, a <strong data-testid="focus-label">{label}</strong>) and its {NEIGHBOUR_COUNT} nearest codes
      </h3>
      <p className="muted">
        Neighbours in the {latent.dim}-number code space, not on the map (ringed in orange there):{' '}
        <strong data-testid="neighbours-same">{same}</strong> of {focus.neighbours.length} are also a {label}.
      </p>
      <div className="neighbours">
        <div className="neighbour focus">
          {pixelsOf(focus.images, 0) ? <DigitImage pixels={pixelsOf(focus.images, 0) ?? new Float32Array(IMAGE_PIXELS)} size={64} label={`point ${focus.index}`} /> : <div className="digit placeholder" />}
          <span>#{focus.index}</span>
          <button type="button" onClick={() => dispatch({ type: 'walkStarted', index: focus.index })}>
            Walk from here
          </button>
        </div>
        <ol
          ref={listRef}
          className="neighbour-list"
          tabIndex={0}
          role="listbox"
          aria-label="Nearest neighbours: arrow keys move, Enter focuses the neighbour"
          aria-activedescendant={focus.neighbours.length > 0 ? `neighbour-${active}` : undefined}
          onKeyDown={onKey}
          data-testid="neighbour-list"
        >
          {Array.from(focus.neighbours, (row, k) => {
            const pixels = pixelsOf(focus.images, k + 1);
            return (
              <li key={row} id={`neighbour-${k}`} role="option" aria-selected={k === active} className={k === active ? 'neighbour active' : 'neighbour'} data-testid="neighbour" data-row={row}>
                {pixels ? <DigitImage pixels={pixels} size={48} label={`point ${row}, a ${labels[row]}`} /> : <div className="digit placeholder" />}
                <span className={labels[row] === label ? 'same' : 'other'}>
                  {labels[row]} · {focus.distances[k].toFixed(2)}
                </span>
                <button type="button" tabIndex={-1} onClick={() => dispatch({ type: 'walkRequested', from: focus.index, to: row })} aria-label={`walk from point ${focus.index} to point ${row}`}>
                  walk
                </button>
              </li>
            );
          })}
        </ol>
      </div>
    </section>
  );
}

/** The walk between two codes: both endpoints' originals, the decoded steps, and how many steps. */
export function Walk({ state, latent, dispatch }: { state: AppState; latent: LatentJob; dispatch: Dispatch }) {
  const walk = state.space.walk;
  const labels = latent.labels;
  if (!walk || !labels) return null;
  if (walk.b === null) {
    return (
      <p className="note" data-testid="walk-pending">
        Walk from #{walk.a} (a {labels[walk.a]}): click the point to walk to, or use a neighbour's “walk”.
      </p>
    );
  }
  const end = walk.b;
  const original = (slot: number, row: number) => {
    const pixels = pixelsOf(walk.ends, slot);
    return (
      <figure className="walk-end" data-testid="walk-end">
        {pixels ? <DigitImage pixels={pixels} size={64} label={`original of point ${row}, a ${labels[row]}`} /> : <div className="digit placeholder" />}
        <figcaption>
          #{row}, a {labels[row]}
        </figcaption>
      </figure>
    );
  };
  return (
    <div className="walk" data-testid="walk">
      <h3>
        Walking from #{walk.a} (a {labels[walk.a]}) to #{end} (a {labels[end]}) in latent space
      </h3>
      <label>
        Steps{' '}
        <select value={walk.steps} onChange={(event) => dispatch({ type: 'walkStepsChanged', steps: Number(event.target.value) })}>
          {[MIN_WALK_STEPS, 5, 8, 10, 12, 16, 20, MAX_WALK_STEPS].map((steps) => (
            <option key={steps} value={steps}>
              {steps}
            </option>
          ))}
        </select>
      </label>
      <div className="digit-strip walk-strip">
        {original(0, walk.a)}
        <span className="walk-arrow" aria-hidden="true">
          →
        </span>
        {walk.images && walk.images.length === walk.steps * IMAGE_PIXELS
          ? Array.from({ length: walk.steps }, (_, s) => (
              <DigitImage key={s} pixels={pixelsOf(walk.images, s) ?? new Float32Array(IMAGE_PIXELS)} size={56} label={`step ${s + 1} of ${walk.steps}`} testId="walk-step" />
            ))
          : 'decoding…'}
        <span className="walk-arrow" aria-hidden="true">
          →
        </span>
        {original(1, end)}
      </div>
      <p className="muted">The two ends are the original images; between them, the decoder's output along the straight line between their codes (the first and last steps are their reconstructions).</p>
    </div>
  );
}
