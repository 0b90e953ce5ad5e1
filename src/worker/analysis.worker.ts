/// <reference lib="webworker" />
/**
 * The analysis worker: a thin dispatcher to pure TypeScript (KMeans, metrics, t-SNE) so clustering and
 * maps (t-SNE, UMAP, PCA) run while the engine worker trains. Cancellation is cooperative: the algorithms poll between steps.
 */
import { Throttle } from './throttle';
import { errorMessage } from '../errors';
import { runKMeans } from '../analysis/kmeans';
import { claimsOf } from '../analysis/kmeans-parts';
import { adjustedRandIndex, contingencyTable, normalizedMutualInfo, purity } from '../analysis/metrics';
import { pca } from '../analysis/pca';
import { knnAccuracy, trustworthiness } from '../analysis/quality';
import { exactAffinities, exactKl, runTsne } from '../analysis/tsne';
import { canShareMemory, SharedAttraction, sharedAttractionMemory, type AttractionFactory } from '../analysis/tsne-attraction';
import { runUmap } from '../analysis/umap';
import { CLASS_COUNT } from '../data/mnist-shape';
import {
  MAP_QUALITY_MAX_POINTS,
  analysisTransferablesOf,
  type AnalysisEvent,
  type AttractionHelperRequest,
  type AnalysisRequest,
  type KMeansSummary,
  type MapQuality,
} from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const cancelled = new Set<number>();
const post = (event: AnalysisEvent) => self.postMessage(event, analysisTransferablesOf(event));

/** Minimum milliseconds between two KMeans progress messages. */
const KMEANS_PROGRESS_INTERVAL_MS = 150;

async function kmeans(request: Extract<AnalysisRequest, { type: 'kmeans' }>): Promise<void> {
  const { jobId, data, n, d, labels, options, restarts, part } = request;
  const started = performance.now();
  const throttle = new Throttle(KMEANS_PROGRESS_INTERVAL_MS, false);
  const outcome = await runKMeans(
    data,
    n,
    d,
    options,
    {
      onProgress: (progress) => {
        if (!throttle.due()) return;
        post({ type: 'kmeansProgress', jobId, part, progress });
      },
      shouldStop: () => cancelled.has(jobId),
    },
    claimsOf(restarts, options.nInit),
  );
  if (outcome.status === 'cancelled') {
    post({ type: 'kmeansCancelled', jobId, part, completedInits: outcome.completedInits });
    return;
  }
  const { result, completedInits } = outcome;
  if (result === null) {
    post({ type: 'kmeansDone', jobId, part, summary: null, completedInits });
    return;
  }
  const table = contingencyTable(result.labels, labels, options.k, CLASS_COUNT);
  const summary: KMeansSummary = {
    assignments: result.labels,
    centroids: result.centroids,
    k: options.k,
    inertia: result.inertia,
    iterations: result.iterations,
    bestInit: result.bestInit,
    seconds: (performance.now() - started) / 1000,
    ari: adjustedRandIndex(table),
    nmi: normalizedMutualInfo(table),
    purity: purity(table),
    contingency: table.table,
  };
  post({ type: 'kmeansDone', jobId, part, summary, completedInits });
}

/** Minimum milliseconds between two map frames sent to the page: smooth, without flooding it. */
const FRAME_INTERVAL_MS = 100;
/** Neighbours for trustworthiness and kNN accuracy, as in the reference figures. */
const QUALITY_NEIGHBOURS = 10;

/** The helper thread of t-SNE maps: started with the first map that may use it, then kept for later maps. */
let attractionHelper: Worker | null = null;

/**
 * Where a map's attraction is computed: on the helper thread when `threads` ≥ 2 and memory can be shared
 * (a cross-origin-isolated page), else here. `used` learns whether the helper took part.
 */
function attractionFor(threads: number, used: { helper: boolean }): AttractionFactory | undefined {
  if (threads < 2 || !canShareMemory()) return undefined;
  return (P) => {
    attractionHelper ??= new Worker(new URL('./attraction.worker.ts', import.meta.url), { type: 'module', name: 'tsne-attraction' });
    const memory = sharedAttractionMemory(P);
    const message: AttractionHelperRequest = { type: 'serveAttraction', memory };
    attractionHelper.postMessage(message);
    const source = new SharedAttraction(memory);
    return {
      begin: (y) => {
        if (source.helperActive) used.helper = true;
        source.begin(y);
      },
      end: (out) => source.end(out),
      dispose: () => source.dispose(),
    };
  };
}

