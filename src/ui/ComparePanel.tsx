import { useMemo, useState } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import { ARCH_IDS, ARCHITECTURES, type ArchId } from '../models/arch-spec';
import { latestRuns, type AppState, type RunState, type UiAction } from '../state/app-state';
import type { GallerySelection } from '../worker/protocol';
import { DigitImage } from './DigitImage';
import { logAxis } from './log-ticks';
import { ChartLegend, type LegendItem } from './ChartLegend';
import { PlotlyChart } from './PlotlyChart';
import { emaSmooth } from './smoothing';
import { COMPARE_CHART_REFRESH_MS, useThrottled } from './useThrottled';

/** One colour per architecture, used by every comparison chart and the table. */
export const ARCH_COLOURS: Record<ArchId, string> = { dense: '#3267d6', cnn_relu: '#d9822b', cnn_elu: '#2a9d6f' };
const PIXELS = 784;

/** Step 4: the trained models side by side — gallery, curves, results table — with toggles. */
export function ComparePanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const trained = ARCH_IDS.filter((arch) => state.trained[arch]);
  const runs = latestRuns(state).filter((run) => run.history.length > 0 || run.batchLosses.length > 0);
  const visible = (arch: ArchId) => !state.hiddenArchs.includes(arch);
  return (
    <section className="card" aria-labelledby="compare-title">
      <h2 id="compare-title">
        <span className="step">4</span> Compare
      </h2>
      <ModelFiles state={state} dispatch={dispatch} trained={trained} />
      {runs.length === 0 ? (
        <p className="muted">Train two or three models (or click “Train all three”) to compare how they reconstruct and learn.</p>
      ) : (
        <>
          <fieldset className="toggles">
            <legend>Show</legend>
            {ARCH_IDS.filter((arch) => runs.some((r) => r.arch === arch)).map((arch) => (
              <label key={arch} className="toggle" style={{ borderColor: ARCH_COLOURS[arch] }}>
                <input type="checkbox" checked={visible(arch)} onChange={() => dispatch({ type: 'archToggled', arch })} />
                <span className="swatch" style={{ background: ARCH_COLOURS[arch] }} aria-hidden="true" />
                {ARCHITECTURES[arch].label}
              </label>
            ))}
          </fieldset>
          <CompareCurves runs={runs.filter((r) => visible(r.arch))} />
          <div className="table-scroll">
            <ResultsTable runs={runs} />
          </div>
          <p className="muted explain">
            <strong>Dead latent units</strong> never rise above zero on the 10,000 test digits: with ReLU codes they carry no information.
          </p>
          <details className="explain-more">
            <summary>Why units die, and the reference runs</summary>
            <p className="muted explain">
            A model with 19 dead units codes each digit with only 45 numbers. A ReLU unit whose input turns negative for every image gets a zero gradient and
            never recovers. In CNN · ReLU this happens all through the decoder as well (about a third of its 3,136 dense and 6,272 transposed-convolution
            units end up dead within the first epoch), which is why it stalls after a few epochs. Where it stalls depends on the starting weights: the
            same model in PyTorch reached test MSE 0.013 to 0.022 after 10 epochs across three seeds (the reference run ends at 0.021). With ELU
            codes a unit that never rises above zero sits pinned at −1, just as constant (the reference CNN · ELU model has 21 of them); but ELU keeps a
            gradient for negative inputs, so the decoder's units never die and CNN · ELU goes on improving to about 0.005.
            </p>
          </details>
          {trained.length > 0 && <Gallery state={state} dispatch={dispatch} trained={trained} visible={visible} />}
        </>
      )}
    </section>
  );
}

/** Download a trained model as one file, or load one back; trained models are also kept in this browser. */
function ModelFiles({ state, dispatch, trained }: { state: AppState; dispatch: (action: UiAction) => void; trained: ArchId[] }) {
  const job = state.fileJob;
  const busy = job?.status === 'running';
  return (
    <div className="model-files">
      <span className="muted">Trained models are kept in this browser across reloads.</span>
      {trained.map((arch) => (
        <button key={arch} type="button" disabled={busy} onClick={() => dispatch({ type: 'exportRequested', arch })}>
          Download {ARCHITECTURES[arch].label}
        </button>
      ))}
      <label className="file-button">
        Load a model file…
        <input
          type="file"
          data-testid="model-file-input"
          accept=".json,application/json"
          disabled={busy}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) dispatch({ type: 'importRequested', file });
            event.target.value = '';
          }}
        />
      </label>
      {job?.status === 'failed' && (
        <p className="alert" role="alert" data-testid="file-error">
          {job.message}
        </p>
      )}
      {job?.status === 'done' && job.kind === 'import' && <span className="note">Model loaded.</span>}
    </div>
  );
}

