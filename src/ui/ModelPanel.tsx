import { ARCH_IDS, ARCHITECTURES, paramCount } from '../models/arch-spec';
import { summaryKey, type AppState, type UiAction } from '../state/app-state';

const formatShape = (shape: (number | null)[]) => `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/** Step 2: choose an architecture; its Keras-style summary below, at the code size chosen in the training form. */
export function ModelPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { arch, latentDim } = state.settings;
  const summary = state.summaries[summaryKey(arch, latentDim)];
  return (
    <section className="card" aria-labelledby="model-title">
      <h2 id="model-title">
        <span className="step">2</span> Model
      </h2>
      <fieldset className="arch-choice">
        <legend>Architecture</legend>
        {ARCH_IDS.map((id) => (
          <label key={id} className={id === arch ? 'arch-option selected' : 'arch-option'}>
            <input
              type="radio"
              name="arch"
              value={id}
              checked={id === arch}
              onChange={() => dispatch({ type: 'settingsChanged', settings: { arch: id } })}
            />
            <span className="arch-name">{ARCHITECTURES[id].label}</span>
            <span className="arch-blurb">{ARCHITECTURES[id].blurb}</span>
            <span className="arch-params" data-testid={`arch-params-${id}`}>
              {paramCount(id, latentDim).toLocaleString('en')} parameters{latentDim !== 64 ? ` with a ${latentDim}-number code (${ARCHITECTURES[id].params.toLocaleString('en')} at the reference 64)` : ''}
            </span>
          </label>
        ))}
      </fieldset>
      <details className="summary" open>
        <summary>
          Layer summary — {ARCHITECTURES[arch].label}, code size {latentDim}
        </summary>
        {summary ? (
          <table className="summary-table" data-testid="model-summary">
            <thead>
              <tr>
                <th scope="col">Layer (type)</th>
                <th scope="col">Output shape</th>
                <th scope="col" title="What each unit applies to its weighted sum: ReLU is 0 below zero; ELU curves down to −1, keeping a gradient.">
                  Activation
                </th>
                <th scope="col" className="num">
                  Params
                </th>
              </tr>
            </thead>
            <tbody>
              {summary.layers.map((row) => (
                <tr key={row.name} className={row.name === 'latent' ? 'latent-row' : undefined}>
                  <td>
                    {row.name} ({row.type})
                  </td>
                  <td>{formatShape(row.outputShape)}</td>
                  <td data-testid="layer-activation">{row.activation ?? '—'}</td>
                  <td className="num">{row.params.toLocaleString('en')}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>
                  Total parameters
                </th>
                <td className="num">{summary.totalParams.toLocaleString('en')}</td>
              </tr>
            </tfoot>
          </table>
        ) : (
          <p className="muted">Building the model…</p>
        )}
      </details>
    </section>
  );
}
