import { deadUnits } from '../../analysis/latent-stats';
import type { TrainSettings } from '../../config/train-options';
import { latentDimOf } from '../../models/architectures';
import { extractLatents } from '../../models/latents';
import { evaluateMse, type ImageSet } from '../../models/train';
import type { RunId } from '../protocol';
import type { ModelStore } from './model-store';

/**
 * Test MSE of a run's weights as they are now (against the clean test images; a denoising run is given its
 * noisy test inputs), and how many latent units never fire on the clean test set.
 */
export async function finalFigures(
  store: ModelStore,
  runId: RunId,
  settings: Pick<TrainSettings, 'arch' | 'noise' | 'seed'>,
  test: ImageSet,
): Promise<{ testMse: number; deadUnits: number }> {
  const { arch } = settings;
  const model = store.ready(runId);
  const testMse = await evaluateMse(model, arch, test, undefined, { noise: settings.noise, seed: settings.seed });
  const encoded = await extractLatents(store.halvesOf(runId).encoder, arch, test.images, test.count);
  const dead = encoded ? deadUnits(encoded.latents, test.count, latentDimOf(model)).filter(Boolean).length : Number.NaN;
  return { testMse, deadUnits: dead };
}