function CompareCurves({ runs: live }: { runs: RunState[] }) {
  const runs = useThrottled(live, COMPARE_CHART_REFRESH_MS);
  const data = useMemo(
    (): Data[] =>
      runs.flatMap((run): Data[] => {
        const colour = ARCH_COLOURS[run.arch];
        const label = ARCHITECTURES[run.arch].label;
        const perBatch = 1 / Math.max(1, run.batchesPerEpoch);
        return [
          {
            x: run.batchLosses.map((_, i) => (i + 1) * perBatch),
            y: emaSmooth(run.batchLosses, 0.95),
            name: `${label} · batch (smoothed)`,
            mode: 'lines',
            line: { color: colour, width: 1 },
            opacity: 0.45,
            legendgroup: run.arch,
          },
          {
            x: run.history.map((r) => r.epoch),
            y: run.history.map((r) => r.trainLoss),
            name: `${label} · train`,
            mode: 'lines+markers',
            line: { color: colour, width: 2, dash: 'dot' },
            marker: { size: 5 },
            legendgroup: run.arch,
          },
          {
            x: [0, ...run.history.map((r) => r.epoch)],
            y: [run.initialTestMse ?? Number.NaN, ...run.history.map((r) => r.testMse)],
            name: `${label} · test`,
            mode: 'lines+markers',
            line: { color: colour, width: 2.5 },
            marker: { size: 6 },
            legendgroup: run.arch,
          },
        ];
      }),
    [runs],
  );
  const layout = useMemo(
    (): Partial<Layout> => ({
      height: 380,
      margin: { l: 60, r: 16, t: 8, b: 40 },
      xaxis: { title: { text: 'epoch' }, rangemode: 'tozero', zeroline: false },
      yaxis: logAxis(
        runs.flatMap((run) => [emaSmooth(run.batchLosses, 0.95), run.history.map((r) => r.trainLoss), [run.initialTestMse ?? Number.NaN], run.history.map((r) => r.testMse)]),
        'MSE (log scale)',
      ),
      // The legend is ChartLegend, below the chart: the mode bar (top right) cannot cover it.
      showlegend: false,
    }),
    [runs],
  );
  const legend = useMemo(
    (): LegendItem[] =>
      runs.flatMap((run): LegendItem[] => {
        const colour = ARCH_COLOURS[run.arch];
        const label = ARCHITECTURES[run.arch].label;
        return [
          { label: `${label} · test`, colour, marker: 'dot' },
          { label: `${label} · train`, colour, dash: 'dot' },
          { label: `${label} · batch (smoothed)`, colour, opacity: 0.45 },
        ];
      }),
    [runs],
  );
  return (
    <div className="chart-with-legend">
      <PlotlyChart data={data} layout={layout} label="Loss curves of every architecture" testId="compare-curves" />
      <ChartLegend items={legend} testId="compare-legend" />
    </div>
  );
}

type SortKey = 'arch' | 'params' | 'testMse' | 'epochs' | 'secondsPerEpoch' | 'samplesPerSec' | 'deadUnits';

interface ResultRow {
  arch: ArchId;
  params: number;
  testMse: number;
  epochs: number;
  secondsPerEpoch: number;
  samplesPerSec: number;
  backend: string;
  deadUnits: number;
  status: string;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'arch', label: 'model', numeric: false },
  { key: 'params', label: 'parameters', numeric: true },
  { key: 'testMse', label: 'test MSE', numeric: true },
  { key: 'epochs', label: 'epochs', numeric: true },
  { key: 'secondsPerEpoch', label: 's / epoch', numeric: true },
  { key: 'samplesPerSec', label: 'samples / s', numeric: true },
  { key: 'deadUnits', label: 'dead latent units', numeric: true },
];