async function tsne(request: Extract<AnalysisRequest, { type: 'tsne' }>): Promise<void> {
  const { jobId, data, n, d, labels, options, threads } = request;
  const used = { helper: false };
  const started = performance.now();
  const frames = new Throttle(FRAME_INTERVAL_MS, false);
  const progressDue = new Throttle(FRAME_INTERVAL_MS, false);
  const result = await runTsne(data, n, d, options, {
    frameEvery: 5,
    onFrame: (embedding, iteration) => {
      if (!frames.due()) return;
      post({ type: 'tsneFrame', jobId, iteration, embedding });
    },
    onProgress: (progress) => {
      // Every phase change is shown; the optimisation's many steps are throttled.
      if (!progressDue.due(progress.phase !== 'optimise')) return;
      post({ type: 'tsneProgress', jobId, progress });
    },
    shouldStop: () => cancelled.has(jobId),
  }, attractionFor(threads, used));
  const seconds = (performance.now() - started) / 1000;
  const quality = result.stopped ? null : mapQuality(data, n, d, labels, result.embedding, options.perplexity);
  post({ type: 'tsneDone', jobId, embedding: result.embedding, iterations: result.iterations, stopped: result.stopped, seconds, quality, threads: used.helper ? 2 : 1 });
}

function pcaMap(request: Extract<AnalysisRequest, { type: 'pca' }>): void {
  const { jobId, data, n, d, labels } = request;
  const started = performance.now();
  const result = pca(data, n, d, 2);
  const seconds = (performance.now() - started) / 1000;
  const exact = n <= MAP_QUALITY_MAX_POINTS;
  const quality: MapQuality = {
    kl: null,
    trustworthiness: exact && n > 2 * QUALITY_NEIGHBOURS ? trustworthiness(data, d, result.projection, 2, n, QUALITY_NEIGHBOURS) : null,
    knnAccuracy: knnAccuracy(result.projection, 2, n, labels, QUALITY_NEIGHBOURS),
  };
  post({ type: 'pcaDone', jobId, embedding: result.projection, explained: [result.explainedRatio[0], result.explainedRatio[1]], seconds, quality });
}

async function umap(request: Extract<AnalysisRequest, { type: 'umap' }>): Promise<void> {
  const { jobId, data, n, d, labels, options } = request;
  const started = performance.now();
  const frames = new Throttle(FRAME_INTERVAL_MS, false);
  const progressDue = new Throttle(FRAME_INTERVAL_MS, false);
  const result = await runUmap(data, n, d, options, {
    frameEvery: 2,
    onFrame: (embedding, epoch) => {
      if (!frames.due()) return;
      post({ type: 'umapFrame', jobId, epoch, embedding });
    },
    onProgress: (progress) => {
      if (!progressDue.due(progress.phase !== 'optimise')) return;
      post({ type: 'umapProgress', jobId, progress });
    },
    shouldStop: () => cancelled.has(jobId),
  });
  const seconds = (performance.now() - started) / 1000;
  const quality = result.stopped ? null : { ...layoutQuality(data, n, d, labels, result.embedding), kl: null };
  post({ type: 'umapDone', jobId, embedding: result.embedding, epochs: result.epochs, stopped: result.stopped, seconds, quality });
}

/** Trustworthiness (n ≤ MAP_QUALITY_MAX_POINTS) and 10-NN accuracy of a 2-D map of `data`. */
function layoutQuality(data: Float32Array, n: number, d: number, labels: Uint8Array, embedding: Float32Array): Omit<MapQuality, 'kl'> {
  const exact = n <= MAP_QUALITY_MAX_POINTS;
  return {
    trustworthiness: exact && n > 2 * QUALITY_NEIGHBOURS ? trustworthiness(data, d, embedding, 2, n, QUALITY_NEIGHBOURS) : null,
    knnAccuracy: knnAccuracy(embedding, 2, n, labels, QUALITY_NEIGHBOURS),
  };
}

function mapQuality(data: Float32Array, n: number, d: number, labels: Uint8Array, embedding: Float32Array, perplexity: number): MapQuality {
  const exact = n <= MAP_QUALITY_MAX_POINTS;
  return {
    kl: exact ? exactKl(exactAffinities(data, n, d, perplexity), embedding) : null,
    trustworthiness: exact && n > 2 * QUALITY_NEIGHBOURS ? trustworthiness(data, d, embedding, 2, n, QUALITY_NEIGHBOURS) : null,
    knnAccuracy: knnAccuracy(embedding, 2, n, labels, QUALITY_NEIGHBOURS),
  };
}

self.onmessage = (message: MessageEvent<AnalysisRequest>) => {
  const request = message.data;
  switch (request.type) {
    case 'kmeans':
      kmeans(request).catch((error: unknown) =>
        post({ type: 'jobEnded', jobId: request.jobId, outcome: 'failed', message: errorMessage(error) }),
      );
      return;
    case 'tsne':
      tsne(request).catch((error: unknown) =>
        post({ type: 'jobEnded', jobId: request.jobId, outcome: 'failed', message: errorMessage(error) }),
      );
      return;
    case 'umap':
      umap(request).catch((error: unknown) =>
        post({ type: 'jobEnded', jobId: request.jobId, outcome: 'failed', message: errorMessage(error) }),
      );
      return;
    case 'pca':
      try {
        pcaMap(request);
      } catch (error: unknown) {
        post({ type: 'jobEnded', jobId: request.jobId, outcome: 'failed', message: errorMessage(error) });
      }
      return;
    case 'cancel':
      cancelled.add(request.jobId);
      return;
    default: {
      const unreachable: never = request;
      throw new Error(`Unknown request ${JSON.stringify(unreachable)}`);
    }
  }
};
