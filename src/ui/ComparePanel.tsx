import { Fragment, useMemo, useState } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import { ARCHITECTURES, type ArchId } from '../models/arch-spec';
import { IMAGE_PIXELS } from '../data/mnist-shape';
import { finishedRuns, positionText, trainedElsewhere, visibleRuns, type AppState, type RunState, type UiAction } from '../state/app-state';
import { groupByArch, runRow } from '../state/compare';
import { batchLossEpochs } from '../state/runs';
import type { GallerySelection, RunId } from '../worker/protocol';
import { DigitImage } from './DigitImage';
import { fixed } from './format';
import { logAxis } from './log-ticks';
import { ChartLegend, type LegendItem } from './ChartLegend';
import { PlotlyChart } from './PlotlyChart';
import { emaSmooth } from './smoothing';
import { COMPARE_CHART_REFRESH_MS, useThrottled } from './useThrottled';

/** One colour per architecture, used when runs are grouped by architecture. */
export const ARCH_COLOURS: Record<ArchId, string> = { dense: '#3267d6', cnn_relu: '#d9822b', cnn_elu: '#2a9d6f' };
/** Colours of individual runs, in the order they were made (distinct, colour-blind-friendly first). */
const RUN_COLOURS = ['#3267d6', '#d9822b', '#2a9d6f', '#c2417a', '#7a5cc7', '#8c6d1f', '#2b8fb3', '#c23b22', '#5a8f29', '#6b6b6b'];

/** Each run's colour on the charts and in the table. */
function runColours(runIds: readonly RunId[]): Map<RunId, string> {
  return new Map(runIds.map((id, i) => [id, RUN_COLOURS[i % RUN_COLOURS.length]]));
}

/** Step 5: any set of runs side by side — curves, results table (or per-architecture spread), gallery. */
export function ComparePanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const runs = visibleRuns(state).filter((run) => run.history.length > 0 || run.batchLosses.length > 0 || run.final !== null);
  const runIds = runs.map((run) => run.id).join(' ');
  // Stable while the set of runs stays: the charts redraw only when their data changes.
  const colours = useMemo(() => runColours(runIds.split(' ')), [runIds]);
  const hidden = new Set(state.runs.hiddenRunIds);
  const shown = runs.filter((run) => !hidden.has(run.id));
  const galleryRuns = finishedRuns(state).filter((run) => !trainedElsewhere(state, run));
  return (
    <section className="card" aria-labelledby="compare-title">
      <h2 id="compare-title">
        <span className="step">5</span> Compare
      </h2>
      {runs.length === 0 ? (
        <p className="muted">Train two or three models (or click “Train all three”) to compare how they reconstruct and learn.</p>
      ) : (
        <>
          <fieldset className="toggles">
            <legend>Show</legend>
            {runs.map((run) => (
              <label key={run.id} className="toggle" style={{ borderColor: colours.get(run.id) }}>
                <input type="checkbox" data-testid="run-toggle" checked={!hidden.has(run.id)} onChange={() => dispatch({ type: 'runToggled', runId: run.id })} />
                <span className="swatch" style={{ background: colours.get(run.id) }} aria-hidden="true" />
                {run.name}
              </label>
            ))}
          </fieldset>
          <CompareCurves runs={shown} colours={colours} />
          <label className="toggle-inline">
            <input type="checkbox" data-testid="group-by-arch" checked={state.runs.groupByArch} onChange={() => dispatch({ type: 'groupByArchToggled' })} /> Group by architecture (mean and spread over
            its runs, e.g. seeds)
          </label>
          {state.runs.groupByArch ? <GroupTable runs={shown} /> : <ResultsTable runs={shown} colours={colours} state={state} />}
          <p className="muted explain">
            <strong>Dead latent units</strong> never rise above zero on the 10,000 test digits: a ReLU unit like that is always 0 and carries no information; an ELU one sits near −1, just as constant.
          </p>
          <details className="explain-more">
            <summary>Why units die, and the reference runs</summary>
            <p className="muted">
              A unit is counted dead when it never rises above zero on the 10,000 test digits. With ReLU codes such a unit is exactly 0 for every
              digit and carries no information: a model with 19 dead units codes each digit with only 45 numbers. A ReLU unit whose input turns
              negative for every image gets a zero gradient and never recovers. In CNN · ReLU this happens all through the decoder as well (about a
              third of its 3,136 dense and 6,272 transposed-convolution units end up dead within the first epoch), which is why it stalls after a few
              epochs. Where it stalls depends on the starting weights: after the reference's 20 epochs, ten seeds of it ended between test MSE 0.012
              and 0.019 here and between 0.005 and 0.021 in PyTorch (the reference run ends at 0.021), with medians 0.014 and 0.013. Trained from
              this app's starting weights and batch order, PyTorch ends within 10% of this app at each of seeds 0–2, for all three models: the spread
              between seeds comes from the starting weights, not the arithmetic. ELU codes are counted by the same rule: a unit that never rises above zero sits
              pinned near −1 for every digit, just as constant (the reference CNN · ELU model has 21 of them); but ELU keeps a gradient for negative
              inputs, so the decoder's units never die and CNN · ELU goes on improving to about 0.005.
            </p>
          </details>
          {galleryRuns.length > 0 && <Gallery state={state} dispatch={dispatch} runs={galleryRuns} hidden={hidden} colours={colours} />}
        </>
      )}
    </section>
  );
}