function ResultsTable({ runs }: { runs: RunState[] }) {
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: 'testMse', ascending: true });
  const rows = useMemo(() => {
    const list: ResultRow[] = runs.map((run) => ({
      arch: run.arch,
      params: ARCHITECTURES[run.arch].params,
      testMse: run.final?.testMse ?? run.history.at(-1)?.testMse ?? Number.NaN,
      epochs: run.history.length,
      secondsPerEpoch: median(run.history.map((r) => r.trainSeconds)),
      samplesPerSec: median(run.history.map((r) => r.samplesPerSec)),
      backend: run.backend,
      deadUnits: run.final?.deadUnits ?? Number.NaN,
      status: run.status,
    }));
    const sign = sort.ascending ? 1 : -1;
    return list.sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      if (typeof x === 'string' && typeof y === 'string') return sign * x.localeCompare(y);
      const nx = Number(x);
      const ny = Number(y);
      if (Number.isNaN(nx)) return 1;
      if (Number.isNaN(ny)) return -1;
      return sign * (nx - ny);
    });
  }, [runs, sort]);
  return (
    <table className="results-table" data-testid="results-table">
      <thead>
        <tr>
          {COLUMNS.map((column) => (
            <th
              key={column.key}
              scope="col"
              className={column.numeric ? 'num' : undefined}
              aria-sort={sort.key === column.key ? (sort.ascending ? 'ascending' : 'descending') : 'none'}
            >
              <button
                type="button"
                className="sort"
                onClick={() => setSort({ key: column.key, ascending: sort.key === column.key ? !sort.ascending : true })}
              >
                {column.label}
                {sort.key === column.key ? (sort.ascending ? ' ▲' : ' ▼') : ''}
              </button>
            </th>
          ))}
          <th scope="col">backend</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.arch} data-arch={row.arch}>
            <td>
              <span className="swatch" style={{ background: ARCH_COLOURS[row.arch] }} aria-hidden="true" /> {ARCHITECTURES[row.arch].label}
              {row.status === 'running' || row.status === 'queued' ? <span className="muted"> ({row.status})</span> : null}
            </td>
            <td className="num">{row.params.toLocaleString('en')}</td>
            <td className="num">{fmt(row.testMse, 5)}</td>
            <td className="num">{row.epochs}</td>
            <td className="num">{fmt(row.secondsPerEpoch, 1)}</td>
            <td className="num">{Number.isFinite(row.samplesPerSec) ? Math.round(row.samplesPerSec).toLocaleString('en') : '–'}</td>
            <td className="num">{Number.isFinite(row.deadUnits) ? `${row.deadUnits} / 64` : '–'}</td>
            <td>{row.backend}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Gallery({
  state,
  dispatch,
  trained,
  visible,
}: {
  state: AppState;
  dispatch: (action: UiAction) => void;
  trained: ArchId[];
  visible: (arch: ArchId) => boolean;
}) {
  const [kind, setKind] = useState<GallerySelection['kind']>('random');
  const [digit, setDigit] = useState(0);
  const [worstArch, setWorstArch] = useState<ArchId>(trained[0]);
  const [seed, setSeed] = useState(1);
  const gallery = state.gallery;
  const result = gallery?.result;
  const request = () => {
    const selection: GallerySelection =
      kind === 'worst' ? { kind, arch: trained.includes(worstArch) ? worstArch : trained[0] } : kind === 'digit' ? { kind, digit, seed } : { kind, seed };
    setSeed(seed + 1);
    dispatch({ type: 'galleryRequested', selection });
  };
  return (
    <div className="gallery">
      <h3>Reconstructions side by side</h3>
      <form
        className="train-form"
        onSubmit={(event) => {
          event.preventDefault();
          request();
        }}
      >
        <label>
          Digits
          <select aria-label="Digits" value={kind} onChange={(e) => setKind(e.target.value as GallerySelection['kind'])}>
            <option value="random">random test digits</option>
            <option value="digit">one digit class</option>
            <option value="worst">worst reconstructed by…</option>
          </select>
        </label>
        {kind === 'digit' && (
          <label>
            Class
            <select aria-label="Class" value={digit} onChange={(e) => setDigit(Number(e.target.value))}>
              {Array.from({ length: 10 }, (_, d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
        )}
        {kind === 'worst' && (
          <label>
            Model
            <select aria-label="Model" value={worstArch} onChange={(e) => setWorstArch(e.target.value as ArchId)}>
              {trained.map((arch) => (
                <option key={arch} value={arch}>
                  {ARCHITECTURES[arch].label}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" className="primary" disabled={gallery?.status === 'running'}>
          {gallery?.status === 'running' ? 'Reconstructing…' : 'Show digits'}
        </button>
      </form>
      {gallery?.status === 'failed' && (
        <p className="alert" role="alert">
          {gallery.message}
        </p>
      )}
      {result && (
        <table className="gallery-grid" data-testid="gallery">
          <tbody>
            <tr>
              <th scope="row">original</th>
              {Array.from(result.indices, (index, i) => (
                <td key={index}>
                  <DigitImage pixels={result.originals.subarray(i * PIXELS, (i + 1) * PIXELS)} size={48} label={`test image ${index}, digit ${result.labels[i]}`} />
                  <span className="cell-note">#{index}</span>
                </td>
              ))}
            </tr>
            {result.rows
              .filter((row) => visible(row.arch))
              .map((row) => (
                <tr key={row.arch} data-testid={`gallery-row-${row.arch}`}>
                  <th scope="row" style={{ color: ARCH_COLOURS[row.arch] }}>
                    {ARCHITECTURES[row.arch].label}
                  </th>
                  {Array.from(result.indices, (index, i) => (
                    <td key={index}>
                      <DigitImage pixels={row.images.subarray(i * PIXELS, (i + 1) * PIXELS)} size={48} label={`${ARCHITECTURES[row.arch].label} reconstruction of image ${index}`} />
                      <span className="cell-note">{row.mse[i].toFixed(4)}</span>
                    </td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
