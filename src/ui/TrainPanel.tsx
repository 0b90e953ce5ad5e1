import { useMemo } from 'react';
import { testInputs } from '../data/noise';
import { LATENT_SIZES, NOISE_LIMITS, TRAIN_LIMITS, describeNoise, isLatentSize, validateTrainSettings, type InputNoise, type TrainField } from '../config/train-options';
import { ARCH_IDS, ARCHITECTURES, type ArchId } from '../models/arch-spec';
import { currentDataset, focusRun, isActive, positionText, runProgress, trainedElsewhere, visibleRuns, type AppState, type RunState, type UiAction } from '../state/app-state';
import { expectedSpeed, trainingSeconds } from '../state/estimate';
import { runTestMse, secondsLeft, startingNow } from '../state/runs';
import { fixed, formatDuration, plural } from './format';
import { LossChart } from './LossChart';
import { ProgressBar } from './ProgressBar';
import { ReconstructionGrid } from './ReconstructionGrid';
import { Stat } from './Stat';

const STATUS_TEXT: Record<RunState['status'], string> = {
  queued: 'Queued',
  running: 'Training',
  stopping: 'Stopping after this batch…',
  completed: 'Finished',
  stopped: 'Stopped',
  diverged: 'Diverged',
  failed: 'Failed',
};

/** Expected training speed of `arch` (samples / s): measured by an earlier run, else from the backend warm-up. */
function knownSpeed(state: AppState, arch: ArchId): number | null {
  const runs = visibleRuns(state).filter((r) => r.settings.arch === arch && r.history.length > 0);
  const measured = runs.at(-1)?.history.at(-1)?.samplesPerSec ?? null;
  return expectedSpeed(arch, state.backend?.name ?? null, measured, state.backend?.warmupSamplesPerSec ?? null);
}

