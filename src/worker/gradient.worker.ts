/// <reference lib="webworker" />
/**
 * The weight-gradient helper thread: computes its share of each layer's dW = xᵀ·dz in tfjs-backend-wasm's shared
 * memory while the training thread computes the rest (see models/gradient-split.ts). It blocks in Atomics.wait
 * between jobs and never returns to its event loop once serving.
 */
import { serveGradients } from '../models/gradient-split';
import { blockKernelOf, weightGradientKernels } from '../models/wasm/weight-gradient-simd';
import type { GradientHelperRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (event: MessageEvent<GradientHelperRequest>) => {
  if (event.data.type !== 'serveGradients') return;
  const { memory, control, variant } = event.data;
  // The training thread's variant, or nothing: without READY the training thread computes every block itself.
  const kernels = weightGradientKernels(memory, variant);
  if (kernels !== null) serveGradients(control, blockKernelOf(kernels));
};
