import type { KMeansOptions } from '../analysis/kmeans';
import { analysisWorkerCount, combineProgress, combineShareEnds, shareRestarts, type ShareEnd } from '../analysis/kmeans-parts';
import type { KMeansProgress } from '../analysis/kmeans';
import { MNIST_INITIAL_JOB_ID, type AnalysisEvent, type AnalysisJobEvent, type AnalysisRequest, type EngineEvent, type EngineRequest, type KMeansSummary, type MapOptions, type UmapMapOptions } from './protocol';

/**
 * The page's typed handle on one worker: `send` takes only that worker's requests, every event goes to
 * one listener, and a crash is reported through `onCrash` so the page can show it.
 */
export class WorkerClient<Request, Event> {
  constructor(
    private readonly worker: Worker,
    onEvent: (event: Event) => void,
    onCrash: (message: string) => void,
  ) {
    worker.onmessage = (message: MessageEvent<Event>) => onEvent(message.data);
    worker.onerror = (error: ErrorEvent) => {
      error.preventDefault();
      onCrash(`A background worker crashed: ${error.message || 'unknown error'}`);
    };
  }

  send(request: Request, transfer: Transferable[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  terminate(): void {
    this.worker.terminate();
  }
}

function createEngineWorker(): Worker {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
}

/** An engine worker started before the page rendered, with what it said before anyone listened. */
let prestarted: { worker: Worker; events: EngineEvent[]; crash: string | null } | null = null;

/**
 * Starts the engine worker and its MNIST download (job MNIST_INITIAL_JOB_ID) now, before React renders,
 * so the worker's start-up and the download overlap the first render instead of following it. The next
 * `startEngine` takes this worker over, with every event it posted meanwhile.
 * @param baseUrl the page's base URL (`document.baseURI`); the data comes from its `data/` folder
 */
export function prestartEngine(baseUrl: string): void {
  if (prestarted) return;
  const worker = createEngineWorker();
  const early: { worker: Worker; events: EngineEvent[]; crash: string | null } = { worker, events: [], crash: null };
  // A worker's events are not queued for a listener that comes later: hold them until `startEngine`.
  worker.onmessage = (message: MessageEvent<EngineEvent>) => early.events.push(message.data);
  worker.onerror = (error: ErrorEvent) => {
    error.preventDefault();
    early.crash ??= error.message || 'unknown error';
  };
  const request: EngineRequest = { type: 'loadMnist', jobId: MNIST_INITIAL_JOB_ID, baseUrl };
  worker.postMessage(request);
  prestarted = early;
}

/**
 * The tfjs engine: backend, data, training, latents, decoding. Takes over the worker `prestartEngine`
 * started, if there is one (its download then counts as the one `init` starts), else starts a new one.
 */
export function startEngine(onEvent: (event: EngineEvent) => void, onCrash: (message: string) => void) {
  const early = prestarted;
  prestarted = null;
  const client = new WorkerClient<EngineRequest, EngineEvent>(early?.worker ?? createEngineWorker(), onEvent, onCrash);
  early?.events.forEach(onEvent);
  if (early?.crash) onCrash(`A background worker crashed: ${early.crash}`);
  return client;
}

/** The analysis worker: KMeans and metrics in pure TypeScript, beside the engine so both can run at once. */
export function startAnalysis(onEvent: (event: AnalysisEvent) => void, onCrash: (message: string) => void) {
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
  return new WorkerClient<AnalysisRequest, AnalysisEvent>(worker, onEvent, onCrash);
}

export type EngineClient = ReturnType<typeof startEngine>;
export type AnalysisClient = ReturnType<typeof startAnalysis>;

/** Analysis workers KMeans restarts are shared across: 2 on a 2-core machine, up to 4 on larger ones (analysisWorkerCount). */
export const ANALYSIS_WORKERS = analysisWorkerCount(globalThis.navigator?.hardwareConcurrency ?? 2);

/** A KMeans job spread over the workers: each share's restarts, progress and end. */
interface KMeansFanOut {
  nInit: number;
  progress: (KMeansProgress | null)[];
  ends: (ShareEnd<KMeansSummary> | null)[];
}

/**
 * The analysis workers as one: KMeans restarts are spread over all of them and reported as ONE job (combined
 * progress, the best share's result), t-SNE runs on the first. A crashed worker is replaced at once and the
 * page is told (`onCrash`); the job it ran fails there.
 */
export class AnalysisPool {
  private readonly workers: AnalysisClient[];
  private readonly fanOuts = new Map<number, KMeansFanOut>();

  constructor(
    private readonly onEvent: (event: AnalysisJobEvent) => void,
    private readonly onCrash: (message: string) => void,
    count = ANALYSIS_WORKERS,
    /** threads a t-SNE map may use (the request's `threads`) */
    private readonly mapThreads = 2,
  ) {
    this.workers = Array.from({ length: count }, (_, slot) => this.start(slot));
  }

  private start(slot: number): AnalysisClient {
    return startAnalysis(
      (event) => this.receive(event),
      (message) => {
        this.workers[slot].terminate();
        this.workers[slot] = this.start(slot);
        this.onCrash(message);
      },
    );
  }

  private receive(event: AnalysisEvent): void {
    if (event.type !== 'kmeansProgress' && event.type !== 'kmeansDone' && event.type !== 'kmeansCancelled') {
      if (event.type === 'jobEnded') this.fanOuts.delete(event.jobId);
      this.onEvent(event);
      return;
    }
    const fan = this.fanOuts.get(event.jobId);
    if (!fan) return;
    if (event.type === 'kmeansProgress') {
      fan.progress[event.part] = event.progress;
      const progress = combineProgress(fan.progress, fan.nInit);
      if (progress) this.onEvent({ type: 'kmeansProgress', jobId: event.jobId, progress });
      return;
    }
    fan.ends[event.part] =
      event.type === 'kmeansDone'
        ? { status: 'done', summary: event.summary, completedInits: event.completedInits }
        : { status: 'cancelled', completedInits: event.completedInits };
    // The job ends once every share has: cancelled if any share was, with the restarts all of them finished.
    const end = combineShareEnds(fan.ends, fan.nInit);
    if (end === null) return;
    this.fanOuts.delete(event.jobId);
    if (end.status === 'done') this.onEvent({ type: 'kmeansDone', jobId: event.jobId, summary: end.summary });
    else this.onEvent({ type: 'jobEnded', jobId: event.jobId, outcome: 'cancelled', message: end.message });
  }

  /** KMeans on `count` × `dim` latents (copied: the caller keeps its arrays). */
  kmeans(jobId: number, latents: Float32Array, labels: Uint8Array, count: number, dim: number, options: KMeansOptions): void {
    // Restarts claimed one at a time where the workers can share a counter (see kmeans-parts).
    const sharedMemory = typeof SharedArrayBuffer !== 'undefined' && globalThis.crossOriginIsolated === true;
    const shares = shareRestarts(options.nInit, this.workers.length, sharedMemory);
    this.fanOuts.set(jobId, { nInit: options.nInit, progress: shares.map(() => null), ends: shares.map(() => null) });
    shares.forEach((restarts, part) => {
      const data = latents.slice(0, count * dim);
      const truth = labels.slice(0, count);
      this.workers[part % this.workers.length].send({ type: 'kmeans', jobId, part, data, n: count, d: dim, labels: truth, options, restarts }, [data.buffer, truth.buffer]);
    });
  }

  /** A t-SNE map of the first `n` latents (copied). */
  tsne(jobId: number, latents: Float32Array, labels: Uint8Array, n: number, dim: number, options: MapOptions): void {
    const data = latents.slice(0, n * dim);
    const truth = labels.slice(0, n);
    this.workers[0].send({ type: 'tsne', jobId, data, n, d: dim, labels: truth, options, threads: this.mapThreads }, [data.buffer, truth.buffer]);
  }

  /** An exact PCA map of the first `n` latents (copied). */
  pca(jobId: number, latents: Float32Array, labels: Uint8Array, n: number, dim: number): void {
    const data = latents.slice(0, n * dim);
    const truth = labels.slice(0, n);
    this.workers[0].send({ type: 'pca', jobId, data, n, d: dim, labels: truth }, [data.buffer, truth.buffer]);
  }

  /** A UMAP map of the first `n` latents (copied). */
  umap(jobId: number, latents: Float32Array, labels: Uint8Array, n: number, dim: number, options: UmapMapOptions): void {
    const data = latents.slice(0, n * dim);
    const truth = labels.slice(0, n);
    this.workers[0].send({ type: 'umap', jobId, data, n, d: dim, labels: truth, options }, [data.buffer, truth.buffer]);
  }

  cancel(jobId: number): void {
    this.workers.forEach((worker) => worker.send({ type: 'cancel', jobId }));
  }

  terminate(): void {
    this.workers.forEach((worker) => worker.terminate());
  }
}
