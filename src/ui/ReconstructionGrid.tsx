import { IMAGE_PIXELS } from '../data/mnist-shape';
import { DigitImage } from './DigitImage';

/** Per-image mean squared error between an original and its reconstruction. */
function imageMse(original: Float32Array, reconstruction: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < IMAGE_PIXELS; i++) {
    const d = original[i] - reconstruction[i];
    sum += d * d;
  }
  return sum / IMAGE_PIXELS;
}

/**
 * Test digits (top) above the model's reconstructions (bottom), each reconstruction with its MSE. For a
 * denoising run, three rows: the noisy input the model was given, its reconstruction, and the clean digit
 * (the MSE is against the clean digit).
 * @param originals count × 784; @param reconstructions count × 784 or null before the first preview
 * @param noisyInputs count × 784: a denoising run's inputs (data/noise.ts `testInputs`), or null for other runs
 */
export function ReconstructionGrid({
  originals,
  labels,
  reconstructions,
  noisyInputs = null,
}: {
  originals: Float32Array;
  labels: Uint8Array;
  reconstructions: Float32Array | null;
  noisyInputs?: Float32Array | null;
}) {
  const count = labels.length;
  return (
    <div className="recon-grid" data-testid="recon-grid" data-rows={noisyInputs ? 3 : 2}>
      {Array.from({ length: count }, (_, i) => {
        const original = originals.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
        const reconstruction = reconstructions?.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
        const clean = <DigitImage pixels={original} label={noisyInputs ? `clean test digit ${labels[i]}` : `test digit ${labels[i]}`} testId={noisyInputs ? 'clean-digit' : undefined} />;
        return (
          <figure key={i} className="recon-pair">
            {noisyInputs ? <DigitImage pixels={noisyInputs.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)} label={`noisy input of ${labels[i]}`} testId="noisy-input" /> : clean}
            {reconstruction ? (
              <DigitImage pixels={reconstruction} label={`reconstruction of ${labels[i]}`} testId="reconstruction" />
            ) : (
              <div className="digit placeholder" aria-hidden="true" />
            )}
            {noisyInputs ? clean : null}
            <figcaption>{reconstruction ? imageMse(original, reconstruction).toFixed(4) : labels[i]}</figcaption>
          </figure>
        );
      })}
    </div>
  );
}