function CompareCurves({ runs: live, colours }: { runs: RunState[]; colours: Map<RunId, string> }) {
  const runs = useThrottled(live, COMPARE_CHART_REFRESH_MS);
  const data = useMemo(
    (): Data[] =>
      runs.flatMap((run): Data[] => {
        const colour = colours.get(run.id) ?? '#555';
        return [
          {
            x: batchLossEpochs(run),
            y: emaSmooth(run.batchLosses, 0.95),
            name: `${run.name} · batch (smoothed)`,
            mode: 'lines',
            line: { color: colour, width: 1 },
            opacity: 0.45,
            legendgroup: run.id,
          },
          {
            x: run.history.map((r) => r.epoch),
            y: run.history.map((r) => r.trainLoss),
            name: `${run.name} · train`,
            mode: 'lines+markers',
            line: { color: colour, width: 2, dash: 'dot' },
            marker: { size: 5 },
            legendgroup: run.id,
          },
          {
            x: [0, ...run.history.map((r) => r.epoch)],
            y: [run.initialTestMse ?? Number.NaN, ...run.history.map((r) => r.testMse)],
            name: `${run.name} · test`,
            mode: 'lines+markers',
            line: { color: colour, width: 2.5 },
            marker: { size: 6 },
            legendgroup: run.id,
          },
        ];
      }),
    [runs, colours],
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
        const colour = colours.get(run.id) ?? '#555';
        const label = run.name;
        return [
          { label: `${label} · test`, colour, marker: 'dot' },
          { label: `${label} · train`, colour, dash: 'dot' },
          { label: `${label} · batch (smoothed)`, colour, opacity: 0.45 },
        ];
      }),
    [runs, colours],
  );
  return (
    <div className="chart-with-legend">
      <PlotlyChart data={data} layout={layout} label="Loss curves of the shown runs" testId="compare-curves" />
      <ChartLegend items={legend} testId="compare-legend" />
    </div>
  );
}

type SortKey = 'name' | 'latentDim' | 'params' | 'testMse' | 'epochs' | 'secondsPerEpoch' | 'samplesPerSec' | 'deadUnits';

const COLUMNS: { key: SortKey; label: string; numeric: boolean; hint?: string }[] = [
  { key: 'name', label: 'run', numeric: false },
  { key: 'latentDim', label: 'code size', numeric: true, hint: 'Numbers per code (the bottleneck’s width); the reference is 64.' },
  { key: 'params', label: 'parameters', numeric: true },
  { key: 'testMse', label: 'test MSE', numeric: true, hint: 'Mean squared error on the test images, of the weights each run keeps.' },
  { key: 'epochs', label: 'epochs', numeric: true },
  { key: 'secondsPerEpoch', label: 's / epoch', numeric: true, hint: 'Training seconds per epoch, the median over the run’s epochs.' },
  {
    key: 'samplesPerSec',
    label: 'samples / s',
    numeric: true,
    hint: 'Training images per second, the median over the run’s epochs (the Train panel shows the last epoch’s).',
  },
  { key: 'deadUnits', label: 'dead latent units', numeric: true, hint: 'Latent units that never rise above zero on the test images (see below).' },
];

