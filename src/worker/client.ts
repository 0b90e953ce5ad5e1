import { MNIST_INITIAL_JOB_ID, type AnalysisEvent, type AnalysisRequest, type EngineEvent, type EngineRequest } from './protocol';

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
