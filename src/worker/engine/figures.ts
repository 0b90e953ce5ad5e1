import { deadUnits } from '../../analysis/latent-stats';
import { LATENT_DIM, type ArchId } from '../../models/architectures';
import { extractLatents } from '../../models/latents';
import { evaluateMse, type ImageSet } from '../../models/train';
import type { ModelStore } from './model-store';

/** Test MSE of a model's weights as they are now, and how many latent units never fire on the test set. */
export async function finalFigures(store: ModelStore, arch: ArchId, test: ImageSet): Promise<{ testMse: number; deadUnits: number }> {
  const model = store.ready(arch);
  const testMse = await evaluateMse(model, arch, test);
  const latents = await extractLatents(store.halvesOf(arch).encoder, arch, test.images, test.count);
  const dead = latents ? deadUnits(latents, test.count, LATENT_DIM).filter(Boolean).length : Number.NaN;
  return { testMse, deadUnits: dead };
}
