import type { AppState } from '../state/app-state';
import { ComparePanel } from './ComparePanel';
import { DataPanel } from './DataPanel';
import { DrawPanel } from './DrawPanel';
import { InsidePanel } from './InsidePanel';
import { LatentPanel } from './LatentPanel';
import { MapPanel } from './MapPanel';
import { ModelPanel } from './ModelPanel';
import { RunsPanel } from './RunsPanel';
import { TrainPanel } from './TrainPanel';
import { useEngine } from './useEngine';

function BackendBadge({ backend }: { backend: AppState['backend'] }) {
  if (!backend) return <span className="badge muted">measuring backends…</span>;
  return (
    <div className="badge">
      <span>
        runs on <strong data-testid="backend">{backend.name}</strong>
      </span>
      <span className="badge-detail" data-testid="backend-detail">{backend.detail}</span>
      {backend.skipped.length > 0 && (
        <details className="badge-why">
          <summary>why not the others?</summary>
          <ul>
            {backend.skipped.map((s) => (
              <li key={s.name}>
                <strong>{s.name}</strong>: {s.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** The page: a header, then the flow data → model → training. */
export function App() {
  const [state, dispatch] = useEngine();
  return (
    <div className="page">
      <header className="topbar">
        <div>
          <h1>Autoencoder Playground</h1>
          <p className="tagline">Train three autoencoders on MNIST in your browser, then look inside the 64-number codes they learn.</p>
        </div>
        <BackendBadge backend={state.backend} />
      </header>
      {state.notices.map((notice, index) => (
        <div key={`${index}-${notice}`} className="note notice" role="status" data-testid="notice">
          {notice}
          <button type="button" onClick={() => dispatch({ type: 'noticeDismissed', index })}>
            Dismiss
          </button>
        </div>
      ))}
      {state.error && (
        <div className="alert notice" role="alert" data-testid="engine-error">
          <span>
            {state.error}
            {state.engineCrashed && ' Restarting reloads the page; runs saved in this browser come back.'}
          </span>
          {state.engineCrashed && (
            <button type="button" className="primary" onClick={() => window.location.reload()}>
              Restart
            </button>
          )}
        </div>
      )}
      <main>
        <DataPanel state={state} dispatch={dispatch} />
        <ModelPanel state={state} dispatch={dispatch} />
        <TrainPanel state={state} dispatch={dispatch} />
        <RunsPanel state={state} dispatch={dispatch} />
        <ComparePanel state={state} dispatch={dispatch} />
        <LatentPanel state={state} dispatch={dispatch} />
        <MapPanel state={state} dispatch={dispatch} />
        <DrawPanel state={state} dispatch={dispatch} />
        <InsidePanel state={state} dispatch={dispatch} />
      </main>
      <footer className="footer">
        Reference: the Keras autoencoder tutorial (dense 784→784→64→784, two convolutional variants), Adam, MSE, batch 256.
        Everything runs on this page; no data leaves it.
      </footer>
    </div>
  );
}