function ResultsTable({ runs, colours, state }: { runs: RunState[]; colours: Map<RunId, string>; state: AppState }) {
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: 'testMse', ascending: true });
  const rows = useMemo(() => {
    const list = runs.map(runRow);
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
  const byId = new Map(runs.map((run) => [run.id, run]));
  return (
    <div className="table-scroll">
      <table className="results-table" data-testid="results-table">
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th
                key={column.key}
                scope="col"
                className={column.numeric ? 'num' : undefined}
                title={column.hint}
                aria-sort={sort.key === column.key ? (sort.ascending ? 'ascending' : 'descending') : 'none'}
              >
                <button type="button" className="sort" onClick={() => setSort({ key: column.key, ascending: sort.key === column.key ? !sort.ascending : true })}>
                  {column.label}
                  {sort.key === column.key ? (sort.ascending ? ' ▲' : ' ▼') : ''}
                </button>
              </th>
            ))}
            <th scope="col">backend</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const run = byId.get(row.runId);
            return (
              <tr key={row.runId} data-arch={row.arch} data-run-id={row.runId}>
                <td>
                  <span className="swatch" style={{ background: colours.get(row.runId) }} aria-hidden="true" /> {row.name}
                  {row.status === 'running' || row.status === 'queued' ? <span className="muted"> ({row.status})</span> : null}
                  {run && trainedElsewhere(state, run) ? <span className="tag">{run.dataset.name}</span> : null}
                </td>
                <td className="num" data-testid="table-code-size">{row.latentDim}</td>
                <td className="num">{row.params.toLocaleString('en')}</td>
                <td className="num" data-testid="table-test-mse">
                  {fixed(row.testMse, 5)}
                </td>
                <td className="num" title={run ? positionText(run) : undefined}>
                  {row.epochs}
                  {run && run.position.batch > 0 ? ` + ${run.position.batch}/${run.position.batchesPerEpoch}` : ''}
                </td>
                <td className="num">{fixed(row.secondsPerEpoch, 1)}</td>
                <td className="num">{Number.isFinite(row.samplesPerSec) ? Math.round(row.samplesPerSec).toLocaleString('en') : '–'}</td>
                <td className="num" data-testid="table-dead-units">
                  {Number.isFinite(row.deadUnits) ? `${row.deadUnits} / ${row.latentDim}` : '–'}
                </td>
                <td>{row.backend}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Each architecture's runs as one row: how many, mean ± standard deviation, median and range of test MSE. */
function GroupTable({ runs }: { runs: RunState[] }) {
  const groups = groupByArch(runs);
  return (
    <div className="table-scroll">
      <table className="results-table" data-testid="group-table">
        <thead>
          <tr>
            <th scope="col">architecture</th>
            <th scope="col" className="num">code size</th>
            <th scope="col" className="num">runs</th>
            <th scope="col" className="num" title="Mean test MSE ± the standard deviation over the runs">test MSE mean ± sd</th>
            <th scope="col" className="num">median</th>
            <th scope="col" className="num">min – max</th>
            <th scope="col" className="num">dead units (median)</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={`${g.arch}/${g.latentDim}`} data-arch={g.arch} data-latent-dim={g.latentDim}>
              <td>
                <span className="swatch" style={{ background: ARCH_COLOURS[g.arch] }} aria-hidden="true" /> {ARCHITECTURES[g.arch].label}
              </td>
              <td className="num">{g.latentDim}</td>
              <td className="num">{g.runs}</td>
              <td className="num">
                {fixed(g.mean, 5)}
                {Number.isFinite(g.sd) ? ` ± ${fixed(g.sd, 5)}` : ''}
              </td>
              <td className="num">{fixed(g.median, 5)}</td>
              <td className="num">
                {fixed(g.min, 5)} – {fixed(g.max, 5)}
              </td>
              <td className="num">{Number.isFinite(g.deadUnitsMedian) ? `${g.deadUnitsMedian} / ${g.latentDim}` : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Gallery({
  state,
  dispatch,
  runs,
  hidden,
  colours,
}: {
  state: AppState;
  dispatch: (action: UiAction) => void;
  runs: RunState[];
  hidden: Set<RunId>;
  colours: Map<RunId, string>;
}) {
  const [kind, setKind] = useState<GallerySelection['kind']>('random');
  const [digit, setDigit] = useState(0);
  const [worstRun, setWorstRun] = useState<RunId>(runs[0].id);
  const [seed, setSeed] = useState(1);
  const gallery = state.gallery;
  const result = gallery?.result;
  const names = new Map(runs.map((run) => [run.id, run.name]));
  const archOf = new Map(runs.map((run) => [run.id, run.settings.arch]));
  const request = () => {
    const selection: GallerySelection =
      kind === 'worst' ? { kind, runId: names.has(worstRun) ? worstRun : runs[0].id } : kind === 'digit' ? { kind, digit, seed } : { kind, seed };
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
          <select aria-label="Digits" value={kind} onChange={(e) => setKind(e.target.value === 'digit' ? 'digit' : e.target.value === 'worst' ? 'worst' : 'random')}>
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
            Run
            <select aria-label="Run" value={worstRun} onChange={(e) => setWorstRun(e.target.value)}>
              {runs.map((run) => (
                <option key={run.id} value={run.id}>
                  {run.name}
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
        <div className="table-scroll">
          <table className="gallery-grid" data-testid="gallery">
            <tbody>
              <tr>
                <th scope="row">original</th>
                {Array.from(result.indices, (index, i) => (
                  <td key={index}>
                    <DigitImage pixels={result.originals.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} size={48} label={`test image ${index}, digit ${result.labels[i]}`} />
                    <span className="cell-note">#{index}</span>
                  </td>
                ))}
              </tr>
              {result.rows
                .filter((row) => !hidden.has(row.runId) && names.has(row.runId))
                .map((row) => {
                  const name = names.get(row.runId) ?? 'run';
                  const reconstructions = (
                    <tr key={row.runId} data-testid={`gallery-row-${archOf.get(row.runId) ?? 'run'}`} data-run-id={row.runId}>
                      <th scope="row" style={{ color: colours.get(row.runId) }}>
                        {name}
                        {row.inputs ? ' — reconstruction' : ''}
                      </th>
                      {Array.from(result.indices, (index, i) => (
                        <td key={index}>
                          <DigitImage pixels={row.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} size={48} label={`${name} reconstruction of image ${index}`} />
                          <span className="cell-note">{row.mse[i].toFixed(4)}</span>
                        </td>
                      ))}
                    </tr>
                  );
                  const inputs = row.inputs;
                  if (!inputs) return reconstructions;
                  // A denoising run: noisy input → reconstruction → clean, the MSE against the clean digit.
                  return (
                    <Fragment key={row.runId}>
                      <tr data-testid="gallery-noisy-row" data-run-id={row.runId}>
                        <th scope="row" style={{ color: colours.get(row.runId) }}>
                          {name} — noisy input
                        </th>
                        {Array.from(result.indices, (index, i) => (
                          <td key={index}>
                            <DigitImage pixels={inputs.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} size={48} label={`noisy input ${name} was given for image ${index}`} />
                          </td>
                        ))}
                      </tr>
                      {reconstructions}
                      <tr data-testid="gallery-clean-row" data-run-id={row.runId}>
                        <th scope="row" style={{ color: colours.get(row.runId) }}>
                          {name} — clean
                        </th>
                        {Array.from(result.indices, (index, i) => (
                          <td key={index}>
                            <DigitImage pixels={result.originals.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} size={48} label={`clean test image ${index}`} />
                          </td>
                        ))}
                      </tr>
                    </Fragment>
                  );
                })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
