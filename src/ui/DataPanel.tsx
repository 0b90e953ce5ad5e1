import { useState } from 'react';
import { IMAGE_PIXELS } from '../data/mnist-shape';
import type { AppState, UiAction } from '../state/app-state';
import { DigitImage } from './DigitImage';
import { ProgressBar } from './ProgressBar';

const MiB = 2 ** 20;

/** Step 1: the MNIST download (cancellable), then a strip of training digits. */
export function DataPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { data, sample, datasetJob } = state;
  return (
    <section className="card" aria-labelledby="data-title">
      <h2 id="data-title">
        <span className="step">1</span> Data
      </h2>
      {data.kind === 'loading' && (
        <>
          <p>Loading MNIST from this site, or from this browser's cache after the first visit (IDX files, parsed in a background worker)…</p>
          <div className="data-loading" data-testid="data-loading">
            <ProgressBar
              value={data.totalBytes > 0 ? data.loadedBytes / data.totalBytes : 0}
              label={`${(data.loadedBytes / MiB).toFixed(1)} of ${(data.totalBytes / MiB).toFixed(1)} MiB`}
            />
            <button type="button" data-testid="data-cancel" onClick={() => dispatch({ type: 'mnistCancelRequested' })}>
              Cancel
            </button>
          </div>
        </>
      )}
      {data.kind === 'cancelled' && (
        <p role="status" data-testid="data-cancelled">
          The MNIST download was cancelled.{' '}
          <LoadAgainButton dispatch={dispatch} />
        </p>
      )}
      {data.kind === 'error' && (
        <div className="alert" role="alert" data-testid="data-error">
          {data.message} <LoadAgainButton dispatch={dispatch} />
        </div>
      )}
      {data.kind === 'ready' && (
        <p data-testid="data-ready">
          <strong data-testid="dataset-name">{data.dataset.name}</strong>: <strong>{data.dataset.trainCount.toLocaleString('en')}</strong> training and{' '}
          <strong>{data.dataset.testCount.toLocaleString('en')}</strong> test images, 28×28 grayscale, ready in {(data.millis / 1000).toFixed(1)} s
          {data.fromCache && <span data-testid="data-from-cache"> (from this browser's cache)</span>}.{' '}
          <span className="muted" title="A fingerprint of the labels and first test digits: runs remember it, so a run trained on other data is marked.">
            fingerprint {data.dataset.fingerprint}
          </span>
          {data.dataset.name !== 'MNIST' && (
            <>
              {' '}
              <button type="button" data-testid="back-to-mnist" disabled={datasetJob?.status === 'running'} onClick={() => dispatch({ type: 'backToMnistRequested' })}>
                Back to MNIST
              </button>
            </>
          )}
        </p>
      )}
      {data.kind !== 'loading' && <DropZone busy={datasetJob?.status === 'running'} onFiles={(files) => dispatch({ type: 'datasetChosen', files })} />}
      {datasetJob?.status === 'failed' && (
        <div className="alert" role="alert" data-testid="dataset-error">
          {datasetJob.message} The current data set stays loaded.
        </div>
      )}
      {sample && (
        <div className="digit-strip" aria-label="The first training digits">
          {Array.from(sample.labels, (label, i) => (
            <DigitImage key={i} pixels={sample.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} size={40} label={`digit ${label}`} />
          ))}
        </div>
      )}
    </section>
  );
}

function LoadAgainButton({ dispatch }: { dispatch: (action: UiAction) => void }) {
  return (
    <button type="button" className="primary" onClick={() => dispatch({ type: 'mnistRequested' })}>
      Load MNIST again
    </button>
  );
}

/** Drop (or pick) two or four IDX files — e.g. Fashion-MNIST — to run the whole playground on them. */
function DropZone({ busy, onFiles }: { busy: boolean; onFiles: (files: File[]) => void }) {
  const [over, setOver] = useState(false);
  return (
    <div
      className={over ? 'dropzone over' : 'dropzone'}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        if (event.dataTransfer.files.length > 0) onFiles(Array.from(event.dataTransfer.files));
      }}
    >
      {busy ? (
        'Reading your files…'
      ) : (
        <>
          Use your own 28×28 data (e.g. Fashion-MNIST): drop its IDX files here — images and labels, raw or .gz — or{' '}
          <label className="link-button">
            choose files
            <input type="file" multiple data-testid="dataset-input" onChange={(event) => {
              if (event.target.files && event.target.files.length > 0) onFiles(Array.from(event.target.files));
              event.target.value = '';
            }} />
          </label>
          .
        </>
      )}
    </div>
  );
}
