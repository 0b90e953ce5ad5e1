/// <reference lib="webworker" />
/**
 * The t-SNE helper thread: computes each step's attractive forces in shared memory while the analysis worker
 * computes the repulsion (see analysis/tsne-attraction.ts). It blocks in Atomics.wait between steps, so it takes
 * its next run's message only once the current run has ended.
 */
import { serveAttraction } from '../analysis/tsne-attraction';
import type { AttractionHelperRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (event: MessageEvent<AttractionHelperRequest>) => {
  if (event.data.type === 'serveAttraction') serveAttraction(event.data.memory);
};
