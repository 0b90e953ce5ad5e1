import { useMemo, useState } from 'react';
import type { Data, Layout } from 'plotly.js-dist-min';
import { DEFAULT_KMEANS_OPTIONS, KMEANS_FORM_FIELDS, KMEANS_LIMITS, validateKMeansOptions, type KMeansFormOptions, type KMeansOptions } from '../config/kmeans-options';
import { numberFromText, type FieldErrors } from '../config/limits';
import { CLASS_COUNT, IMAGE_PIXELS } from '../data/mnist-shape';
import type { UiAction } from '../state/app-state';
import { MEMBERS_PER_CLUSTER, type KMeansJob, type LatentJob } from '../state/latent-state';
import { cellLabel, countRows, rowPercentages } from './contingency-view';
import { DigitImage } from './DigitImage';
import { FieldErrorsAlert, NumberField } from './NumberField';
import { PlotlyChart } from './PlotlyChart';
import { ProgressBar } from './ProgressBar';
import { helpProps } from './metric-help';
import { Stat } from './Stat';

/** The form's text per field, starting from the defaults. */
type KMeansFormText = Record<keyof KMeansFormOptions, string>;

const FORM_DEFAULTS: KMeansFormText = { k: String(DEFAULT_KMEANS_OPTIONS.k), nInit: String(DEFAULT_KMEANS_OPTIONS.nInit), seed: String(DEFAULT_KMEANS_OPTIONS.seed) };

/** Id of the form's message list, which refused inputs point to. */
const ERRORS_ID = 'kmeans-form-errors';

/** KMeans on the latent vectors: settings, progress, agreement with the digits, heatmap, decoded centres. */
export function ClusterPanel({ latent, kmeans, dispatch }: { latent: LatentJob; kmeans: KMeansJob | null; dispatch: (action: UiAction) => void }) {
  const [form, setForm] = useState<KMeansFormText>(FORM_DEFAULTS);
  const [errors, setErrors] = useState<FieldErrors<KMeansOptions>>({});
  const running = kmeans?.status === 'running' || kmeans?.status === 'cancelling';
  const submit = () => {
    const input: Partial<Record<keyof KMeansFormOptions, number | ''>> = {};
    for (const field of KMEANS_FORM_FIELDS) input[field] = numberFromText(form[field]);
    // A refused form starts nothing, so the clusters already shown stay.
    const result = validateKMeansOptions(input, { rows: latent.count });
    if (!result.ok) return setErrors(result.errors);
    setErrors({});
    dispatch({ type: 'kmeansRequested', options: result.value });
  };
  return (
    <div className="clusters">
      <h3>KMeans clusters</h3>
      <p className="muted">
        Group the {latent.count.toLocaleString('en')} codes into k clusters without looking at the labels (k-means++ start, best of n_init runs), then
        compare the clusters with the true digits.
      </p>
      <form
        className="train-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        {KMEANS_FORM_FIELDS.map((field) => (
          <NumberField
            key={field}
            name={field}
            label={KMEANS_LIMITS[field].label}
            limit={KMEANS_LIMITS[field]}
            value={form[field]}
            error={errors[field]}
            errorId={ERRORS_ID}
            disabled={running}
            onChange={(text) => setForm({ ...form, [field]: text })}
          />
        ))}
        <div className="buttons">
          <button type="submit" className="primary" disabled={running}>
            Run KMeans
          </button>
          <button type="button" disabled={kmeans?.status !== 'running'} onClick={() => dispatch({ type: 'cancelRequested', job: 'kmeans' })}>
            Cancel
          </button>
        </div>
      </form>
      <FieldErrorsAlert id={ERRORS_ID} errors={errors} />
      {kmeans && <KMeansResultView kmeans={kmeans} />}
    </div>
  );
}

/** Light for few images, dark blue for many: the eye reads darker as more. */
const MORE_IS_DARKER: [number, string][] = [
  [0, '#f7fbff'],
  [0.25, '#c6dbef'],
  [0.5, '#6baed6'],
  [0.75, '#2171b5'],
  [1, '#08306b'],
];

