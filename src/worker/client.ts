import type { AnalysisEvent, AnalysisRequest, EngineEvent, EngineRequest } from './protocol';

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

/** The tfjs engine: backend, data, training, latents, decoding. */
export function startEngine(onEvent: (event: EngineEvent) => void, onCrash: (message: string) => void) {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
  return new WorkerClient<EngineRequest, EngineEvent>(worker, onEvent, onCrash);
}

/** The analysis worker: KMeans and metrics in pure TypeScript, beside the engine so both can run at once. */
export function startAnalysis(onEvent: (event: AnalysisEvent) => void, onCrash: (message: string) => void) {
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
  return new WorkerClient<AnalysisRequest, AnalysisEvent>(worker, onEvent, onCrash);
}

export type EngineClient = ReturnType<typeof startEngine>;
export type AnalysisClient = ReturnType<typeof startAnalysis>;
