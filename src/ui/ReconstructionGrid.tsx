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
 * Test digits (top) above the model's reconstructions (bottom), each reconstruction with its MSE.
 * @param originals count × 784; @param reconstructions count × 784 or null before the first preview
 */
export function ReconstructionGrid({
  originals,
  labels,
  reconstructions,
}: {
  originals: Float32Array;
  labels: Uint8Array;
  reconstructions: Float32Array | null;
}) {
  const count = labels.length;
  return (
    <div className="recon-grid" data-testid="recon-grid">
      {Array.from({ length: count }, (_, i) => {
        const original = originals.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
        const reconstruction = reconstructions?.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
        return (
          <figure key={i} className="recon-pair">
            <DigitImage pixels={original} label={`test digit ${labels[i]}`} />
            {reconstruction ? (
              <DigitImage pixels={reconstruction} label={`reconstruction of ${labels[i]}`} testId="reconstruction" />
            ) : (
              <div className="digit placeholder" aria-hidden="true" />
            )}
            <figcaption>{reconstruction ? imageMse(original, reconstruction).toFixed(4) : labels[i]}</figcaption>
          </figure>
        );
      })}
    </div>
  );
}