/** Active runs: status, progress, time left and a Stop (or Remove, while queued) button each. */
function RunQueue({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const active = visibleRuns(state).filter(isActive);
  if (active.length < 2) return null;
  return (
    <ul className="run-queue" aria-label="Training queue">
      {active.map((run) => {
        const left = secondsLeft(run, knownSpeed(state, run.settings.arch));
        return (
          <li key={run.id} data-testid={`queue-${run.settings.arch}`} data-status={run.status}>
            <span className="queue-arch">{run.name}</span>
            <span className={`status status-${run.status}`}>{startingNow(run) ? 'Starting' : STATUS_TEXT[run.status]}</span>
            <ProgressBar value={runProgress(run)} label={positionText(run) + (left !== null && run.status !== 'queued' ? ` · about ${formatDuration(left)} left` : '')} />
            <button type="button" disabled={run.status === 'stopping'} onClick={() => dispatch({ type: 'stopRequested', runId: run.id })}>
              {run.status === 'queued' ? 'Remove' : 'Stop'}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A fresh noise of `kind` at a strength that visibly degrades digits without burying them. */
function noiseOfKind(kind: string, current: InputNoise): InputNoise {
  if (kind === current.kind) return current;
  if (kind === 'gaussian') return { kind: 'gaussian', sigma: 0.3 };
  if (kind === 'saltPepper') return { kind: 'saltPepper', fraction: 0.1 };
  return { kind: 'none' };
}

/** The code size and the input noise: chosen from lists, so they sit apart from the typed fields. */
function ModelOptions({ settings, errors, dispatch }: { settings: AppState['settings']; errors: Partial<Record<'latentDim' | 'noise', string>>; dispatch: (action: UiAction) => void }) {
  const noise = settings.noise;
  const strength = noise.kind === 'gaussian' ? noise.sigma : noise.kind === 'saltPepper' ? noise.fraction : null;
  // Named by aria-label too: the label's text also holds the error message once there is one.
  const strengthLabel = noise.kind === 'gaussian' ? 'Noise σ' : 'Fraction of pixels';
  return (
    <>
      <label>
        Code size
        {/* aria-label: the wrapping label's text would otherwise take in the options' text */}
        <select
          name="latentDim"
          aria-label="Code size"
          value={settings.latentDim}
          aria-invalid={errors.latentDim ? true : undefined}
          aria-describedby={errors.latentDim ? 'train-error-latentDim' : undefined}
          onChange={(e) => {
            const value = Number(e.target.value);
            if (isLatentSize(value)) dispatch({ type: 'settingsChanged', settings: { latentDim: value } });
          }}
        >
          {LATENT_SIZES.map((size) => (
            <option key={size} value={size}>
              {size === 64 ? '64 (reference)' : size}
            </option>
          ))}
        </select>
        {errors.latentDim && (
          <span className="field-error" id="train-error-latentDim" role="alert">
            {errors.latentDim}
          </span>
        )}
      </label>
      <label>
        Input noise
        <select name="noiseKind" aria-label="Input noise" value={noise.kind} onChange={(e) => dispatch({ type: 'settingsChanged', settings: { noise: noiseOfKind(e.target.value, noise) } })}>
          <option value="none">none</option>
          <option value="gaussian">Gaussian σ</option>
          <option value="saltPepper">salt-and-pepper fraction</option>
        </select>
      </label>
      {strength !== null && (
        <label>
          {strengthLabel}
          <input
            type="number"
            name="noiseStrength"
            aria-label={strengthLabel}
            min={0}
            max={noise.kind === 'gaussian' ? NOISE_LIMITS.maxSigma : NOISE_LIMITS.maxFraction}
            step="any"
            value={Number.isNaN(strength) ? '' : strength}
            aria-invalid={errors.noise ? true : undefined}
            aria-describedby={errors.noise ? 'train-error-noise' : undefined}
            onChange={(e) => {
              const value = e.target.valueAsNumber;
              const next: InputNoise = noise.kind === 'gaussian' ? { kind: 'gaussian', sigma: value } : { kind: 'saltPepper', fraction: value };
              dispatch({ type: 'settingsChanged', settings: { noise: next } });
            }}
          />
          {errors.noise && (
            <span className="field-error" id="train-error-noise" role="alert">
              {errors.noise}
            </span>
          )}
        </label>
      )}
    </>
  );
}

const FIELD_LABELS: Record<TrainField, string> = { epochs: 'Epochs', trainSize: 'Training images', learningRate: 'Learning rate', seed: 'Seed', batchSize: 'Batch size' };

/** Step 3: training settings, Train / Stop, live progress, loss curves and reconstructions. */
export function TrainPanel({ state, dispatch }: { state: AppState; dispatch: (action: UiAction) => void }) {
  const { settings, preview } = state;
  const dataset = currentDataset(state);
  const run = focusRun(state);
  const ready = dataset !== null;
  const available = dataset?.trainCount ?? 60_000;
  const checked = validateTrainSettings(settings, available);
  const errors = { ...(checked.ok ? {} : checked.errors), ...state.trainErrors };
  const speed = knownSpeed(state, settings.arch);
  const estimate = checked.ok && speed ? trainingSeconds(checked.value.epochs, checked.value.trainSize, speed) : null;
  const field = (name: TrainField, props: { min?: number; max?: number; step?: number | 'any' }) => (
    <label>
      {FIELD_LABELS[name]}
      <input
        type="number"
        name={name}
        {...props}
        value={Number.isNaN(settings[name]) ? '' : settings[name]}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `train-error-${name}` : undefined}
        onChange={(e) => dispatch({ type: 'settingsChanged', settings: { [name]: e.target.valueAsNumber } })}
      />
      {errors[name] && (
        <span className="field-error" id={`train-error-${name}`} role="alert">
          {errors[name]}
        </span>
      )}
    </label>
  );
  const last = run?.history.at(-1);
  const lastBatch = run?.batchLosses.at(-1);
  const left = run && isActive(run) ? secondsLeft(run, knownSpeed(state, run.settings.arch)) : null;
  const testMse = run ? runTestMse(run) : null;
  const showRecon = run !== null && run !== undefined && !trainedElsewhere(state, run);
  // A denoising run's preview inputs: the same seeded noise the engine gave the model (data/noise.ts).
  const noisyPreview = useMemo(
    () => (preview && run && showRecon && run.settings.noise.kind !== 'none' ? testInputs(run.settings, preview.images, preview.labels.length) : null),
    [preview, run?.settings, showRecon],
  );
  return (
    <section className="card" aria-labelledby="train-title">
      <h2 id="train-title">
        <span className="step">3</span> Train
      </h2>
      <form
        className="train-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          dispatch({ type: 'trainRequested' });
        }}
      >
        {field('epochs', { min: 1, max: TRAIN_LIMITS.maxEpochs, step: 1 })}
        {field('trainSize', { min: Math.min(TRAIN_LIMITS.minTrainSize, available), max: available, step: 1 })}
        {field('learningRate', { min: 0, max: TRAIN_LIMITS.maxLearningRate, step: 'any' })}
        {field('seed', { min: 0, max: TRAIN_LIMITS.maxSeed, step: 1 })}
        {field('batchSize', { min: TRAIN_LIMITS.minBatchSize, max: TRAIN_LIMITS.maxBatchSize, step: 1 })}
        <ModelOptions settings={settings} errors={errors} dispatch={dispatch} />
        <span className="form-note" data-testid="train-estimate">
          Adam · MSE · reshuffled every epoch ·{' '}
          {estimate !== null
            ? `about ${formatDuration(estimate)} for ${ARCHITECTURES[settings.arch].label} on ${state.backend?.name ?? 'this backend'} (about ${Math.round(speed ?? 0).toLocaleString('en')} images/s)`
            : 'a time estimate appears after the first epoch of this model'}
        </span>
        <div className="buttons">
          <button type="submit" className="primary" disabled={!ready || !checked.ok}>
            Train {ARCHITECTURES[settings.arch].label}
          </button>
          <button type="button" disabled={!ready || !checked.ok} onClick={() => dispatch({ type: 'trainRequested', archs: [...ARCH_IDS] })}>
            Train all three
          </button>
          <button type="button" disabled={!run || !isActive(run) || run.status === 'stopping'} onClick={() => run && dispatch({ type: 'stopRequested', runId: run.id })}>
            Stop
          </button>
        </div>
        <p className="muted form-note">Every click makes a new run; earlier runs are kept (see Runs below).</p>
      </form>
      <RunQueue state={state} dispatch={dispatch} />
      {!run && <p className="muted">{ready ? 'Choose a model and click Train to watch it learn.' : 'Training becomes available when the data is ready.'}</p>}
      {run && (
        <div className="run" data-testid="run" data-status={run.status} data-run-id={run.id}>
          <div className="run-head">
            <span className={`status status-${run.status}`} data-testid="run-status">
              {startingNow(run) ? 'Starting' : STATUS_TEXT[run.status]}
            </span>
            <strong data-testid="run-name">{run.name}</strong>
            <span className="muted">
              {plural(run.settings.trainSize, 'image')} of {run.dataset.name} · batch {run.settings.batchSize} · code size{' '}
              <span data-testid="run-code-size">{run.settings.latentDim}</span>
              {run.settings.noise.kind !== 'none' ? ` · denoising: ${describeNoise(run.settings.noise) ?? ''} on the inputs; test MSE of noisy test inputs against the clean digits` : ''}
            </span>
          </div>
          <ProgressBar value={runProgress(run)} label={positionText(run) + (left !== null ? ` · about ${formatDuration(left)} left` : '')} />
          {run.message && (
            <p className={run.status === 'failed' || run.status === 'diverged' ? 'alert' : 'note'} role={run.status === 'failed' || run.status === 'diverged' ? 'alert' : 'status'} data-testid="run-message">
              {run.message}
            </p>
          )}
          <div className="stats">
            <Stat label="batch loss" value={fixed(lastBatch, 4)} testId="last-batch-loss" />
            <Stat label="first batch loss" value={fixed(run.batchLosses.at(0), 4)} testId="first-batch-loss" />
            <Stat label="test MSE before" value={fixed(run.initialTestMse, 4)} hint="Test MSE of the untrained model: the level a diverged run is compared with." testId="initial-test-mse" />
            <Stat
              label={run.final ? 'test MSE of the kept weights' : 'test MSE, last epoch'}
              value={fixed(testMse, 5)}
              hint={
                run.settings.noise.kind === 'none'
                  ? 'Mean squared error over the test images, of the weights the run has now.'
                  : 'Mean squared error over the test images, of the weights the run has now: a denoising run is given noisy test images (the same seeded noise every time) and scored against the clean ones.'
              }
              testId="test-mse"
            />
            <Stat label="samples / s" value={last ? Math.round(last.samplesPerSec).toLocaleString('en') : '–'} testId="samples-per-sec" />
          </div>
          <LossChart run={run} />
          {run.history.length > 0 && (
            <div className="table-scroll">
              <table className="epoch-table" data-testid="epoch-table">
                <thead>
                  <tr>
                    <th scope="col">epoch</th>
                    <th scope="col" className="num">train loss</th>
                    <th scope="col" className="num">test MSE</th>
                    <th scope="col" className="num">seconds</th>
                    <th scope="col" className="num">samples / s</th>
                  </tr>
                </thead>
                <tbody>
                  {run.history.map((r) => (
                    <tr key={r.epoch}>
                      <td>{r.epoch}</td>
                      <td className="num">{fixed(r.trainLoss, 5)}</td>
                      <td className="num">{fixed(r.testMse, 5)}</td>
                      <td className="num">{fixed(r.trainSeconds, 1)}</td>
                      <td className="num">{Number.isFinite(r.samplesPerSec) ? Math.round(r.samplesPerSec).toLocaleString('en') : '–'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
      {preview && (
        <>
          <h3>Test digits and their reconstructions</h3>
          {noisyPreview ? (
            <p className="muted">
              Top: the noisy input “{run?.name}” is given ({describeNoise(run?.settings.noise ?? { kind: 'none' })}); middle: what it rebuilds from its {run?.settings.latentDim}-number code; bottom: the clean digit. The
              MSE is against the clean digit.
            </p>
          ) : (
            <p className="muted">
              Top: the original; bottom: what {run ? `“${run.name}”` : 'the model'} rebuilds from its {run ? run.settings.latentDim : settings.latentDim}-number code, with the per-image MSE.
            </p>
          )}
          <ReconstructionGrid originals={preview.images} labels={preview.labels} reconstructions={showRecon ? (run?.reconstructions ?? null) : null} noisyInputs={noisyPreview} />
        </>
      )}
    </section>
  );
}
