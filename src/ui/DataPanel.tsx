import type { AppState } from '../state/app-state';
import { DigitImage } from './DigitImage';
import { ProgressBar } from './ProgressBar';

const MiB = 2 ** 20;

/** Step 1: the MNIST download, then a strip of test digits. */
export function DataPanel({ data, preview }: { data: AppState['data']; preview: AppState['preview'] }) {
  return (
    <section className="card" aria-labelledby="data-title">
      <h2 id="data-title">
        <span className="step">1</span> Data
      </h2>
      {data.kind === 'loading' && (
        <>
          <p>Downloading MNIST from this site (compressed IDX files, parsed in a background worker)…</p>
          <ProgressBar
            value={data.totalBytes > 0 ? data.loadedBytes / data.totalBytes : 0}
            label={`${(data.loadedBytes / MiB).toFixed(1)} of ${(data.totalBytes / MiB).toFixed(1)} MiB`}
          />
        </>
      )}
      {data.kind === 'error' && (
        <div className="alert" role="alert" data-testid="data-error">
          {data.message}
        </div>
      )}
      {data.kind === 'ready' && (
        <p data-testid="data-ready">
          <strong>{data.trainCount.toLocaleString('en')}</strong> training and <strong>{data.testCount.toLocaleString('en')}</strong> test
          images, 28×28 grayscale, ready in {(data.millis / 1000).toFixed(1)} s.
        </p>
      )}
      {preview && (
        <div className="digit-strip" aria-label="The first test digits">
          {Array.from(preview.labels, (label, i) => (
            <DigitImage key={i} pixels={preview.images.subarray(i * 784, (i + 1) * 784)} size={40} label={`digit ${label}`} />
          ))}
        </div>
      )}
    </section>
  );
}
