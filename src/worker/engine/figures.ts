import { deadUnits } from '../../analysis/latent-stats';
import { latentDimOf, type ArchId } from '../../models/architectures';
import { extractLatents } from '../../models/latents';
import { evaluateMse, type ImageSet } from '../../models/train';
import type { RunId } from '../protocol';
import type { ModelStore } from './model-store';

/** Test MSE of a run's weights as they are now, and how many latent units never fire on the test set. */
export async function finalFigures(store: ModelStore, runId: RunId, arch: ArchId, test: ImageSet): Promise<{ testMse: number; deadUnits: number }> {
  const model = store.ready(runId);
  const testMse = await evaluateMse(model, arch, test);
  const latents = await extractLatents(store.halvesOf(runId).encoder, arch, test.images, test.count);
  const dead = latents ? deadUnits(latents, test.count, latentDimOf(model)).filter(Boolean).length : Number.NaN;
  return { testMse, deadUnits: dead };
}
