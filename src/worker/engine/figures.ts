import { deadUnits } from '../../analysis/latent-stats';
import type { TrainSettings } from '../../config/train-options';
import { latentDimOf } from '../../models/architectures';
import { extractLatents } from '../../models/latents';
import { evaluateMse, type ImageSet, type TestProgress } from '../../models/train';
import type { RunId } from '../protocol';
import type { ModelStore } from './model-store';

/**
 * Test MSE of a run's weights as they are now (against the clean test images; a denoising run is given its
 * noisy test inputs), and how many latent units never fire on the clean test set. `knownTestMse`: the test
 * MSE already measured on exactly these weights (after the last epoch of a completed run): the same pass would
 * give the same number, and on a slow backend it takes as long as an epoch's evaluation.
 */
export async function finalFigures(
  store: ModelStore,
  runId: RunId,
  settings: Pick<TrainSettings, 'arch' | 'noise' | 'seed'>,
  test: ImageSet,
  onProgress?: TestProgress,
  knownTestMse?: number,
): Promise<{ testMse: number; deadUnits: number }> {
  const { arch } = settings;
  const model = store.ready(runId);
  const testMse = knownTestMse ?? (await evaluateMse(model, arch, test, undefined, { noise: settings.noise, seed: settings.seed }, onProgress));
  const encoded = await extractLatents(store.halvesOf(runId).encoder, arch, test.images, test.count);
  const dead = encoded ? deadUnits(encoded.latents, test.count, latentDimOf(model)).filter(Boolean).length : Number.NaN;
  return { testMse, deadUnits: dead };
}