function KMeansResultView({ kmeans }: { kmeans: KMeansJob }) {
  const { summary, progress } = kmeans;
  const [perCluster, setPerCluster] = useState(false);
  const heatmap = useMemo((): Data[] => {
    if (!summary) return [];
    const counts = countRows(summary.contingency, summary.k, CLASS_COUNT);
    const z = perCluster ? rowPercentages(summary.contingency, summary.k, CLASS_COUNT) : counts;
    return [
      {
        type: 'heatmap',
        z,
        // Every cell prints its count (or share); plotly picks a text colour that contrasts with the cell.
        text: z.map((row) => row.map((value) => cellLabel(value, perCluster))),
        texttemplate: '%{text}',
        customdata: counts,
        x: Array.from({ length: CLASS_COUNT }, (_, d) => String(d)),
        y: z.map((_, c) => `cluster ${c}`),
        colorscale: MORE_IS_DARKER,
        zmin: 0,
        ...(perCluster ? { zmax: 100 } : {}),
        hovertemplate: perCluster
          ? '%{y}, digit %{x}: %{z:.1f}% of the cluster (%{customdata} images)<extra></extra>'
          : '%{y}, digit %{x}: %{z} images<extra></extra>',
        colorbar: { title: { text: perCluster ? '% of cluster' : 'images' }, thickness: 12 },
      },
    ];
  }, [summary, perCluster]);
  const layout = useMemo(
    (): Partial<Layout> => ({
      height: Math.max(260, 28 * (summary?.k ?? DEFAULT_KMEANS_OPTIONS.k) + 80),
      margin: { l: 72, r: 8, t: 8, b: 40 },
      xaxis: { title: { text: 'true digit' }, type: 'category', fixedrange: true },
      yaxis: { autorange: 'reversed', type: 'category', fixedrange: true },
    }),
    [summary?.k],
  );
  return (
    <div data-testid="kmeans" data-status={kmeans.status}>
      {(kmeans.status === 'running' || kmeans.status === 'cancelling') && (
        <ProgressBar
          value={progress ? progress.init / progress.nInit : 0}
          label={progress ? `initialisation ${Math.min(progress.init + 1, progress.nInit)} of ${progress.nInit} · iteration ${progress.iteration}` : 'starting…'}
        />
      )}
      {(kmeans.status === 'cancelled' || kmeans.status === 'failed') && (
        <p className={kmeans.status === 'failed' ? 'alert' : 'note'} role="status">
          {kmeans.message}
        </p>
      )}
      {summary && (
        <>
          <div className="stats">
            <Stat {...helpProps('inertia')} value={Math.round(summary.inertia).toLocaleString('en')} testId="inertia" />
            <Stat {...helpProps('ari')} value={summary.ari.toFixed(3)} testId="ari" />
            <Stat {...helpProps('nmi')} value={summary.nmi.toFixed(3)} testId="nmi" />
            <Stat {...helpProps('purity')} value={summary.purity.toFixed(3)} testId="purity" />
            <Stat label="time" value={`${summary.seconds.toFixed(1)} s`} hint={`${summary.iterations} iterations in the best run`} testId="kmeans-seconds" />
          </div>
          <div className="cluster-layout">
            <div>
              <div className="heatmap-head">
                <h4>Clusters × digits</h4>
                <label className="inline-check">
                  <input type="checkbox" checked={perCluster} onChange={(e) => setPerCluster(e.target.checked)} data-testid="heatmap-per-cluster" />
                  per cluster (row %)
                </label>
              </div>
              <PlotlyChart data={heatmap} layout={layout} label="Contingency heatmap of clusters against true digits" testId="contingency" />
            </div>
            <ClusterGallery kmeans={kmeans} k={summary.k} />
          </div>
        </>
      )}
    </div>
  );
}

/** Each cluster: its centre decoded into an image, then a few member digits. */
function ClusterGallery({ kmeans, k }: { kmeans: KMeansJob; k: number }) {
  const { centres, members, memberIndices } = kmeans;
  // Member images arrive packed (only existing members); walk the slots to place them.
  let next = 0;
  return (
    <div className="cluster-gallery" data-testid="cluster-gallery">
      <h4>Decoded centres and members</h4>
      {Array.from({ length: k }, (_, c) => (
        <div key={c} className="cluster-row">
          <span className="cluster-name">{c}</span>
          {centres ? (
            <DigitImage pixels={centres.subarray(c * IMAGE_PIXELS, (c + 1) * IMAGE_PIXELS)} size={48} label={`decoded centre of cluster ${c}`} testId="decoded-centre" />
          ) : (
            <div className="digit placeholder small" />
          )}
          <span className="cluster-sep" aria-hidden="true" />
          {Array.from({ length: MEMBERS_PER_CLUSTER }, (_, m) => {
            const index = memberIndices ? memberIndices[c * MEMBERS_PER_CLUSTER + m] : -1;
            if (index < 0 || !members) return <span key={m} className="digit-slot" />;
            const at = next++;
            return <DigitImage key={m} pixels={members.subarray(at * IMAGE_PIXELS, (at + 1) * IMAGE_PIXELS)} size={32} label={`image ${index} in cluster ${c}`} />;
          })}
        </div>
      ))}
    </div>
  );
}
