/**
 * How long a run will take, before it starts and while it runs: the images left over the expected speed.
 * The speed is the last epoch's of a run of the same architecture on this page when there is one; before
 * that, the backend warm-up's dense speed, scaled for the CNNs by the ratio measured on each kind of backend.
 */
import type { ArchId } from '../models/arch-spec';
import type { BackendName } from '../worker/protocol';

/**
 * CNN training speed over dense training speed. CPU backends: 2,080 / 6,242 samples/s (WASM, 2 cores,
 * bench/results.json); GPU backends: 14,992 / 24,629 (WebGPU on an H200, bench/results.json → gpu).
 */
export const CNN_TO_DENSE_SPEED: Record<BackendName, number> = { wasm: 0.33, cpu: 0.33, webgl: 0.6, webgpu: 0.6 };

/**
 * Expected training speed of `arch` in samples/s, or null when nothing was measured yet.
 * @param measured the last epoch's speed of a run of `arch`, if any
 * @param warmupDense the backend warm-up's dense speed, if it ran
 */
export function expectedSpeed(arch: ArchId, backend: BackendName | null, measured: number | null, warmupDense: number | null): number | null {
  if (measured !== null && Number.isFinite(measured) && measured > 0) return measured;
  if (warmupDense === null || !Number.isFinite(warmupDense) || warmupDense <= 0 || backend === null) return null;
  return arch === 'dense' ? warmupDense : warmupDense * CNN_TO_DENSE_SPEED[backend];
}

/** Seconds to train `epochs` × `trainSize` images at `samplesPerSec`. */
export function trainingSeconds(epochs: number, trainSize: number, samplesPerSec: number): number {
  return (epochs * trainSize) / samplesPerSec;
}
